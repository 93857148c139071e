//! Propal catalog products, templates and themes: CRUD read-back, pagination,
//! validation details, 404s (malformed and foreign ids), 403 bodies, refused
//! writes storing nothing, global templates, and themes in use.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse};

const PRODUCT_SCOPES: &[&str] = &["products:read", "products:write", "products:delete"];
const TEMPLATE_SCOPES: &[&str] = &["templates:read", "templates:write", "templates:delete", "proposals:write"];
const THEME_SCOPES: &[&str] = &["themes:read", "themes:write", "themes:delete", "proposals:write", "proposals:read"];
const START: &str = "2026-03-01T10:00:00Z";
/// Valid UUID that names nothing.
const UNKNOWN_ID: &str = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
/// The two global templates of `fixtures/propal/templates.json`, newest first.
const GLOBAL_TEMPLATES: [&str; 2] = ["fd356dc0-8b15-416c-9f6e-ba5e1359e152", "51aff689-4b87-484e-9c25-9c9fd897cb42"];

fn assert_status(response: &TestResponse, status: StatusCode) {
    assert_eq!(response.status, status, "{}", response.text);
}

fn assert_body(response: &TestResponse, status: StatusCode, body: &Value) {
    assert_status(response, status);
    assert_eq!(&response.json, body);
}

fn not_found(message: &str) -> Value {
    json!({"error": {"code": "not_found", "message": message}})
}

fn forbidden(scope: &str) -> Value {
    json!({"error": {"code": "forbidden", "message": format!("API key missing required scope: {scope}")}})
}

/// `details` of a `validation_error`, as `(field, message)` pairs.
fn details(response: &TestResponse) -> Vec<(String, String)> {
    assert_status(response, StatusCode::BAD_REQUEST);
    assert_eq!(response.json["error"]["code"], "validation_error", "{}", response.text);
    response.json["error"]["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|d| (d["field"].as_str().unwrap().to_owned(), d["message"].as_str().unwrap().to_owned()))
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(f, m)| ((*f).to_owned(), (*m).to_owned())).collect()
}

/// Walks a list `limit` at a time: (ids in order, every page's `total_count`).
async fn walk(app: &TestApp, key: &str, path: &str, limit: usize) -> (Vec<String>, Vec<u64>) {
    let (mut ids, mut totals, mut after) = (Vec::new(), Vec::new(), None::<String>);
    loop {
        let url = match &after {
            Some(cursor) => format!("{path}?limit={limit}&after={cursor}"),
            None => format!("{path}?limit={limit}"),
        };
        let r = app.propal(Method::GET, key, &url, None).await;
        assert_status(&r, StatusCode::OK);
        let data = r.json["data"].as_array().unwrap();
        assert!(data.len() <= limit);
        ids.extend(data.iter().map(|item| item["id"].as_str().unwrap().to_owned()));
        totals.push(r.json["pagination"]["total_count"].as_u64().unwrap());
        let Some(cursor) = r.json["pagination"]["next_cursor"].as_str() else {
            assert_eq!(r.json["pagination"]["has_more"], false);
            return (ids, totals);
        };
        assert_eq!(r.json["pagination"]["has_more"], true);
        after = Some(cursor.to_owned());
    }
}

async fn total_count(app: &TestApp, key: &str, path: &str) -> u64 {
    let r = app.propal(Method::GET, key, path, None).await;
    assert_status(&r, StatusCode::OK);
    r.json["pagination"]["total_count"].as_u64().unwrap()
}

async fn create(app: &TestApp, key: &str, path: &str, body: Value) -> Value {
    let r = app.propal(Method::POST, key, path, Some(body)).await;
    assert_status(&r, StatusCode::CREATED);
    r.json
}

fn colors() -> Value {
    json!({"page_bg": "#FFFFFF", "accent": "#4F46E5", "text": "#111"})
}

async fn create_proposal(app: &TestApp, key: &str, body: Value) -> String {
    create(app, key, "/v1/proposals", body).await["id"].as_str().unwrap().to_owned()
}

// ---------------------------------------------------------------- products

#[tokio::test]
async fn product_create_returns_the_full_object_and_reads_back() {
    let app = TestApp::new();
    app.freeze_at(START).await;
    let (_, key) = app.propal_org(Some(PRODUCT_SCOPES)).await;
    let body = json!({"name": "Website redesign", "price": 8500.5, "currency": "USD", "tax_rate": 20,
                      "description": "Design and build", "unit": "project"});
    let created = create(&app, &key, "/v1/products", body).await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created,
        json!({"id": id, "name": "Website redesign", "description": "Design and build", "price": 8500.5,
               "currency": "USD", "tax_rate": 20.0, "unit": "project",
               "created_at": "2026-03-01T10:00:00.000Z", "updated_at": null})
    );
    let read = app.propal(Method::GET, &key, &format!("/v1/products/{id}"), None).await;
    assert_body(&read, StatusCode::OK, &created);

    let minimal = create(&app, &key, "/v1/products", json!({"name": "Hour", "price": 0})).await;
    assert_eq!(minimal["currency"], "EUR");
    for field in ["tax_rate", "description", "unit", "updated_at"] {
        assert_eq!(minimal[field], Value::Null, "{field}");
    }
}

#[tokio::test]
async fn product_patch_changes_only_given_fields_and_sets_updated_at() {
    let app = TestApp::new();
    app.freeze_at(START).await;
    let (_, key) = app.propal_org(Some(PRODUCT_SCOPES)).await;
    let body = json!({"name": "Audit", "price": 1200, "tax_rate": 20, "unit": "project", "description": "SEO"});
    let id = create(&app, &key, "/v1/products", body).await["id"].as_str().unwrap().to_owned();
    app.advance(60.0).await;
    let path = format!("/v1/products/{id}");
    let changes = json!({"price": 1500.25, "tax_rate": null, "unit": "day", "currency": "GBP"});
    let r = app.propal(Method::PATCH, &key, &path, Some(changes)).await;
    assert_status(&r, StatusCode::OK);
    assert_eq!(r.json["name"], "Audit");
    assert_eq!(r.json["description"], "SEO");
    assert_eq!(r.json["price"], 1500.25);
    assert_eq!(r.json["tax_rate"], Value::Null);
    assert_eq!(r.json["unit"], "day");
    assert_eq!(r.json["currency"], "GBP");
    assert_eq!(r.json["created_at"], "2026-03-01T10:00:00.000Z");
    assert_eq!(r.json["updated_at"], "2026-03-01T10:01:00.000Z");
    assert_body(&app.propal(Method::GET, &key, &path, None).await, StatusCode::OK, &r.json);

    let refused = app.propal(Method::PATCH, &key, &path, Some(json!({"name": null, "price": null}))).await;
    assert_eq!(
        details(&refused),
        pairs(&[("name", "Expected string, received null"), ("price", "Expected number, received null")])
    );
    let after = app.propal(Method::GET, &key, &path, None).await;
    assert_eq!(after.json, r.json, "a refused PATCH changes nothing");
}

#[tokio::test]
async fn product_list_pages_newest_first_and_searches_names_case_insensitively() {
    let app = TestApp::new();
    app.freeze_at(START).await;
    let (_, key) = app.propal_org(Some(PRODUCT_SCOPES)).await;
    let mut made = Vec::new();
    for name in ["Blue widget", "Red gadget", "Green WIDGET", "Gizmo", "widgetry"] {
        let product = create(&app, &key, "/v1/products", json!({"name": name, "price": 1})).await;
        made.push(product["id"].as_str().unwrap().to_owned());
        app.advance(1.0).await;
    }
    let (ids, totals) = walk(&app, &key, "/v1/products", 2).await;
    made.reverse();
    assert_eq!(ids, made);
    assert_eq!(totals, vec![5, 5, 5]);

    let r = app.propal(Method::GET, &key, "/v1/products?search=WiDgEt", None).await;
    assert_status(&r, StatusCode::OK);
    let names: Vec<&str> = r.json["data"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["widgetry", "Green WIDGET", "Blue widget"]);
    assert_eq!(r.json["pagination"], json!({"has_more": false, "next_cursor": null, "total_count": 3}));
}

#[tokio::test]
async fn product_create_validation_errors_list_every_field_and_store_nothing() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(Some(PRODUCT_SCOPES)).await;
    let r = app.propal(Method::POST, &key, "/v1/products", Some(json!({}))).await;
    assert_eq!(details(&r), pairs(&[("name", "Required"), ("price", "Required")]));
    assert_eq!(r.json["error"]["message"], "The field 'name' is required.");

    let body = json!({"name": "", "price": -1, "currency": "eur", "tax_rate": 101, "description": 5, "unit": null});
    let r = app.propal(Method::POST, &key, "/v1/products", Some(body)).await;
    assert_eq!(
        details(&r),
        pairs(&[
            ("name", "String must contain at least 1 character(s)"),
            ("price", "Number must be greater than or equal to 0"),
            ("currency", "Must be a 3-letter ISO 4217 code in upper case"),
            ("tax_rate", "Number must be less than or equal to 100"),
            ("description", "Expected string, received number"),
        ])
    );
    let body = json!({"name": "x".repeat(256), "price": "10", "currency": "EURO", "tax_rate": -0.5});
    let r = app.propal(Method::POST, &key, "/v1/products", Some(body)).await;
    assert_eq!(
        details(&r),
        pairs(&[
            ("name", "String must contain at most 255 character(s)"),
            ("price", "Expected number, received string"),
            ("currency", "String must contain at most 3 character(s)"),
            ("tax_rate", "Number must be greater than or equal to 0"),
        ])
    );
    assert_eq!(total_count(&app, &key, "/v1/products").await, 0);
}

#[tokio::test]
async fn product_malformed_and_foreign_ids_are_404() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(Some(PRODUCT_SCOPES)).await;
    let (_, other_key) = app.propal_org(Some(PRODUCT_SCOPES)).await;
    let foreign = create(&app, &other_key, "/v1/products", json!({"name": "Theirs", "price": 5})).await;
    let foreign_path = format!("/v1/products/{}", foreign["id"].as_str().unwrap());
    let expected = not_found("Product not found.");
    for path in ["/v1/products/not-a-uuid", &format!("/v1/products/{UNKNOWN_ID}"), &foreign_path] {
        assert_body(&app.propal(Method::GET, &key, path, None).await, StatusCode::NOT_FOUND, &expected);
        // 404 comes before 400: the invalid body is never looked at.
        let patch = app.propal(Method::PATCH, &key, path, Some(json!({"price": -1}))).await;
        assert_body(&patch, StatusCode::NOT_FOUND, &expected);
        assert_body(&app.propal(Method::DELETE, &key, path, None).await, StatusCode::NOT_FOUND, &expected);
    }
    let theirs = app.propal(Method::GET, &other_key, &foreign_path, None).await;
    assert_body(&theirs, StatusCode::OK, &foreign);
}

#[tokio::test]
async fn product_missing_scope_is_403_with_the_exact_body_and_stores_nothing() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(Some(&["products:read"])).await;
    let r = app.propal(Method::POST, &key, "/v1/products", Some(json!({"name": "Nope", "price": 1}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.text, r#"{"error":{"code":"forbidden","message":"API key missing required scope: products:write"}}"#);
    assert_eq!(total_count(&app, &key, "/v1/products").await, 0);
    // 403 comes before 404.
    let r = app.propal(Method::PATCH, &key, "/v1/products/not-a-uuid", Some(json!({}))).await;
    assert_body(&r, StatusCode::FORBIDDEN, &forbidden("products:write"));
    let r = app.propal(Method::DELETE, &key, &format!("/v1/products/{UNKNOWN_ID}"), None).await;
    assert_body(&r, StatusCode::FORBIDDEN, &forbidden("products:delete"));
    let (_, write_only) = app.propal_org(Some(&["products:write"])).await;
    let r = app.propal(Method::GET, &write_only, "/v1/products", None).await;
    assert_body(&r, StatusCode::FORBIDDEN, &forbidden("products:read"));
}

#[tokio::test]
async fn product_delete_is_204_and_the_product_is_gone() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(Some(PRODUCT_SCOPES)).await;
    let id = create(&app, &key, "/v1/products", json!({"name": "Gone", "price": 3})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/products/{id}");
    let r = app.propal(Method::DELETE, &key, &path, None).await;
    assert_status(&r, StatusCode::NO_CONTENT);
    assert!(r.text.is_empty());
    let expected = not_found("Product not found.");
    assert_body(&app.propal(Method::GET, &key, &path, None).await, StatusCode::NOT_FOUND, &expected);
    assert_body(&app.propal(Method::DELETE, &key, &path, None).await, StatusCode::NOT_FOUND, &expected);
    assert_eq!(total_count(&app, &key, "/v1/products").await, 0);
}

// ---------------------------------------------------------------- templates

#[tokio::test]
async fn template_create_from_proposal_returns_the_template_and_reads_back() {
    let app = TestApp::new();
    app.freeze_at(START).await;
    let (org, key) = app.propal_org(Some(TEMPLATE_SCOPES)).await;
    let proposal = create_proposal(&app, &key, json!({"title": "Q2 partnership", "slug": "q2"})).await;

    let created = create(&app, &key, "/v1/templates", json!({"proposal_id": proposal})).await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created,
        json!({"id": id, "title": "Q2 partnership", "category": null, "image": null, "color": null,
               "organization_id": org, "created_at": "2026-03-01T10:00:00.000Z"})
    );
    let read = app.propal(Method::GET, &key, &format!("/v1/templates/{id}"), None).await;
    assert_body(&read, StatusCode::OK, &created);

    let named = create(&app, &key, "/v1/templates", json!({"proposal_id": proposal, "name": "Partnership v2"})).await;
    assert_eq!(named["title"], "Partnership v2");
    assert_ne!(named["id"], created["id"]);
}

#[tokio::test]
async fn template_list_pages_over_own_and_global_templates() {
    let app = TestApp::new();
    app.freeze_at(START).await;
    let (_, key) = app.propal_org(Some(TEMPLATE_SCOPES)).await;
    let proposal = create_proposal(&app, &key, json!({"title": "Base", "slug": "base"})).await;
    let mut expected = Vec::new();
    for name in ["One", "Two", "Three"] {
        let template = create(&app, &key, "/v1/templates", json!({"proposal_id": proposal, "name": name})).await;
        expected.push(template["id"].as_str().unwrap().to_owned());
        app.advance(1.0).await;
    }
    expected.reverse();
    expected.extend(GLOBAL_TEMPLATES.map(str::to_owned));
    // Pages [Three, Two], [One, global], [global]: the second cursor names a global template.
    let (ids, totals) = walk(&app, &key, "/v1/templates", 2).await;
    assert_eq!(ids, expected);
    assert_eq!(totals, vec![5, 5, 5]);

    let r = app.propal(Method::GET, &key, "/v1/templates?limit=100", None).await;
    let owners: Vec<&Value> = r.json["data"].as_array().unwrap().iter().map(|t| &t["organization_id"]).collect();
    assert_eq!(owners.iter().filter(|o| o.is_null()).count(), 2);
}

#[tokio::test]
async fn template_global_is_readable_but_not_deletable() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(Some(TEMPLATE_SCOPES)).await;
    let path = format!("/v1/templates/{}", GLOBAL_TEMPLATES[1]);
    let read = app.propal(Method::GET, &key, &path, None).await;
    assert_status(&read, StatusCode::OK);
    assert_eq!(read.json["title"], "Agency proposal");
    assert_eq!(read.json["organization_id"], Value::Null);

    let r = app.propal(Method::DELETE, &key, &path, None).await;
    assert_body(&r, StatusCode::NOT_FOUND, &not_found("Template not found."));
    assert_body(&app.propal(Method::GET, &key, &path, None).await, StatusCode::OK, &read.json);
    assert_eq!(total_count(&app, &key, "/v1/templates").await, 2);
}

#[tokio::test]
async fn template_own_delete_is_204_and_the_template_is_gone() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(Some(TEMPLATE_SCOPES)).await;
    let proposal = create_proposal(&app, &key, json!({"title": "Base", "slug": "base"})).await;
    let id =
        create(&app, &key, "/v1/templates", json!({"proposal_id": proposal})).await["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/templates/{id}");
    let r = app.propal(Method::DELETE, &key, &path, None).await;
    assert_status(&r, StatusCode::NO_CONTENT);
    assert!(r.text.is_empty());
    assert_body(
        &app.propal(Method::GET, &key, &path, None).await,
        StatusCode::NOT_FOUND,
        &not_found("Template not found."),
    );
    assert_eq!(total_count(&app, &key, "/v1/templates").await, 2);
}

#[tokio::test]
async fn template_create_validation_and_foreign_proposal_store_nothing() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(Some(TEMPLATE_SCOPES)).await;
    let (_, other_key) = app.propal_org(Some(TEMPLATE_SCOPES)).await;
    let r = app.propal(Method::POST, &key, "/v1/templates", Some(json!({}))).await;
    assert_eq!(details(&r), pairs(&[("proposal_id", "Required")]));
    assert_eq!(r.json["error"]["message"], "The field 'proposal_id' is required.");
    let r = app.propal(Method::POST, &key, "/v1/templates", Some(json!({"proposal_id": "nope", "name": ""}))).await;
    assert_eq!(
        details(&r),
        pairs(&[("proposal_id", "Invalid uuid"), ("name", "String must contain at least 1 character(s)")])
    );
    let r = app.propal(Method::POST, &key, "/v1/templates", Some(json!({"proposal_id": 7, "name": 7}))).await;
    assert_eq!(
        details(&r),
        pairs(&[("proposal_id", "Expected string, received number"), ("name", "Expected string, received number")])
    );

    let theirs = create_proposal(&app, &other_key, json!({"title": "Theirs", "slug": "theirs"})).await;
    for proposal in [theirs.as_str(), UNKNOWN_ID] {
        let r = app.propal(Method::POST, &key, "/v1/templates", Some(json!({"proposal_id": proposal}))).await;
        assert_body(&r, StatusCode::NOT_FOUND, &not_found("Proposal not found."));
    }
    assert_eq!(total_count(&app, &key, "/v1/templates").await, 2, "only the global templates");
}

#[tokio::test]
async fn template_malformed_and_foreign_ids_are_404() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(Some(TEMPLATE_SCOPES)).await;
    let (_, other_key) = app.propal_org(Some(TEMPLATE_SCOPES)).await;
    let proposal = create_proposal(&app, &other_key, json!({"title": "Theirs", "slug": "theirs"})).await;
    let foreign = create(&app, &other_key, "/v1/templates", json!({"proposal_id": proposal})).await;
    let foreign_path = format!("/v1/templates/{}", foreign["id"].as_str().unwrap());
    let expected = not_found("Template not found.");
    for path in ["/v1/templates/not-a-uuid", &format!("/v1/templates/{UNKNOWN_ID}"), &foreign_path] {
        assert_body(&app.propal(Method::GET, &key, path, None).await, StatusCode::NOT_FOUND, &expected);
        assert_body(&app.propal(Method::DELETE, &key, path, None).await, StatusCode::NOT_FOUND, &expected);
    }
    assert_body(&app.propal(Method::GET, &other_key, &foreign_path, None).await, StatusCode::OK, &foreign);
}

#[tokio::test]
async fn template_missing_scope_is_403_with_the_exact_body_and_stores_nothing() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(Some(&["templates:read", "proposals:write"])).await;
    let proposal = create_proposal(&app, &key, json!({"title": "Base", "slug": "base"})).await;
    let r = app.propal(Method::POST, &key, "/v1/templates", Some(json!({"proposal_id": proposal}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.text, r#"{"error":{"code":"forbidden","message":"API key missing required scope: templates:write"}}"#);
    assert_eq!(total_count(&app, &key, "/v1/templates").await, 2);
    let r = app.propal(Method::DELETE, &key, &format!("/v1/templates/{}", GLOBAL_TEMPLATES[0]), None).await;
    assert_body(&r, StatusCode::FORBIDDEN, &forbidden("templates:delete"));
    let (_, no_read) = app.propal_org(Some(&["templates:write"])).await;
    let r = app.propal(Method::GET, &no_read, "/v1/templates", None).await;
    assert_body(&r, StatusCode::FORBIDDEN, &forbidden("templates:read"));
}

// ---------------------------------------------------------------- themes

#[tokio::test]
async fn theme_create_returns_the_full_object_with_defaults_and_reads_back() {
    let app = TestApp::new();
    app.freeze_at(START).await;
    let (_, key) = app.propal_org(Some(THEME_SCOPES)).await;
    let created = create(&app, &key, "/v1/themes", json!({"name": "Plain", "colors": colors()})).await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created,
        json!({"id": id, "name": "Plain", "colors": colors(), "title_font": "inter", "body_font": "inter",
               "radius": 0.8, "button_radius": 0.5, "section_styles": [],
               "created_at": "2026-03-01T10:00:00.000Z", "updated_at": null})
    );
    assert_body(&app.propal(Method::GET, &key, &format!("/v1/themes/{id}"), None).await, StatusCode::OK, &created);

    let styles = json!([
        {"id": "band", "background": "#F4F7F0", "text": "#1F2A1C"},
        {"id": "highlight-2", "background": "#5b8c51"},
        {"background": "#000"}
    ]);
    let body = json!({"name": "Matcha", "colors": colors(), "title_font": "playfair", "body_font": "lora",
                      "radius": 0, "button_radius": 10, "section_styles": styles});
    let full = create(&app, &key, "/v1/themes", body).await;
    assert_eq!(full["title_font"], "playfair");
    assert_eq!(full["body_font"], "lora");
    assert_eq!(full["radius"], 0.0);
    assert_eq!(full["button_radius"], 10.0);
    assert_eq!(
        full["section_styles"],
        json!([
            {"id": "band", "background": "#F4F7F0", "text": "#1F2A1C"},
            {"id": "highlight-2", "background": "#5b8c51", "text": null},
            {"id": null, "background": "#000", "text": null}
        ])
    );
    let path = format!("/v1/themes/{}", full["id"].as_str().unwrap());
    assert_body(&app.propal(Method::GET, &key, &path, None).await, StatusCode::OK, &full);
}

#[tokio::test]
async fn theme_patch_replaces_given_fields_whole_and_sets_updated_at() {
    let app = TestApp::new();
    app.freeze_at(START).await;
    let (_, key) = app.propal_org(Some(THEME_SCOPES)).await;
    let styles = json!([{"id": "a", "background": "#111"}, {"id": "b", "background": "#222"}]);
    let body = json!({"name": "Before", "colors": colors(), "section_styles": styles});
    let id = create(&app, &key, "/v1/themes", body).await["id"].as_str().unwrap().to_owned();
    app.advance(5.0).await;
    let path = format!("/v1/themes/{id}");
    let new_colors = json!({"page_bg": "#000000", "accent": "#F00", "text": "#FFFFFF"});
    let changes = json!({"colors": new_colors, "section_styles": [{"id": "c", "background": "#333"}], "radius": 2});
    let r = app.propal(Method::PATCH, &key, &path, Some(changes)).await;
    assert_status(&r, StatusCode::OK);
    assert_eq!(r.json["name"], "Before");
    assert_eq!(r.json["colors"], new_colors);
    assert_eq!(r.json["section_styles"], json!([{"id": "c", "background": "#333", "text": null}]));
    assert_eq!(r.json["radius"], 2.0);
    assert_eq!(r.json["button_radius"], 0.5);
    assert_eq!(r.json["updated_at"], "2026-03-01T10:00:05.000Z");
    assert_body(&app.propal(Method::GET, &key, &path, None).await, StatusCode::OK, &r.json);

    // A palette is replaced whole, so a partial one is refused and nothing changes.
    let partial =
        app.propal(Method::PATCH, &key, &path, Some(json!({"colors": {"accent": "#000"}, "name": null}))).await;
    assert_eq!(
        details(&partial),
        pairs(&[
            ("name", "Expected string, received null"),
            ("colors.page_bg", "Required"),
            ("colors.text", "Required"),
        ])
    );
    assert_body(&app.propal(Method::GET, &key, &path, None).await, StatusCode::OK, &r.json);
}

#[tokio::test]
async fn theme_list_pages_newest_first() {
    let app = TestApp::new();
    app.freeze_at(START).await;
    let (_, key) = app.propal_org(Some(THEME_SCOPES)).await;
    let mut made = Vec::new();
    for name in ["A", "B", "C", "D"] {
        let theme = create(&app, &key, "/v1/themes", json!({"name": name, "colors": colors()})).await;
        made.push(theme["id"].as_str().unwrap().to_owned());
        app.advance(1.0).await;
    }
    made.reverse();
    let (ids, totals) = walk(&app, &key, "/v1/themes", 2).await;
    assert_eq!(ids, made);
    assert_eq!(totals, vec![4, 4]);
}

#[tokio::test]
async fn theme_create_validation_errors_name_each_field_and_store_nothing() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(Some(THEME_SCOPES)).await;
    let (app, key) = (&app, key.as_str());
    let post = move |body: Value| app.propal(Method::POST, key, "/v1/themes", Some(body));

    assert_eq!(details(&post(json!({})).await), pairs(&[("name", "Required"), ("colors", "Required")]));

    let body = json!({"name": "X", "colors": {"page_bg": "white", "accent": "#12345", "text": 5},
                      "title_font": "", "radius": 11, "button_radius": -1});
    assert_eq!(
        details(&post(body).await),
        pairs(&[
            ("colors.page_bg", "Invalid hex colour: expected #RGB or #RRGGBB"),
            ("colors.accent", "Invalid hex colour: expected #RGB or #RRGGBB"),
            ("colors.text", "Expected string, received number"),
            ("title_font", "String must contain at least 1 character(s)"),
            ("radius", "Number must be less than or equal to 10"),
            ("button_radius", "Number must be greater than or equal to 0"),
        ])
    );

    let four = json!([{"background": "#000"}, {"background": "#000"}, {"background": "#000"}, {"background": "#000"}]);
    let body = json!({"name": "X", "colors": colors(), "section_styles": four});
    assert_eq!(details(&post(body).await), pairs(&[("section_styles", "Array must contain at most 3 element(s)")]));

    let styles = json!([
        {"id": "hero", "background": "#fff"},
        {"id": "default", "background": "#000"},
        {"id": "hero", "background": "nope", "text": "#12"}
    ]);
    let body = json!({"name": "X", "colors": colors(), "section_styles": styles});
    assert_eq!(
        details(&post(body).await),
        pairs(&[
            ("section_styles.1.id", "\"default\" is reserved"),
            ("section_styles.2.id", "Duplicate section style id 'hero'"),
            ("section_styles.2.background", "Invalid hex colour: expected #RGB or #RRGGBB"),
            ("section_styles.2.text", "Invalid hex colour: expected #RGB or #RRGGBB"),
        ])
    );

    let styles = json!([
        {"id": "123", "background": "#fff"},
        {"id": "1st-band", "text": "#000"},
        {"id": "x".repeat(33), "background": "#000"}
    ]);
    let body = json!({"name": "X", "colors": colors(), "section_styles": styles});
    assert_eq!(
        details(&post(body).await),
        pairs(&[
            ("section_styles.0.id", "Digit-only ids are reserved"),
            ("section_styles.1.id", "Must start with a letter and contain only letters, digits, '_' and '-'"),
            ("section_styles.1.background", "Required"),
            ("section_styles.2.id", "String must contain at most 32 character(s)"),
        ])
    );

    let styles = json!([{"id": "", "background": "#000"}, {"id": "a b", "background": "#000"}, "band"]);
    let body = json!({"name": "X", "colors": "#fff", "section_styles": styles});
    assert_eq!(
        details(&post(body).await),
        pairs(&[
            ("colors", "Expected object, received string"),
            ("section_styles.0.id", "String must contain at least 1 character(s)"),
            ("section_styles.1.id", "Must start with a letter and contain only letters, digits, '_' and '-'"),
            ("section_styles.2", "Expected object, received string"),
        ])
    );
    assert_eq!(total_count(app, key, "/v1/themes").await, 0);
}

#[tokio::test]
async fn theme_used_by_a_proposal_cannot_be_deleted() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(Some(THEME_SCOPES)).await;
    let theme = create(&app, &key, "/v1/themes", json!({"name": "Busy", "colors": colors()})).await;
    let id = theme["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/themes/{id}");
    let first = create_proposal(&app, &key, json!({"title": "One", "slug": "one", "theme_id": id})).await;
    create_proposal(&app, &key, json!({"title": "Two", "slug": "two", "theme_id": id})).await;

    let r = app.propal(Method::DELETE, &key, &path, None).await;
    assert_body(
        &r,
        StatusCode::BAD_REQUEST,
        &json!({"error": {"code": "validation_error", "message": "The field 'id' is invalid: Theme is used by 2 proposal(s)",
                          "details": [{"field": "id", "message": "Theme is used by 2 proposal(s)"}]}}),
    );
    assert_body(&app.propal(Method::GET, &key, &path, None).await, StatusCode::OK, &theme);

    let detach =
        app.propal(Method::PATCH, &key, &format!("/v1/proposals/{first}"), Some(json!({"theme_id": null}))).await;
    assert_status(&detach, StatusCode::OK);
    assert_eq!(
        details(&app.propal(Method::DELETE, &key, &path, None).await),
        pairs(&[("id", "Theme is used by 1 proposal(s)")])
    );
}

#[tokio::test]
async fn theme_unused_delete_is_204_and_the_theme_is_gone() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(Some(THEME_SCOPES)).await;
    let id = create(&app, &key, "/v1/themes", json!({"name": "Idle", "colors": colors()})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/themes/{id}");
    let r = app.propal(Method::DELETE, &key, &path, None).await;
    assert_status(&r, StatusCode::NO_CONTENT);
    assert!(r.text.is_empty());
    assert_body(
        &app.propal(Method::GET, &key, &path, None).await,
        StatusCode::NOT_FOUND,
        &not_found("Theme not found."),
    );
    assert_eq!(total_count(&app, &key, "/v1/themes").await, 0);
}

#[tokio::test]
async fn theme_malformed_and_foreign_ids_are_404() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(Some(THEME_SCOPES)).await;
    let (_, other_key) = app.propal_org(Some(THEME_SCOPES)).await;
    let foreign = create(&app, &other_key, "/v1/themes", json!({"name": "Theirs", "colors": colors()})).await;
    let foreign_path = format!("/v1/themes/{}", foreign["id"].as_str().unwrap());
    let expected = not_found("Theme not found.");
    for path in ["/v1/themes/not-a-uuid", &format!("/v1/themes/{UNKNOWN_ID}"), &foreign_path] {
        assert_body(&app.propal(Method::GET, &key, path, None).await, StatusCode::NOT_FOUND, &expected);
        let patch = app.propal(Method::PATCH, &key, path, Some(json!({"radius": 99}))).await;
        assert_body(&patch, StatusCode::NOT_FOUND, &expected);
        assert_body(&app.propal(Method::DELETE, &key, path, None).await, StatusCode::NOT_FOUND, &expected);
    }
    assert_body(&app.propal(Method::GET, &other_key, &foreign_path, None).await, StatusCode::OK, &foreign);
}

#[tokio::test]
async fn theme_missing_scope_is_403_with_the_exact_body_and_stores_nothing() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(Some(&["themes:read"])).await;
    let r = app.propal(Method::POST, &key, "/v1/themes", Some(json!({"name": "Nope", "colors": colors()}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.text, r#"{"error":{"code":"forbidden","message":"API key missing required scope: themes:write"}}"#);
    assert_eq!(total_count(&app, &key, "/v1/themes").await, 0);
    let r = app.propal(Method::DELETE, &key, &format!("/v1/themes/{UNKNOWN_ID}"), None).await;
    assert_body(&r, StatusCode::FORBIDDEN, &forbidden("themes:delete"));
    let (_, no_read) = app.propal_org(Some(&["themes:write"])).await;
    let r = app.propal(Method::GET, &no_read, "/v1/themes/not-a-uuid", None).await;
    assert_body(&r, StatusCode::FORBIDDEN, &forbidden("themes:read"));
}

/// Found by the Schemathesis fuzz: a PATCH without a body is an empty change (answered 200,
/// nothing changed), so the document must not call its body required.
#[tokio::test]
async fn a_patch_without_a_body_changes_nothing_and_the_document_says_the_body_is_optional() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(None).await;
    let created =
        app.propal(Method::POST, &key, "/v1/leads", Some(json!({"name": "Ada", "email": "ada@example.com"}))).await;
    assert_status(&created, StatusCode::CREATED);
    let id = created.json["id"].as_str().unwrap();

    let patched = app.propal(Method::PATCH, &key, &format!("/v1/leads/{id}"), None).await;

    assert_status(&patched, StatusCode::OK);
    assert_eq!(patched.json["name"], "Ada");
    assert_eq!(patched.json["email"], "ada@example.com");
    let doc = app.get("/_emulator/openapi.json").await.json;
    for path in
        ["/propal/v1/leads/{id}", "/propal/v1/products/{id}", "/propal/v1/proposals/{id}", "/propal/v1/themes/{id}"]
    {
        let body = &doc["paths"][path]["patch"]["requestBody"];
        assert!(body.is_object(), "{path}: {body}");
        assert_ne!(body["required"], true, "{path}: {body}");
    }
    assert_eq!(doc["paths"]["/propal/v1/leads"]["post"]["requestBody"]["required"], true);
}
