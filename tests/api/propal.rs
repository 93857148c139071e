//! Propal: authentication refusals, scopes, check order, the sliding rate limit,
//! pagination, validation, proposals and leads, and the control plane's keys.

use std::collections::HashSet;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, raw_request, request, send};

const UNAUTHORIZED: &str = r#"{"error":{"code":"unauthorized","message":"Invalid API key."}}"#;
const RATE_LIMITED: &str = r#"{"error":{"code":"rate_limit_exceeded","message":"Rate limit exceeded."}}"#;
const FULL: &str = "Internal tools (full access)";

fn forbidden(scope: &str) -> String {
    format!(r#"{{"error":{{"code":"forbidden","message":"API key missing required scope: {scope}"}}}}"#)
}

fn explain_reason(response: &crate::helpers::TestResponse) -> String {
    response.header("x-emulator-explain").unwrap_or_default().split(';').next().unwrap_or_default().to_owned()
}

async fn with_authorization(app: &TestApp, value: Option<&str>) -> crate::helpers::TestResponse {
    let headers: Vec<(&str, &str)> = value.map(|v| ("authorization", v)).into_iter().collect();
    app.send(request(Method::GET, "/propal/v1/leads", None, &headers)).await
}

#[tokio::test]
async fn every_unauthorized_cause_gets_the_exact_401_body_and_its_own_explain_reason() {
    let app = TestApp::new();
    let revoked = app.propal_key("Old Zapier integration").await;
    let expired = app.propal_key("Temporary contractor").await;
    let cases = [
        (None, "missing_header"),
        (Some("Basic dXNlcjpwYXNz".to_owned()), "wrong_scheme"),
        (Some("Bearer pp_test_abc".to_owned()), "malformed_key"),
        (Some("Bearer pp_live_".to_owned()), "malformed_key"),
        (Some("Bearer pp_live_unknownKeyThatNobodyHas".to_owned()), "unknown_key"),
        (Some(format!("Bearer {revoked}")), "revoked_key"),
        (Some(format!("Bearer {expired}")), "expired_key"),
    ];
    for (header, reason) in cases {
        let response = with_authorization(&app, header.as_deref()).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{reason}");
        assert_eq!(response.text, UNAUTHORIZED, "{reason}");
        assert_eq!(explain_reason(&response), reason);
        assert!(response.header("x-ratelimit-limit").is_none(), "401s carry no rate headers");
        let entry = app.journal_entry(&response).await;
        assert_eq!(entry["vendor"], "propal");
        assert_eq!(entry["status"], 401);
        assert_eq!(entry["decision"][0]["step"], "api_key");
        assert_eq!(entry["decision"][0]["outcome"], "fail");
    }
}

#[tokio::test]
async fn a_valid_key_passes_and_the_journal_names_its_organization() {
    let app = TestApp::new();
    let key = app.propal_key(FULL).await;
    let response = app.propal(Method::GET, &key, "/v1/organization", None).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(response.json["name"], "Atelier Lumen");
    let entry = app.journal_entry(&response).await;
    assert_eq!(entry["account"], response.json["id"]);
    let steps: Vec<&str> = entry["decision"].as_array().unwrap().iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["api_key", "rate_limit", "scope"]);
}

#[tokio::test]
async fn key_expiry_follows_the_emulator_clock() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(None).await;
    let credentials = app.get("/_emulator/credentials").await;
    assert_eq!(credentials.status, StatusCode::OK);
    app.freeze_at("2026-06-01T00:00:00Z").await;
    let org = app.propal(Method::GET, &key, "/v1/organization", None).await;
    let keys = app.get(&format!("/_emulator/propal/organizations/{}/keys", org.json["id"].as_str().unwrap())).await;
    let key_id = keys.json["keys"][0]["id"].as_str().unwrap().to_owned();
    let patch = app
        .admin(
            Method::PATCH,
            &format!("/_emulator/propal/keys/{key_id}"),
            Some(json!({"expires_at": "2026-06-01T00:10:00Z"})),
        )
        .await;
    assert_eq!(patch.status, StatusCode::OK, "{}", patch.text);
    assert_eq!(app.propal(Method::GET, &key, "/v1/organization", None).await.status, StatusCode::OK);
    app.advance(599.0).await;
    assert_eq!(app.propal(Method::GET, &key, "/v1/organization", None).await.status, StatusCode::OK);
    app.advance(1.0).await;
    let response = app.propal(Method::GET, &key, "/v1/organization", None).await;
    assert_eq!((response.status, response.text.as_str()), (StatusCode::UNAUTHORIZED, UNAUTHORIZED));
    assert_eq!(explain_reason(&response), "expired_key");
}

#[tokio::test]
async fn each_route_demands_its_documented_scope() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(Some(&[])).await;
    let id = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
    let routes = [
        (Method::GET, "/v1/proposals".to_owned(), "proposals:read"),
        (Method::POST, "/v1/proposals".to_owned(), "proposals:write"),
        (Method::GET, format!("/v1/proposals/{id}"), "proposals:read"),
        (Method::PATCH, format!("/v1/proposals/{id}"), "proposals:write"),
        (Method::DELETE, format!("/v1/proposals/{id}"), "proposals:delete"),
        (Method::POST, format!("/v1/proposals/{id}/publish"), "proposals:write"),
        (Method::GET, "/v1/leads".to_owned(), "leads:read"),
        (Method::POST, "/v1/leads".to_owned(), "leads:write"),
        (Method::GET, format!("/v1/leads/{id}"), "leads:read"),
        (Method::PATCH, format!("/v1/leads/{id}"), "leads:write"),
        (Method::DELETE, format!("/v1/leads/{id}"), "leads:delete"),
        (Method::GET, "/v1/organization".to_owned(), "organization:read"),
    ];
    for (method, path, scope) in routes {
        let response = app.propal(method.clone(), &key, &path, Some(json!({}))).await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(response.text, forbidden(scope), "{method} {path}");
        assert_eq!(explain_reason(&response), "missing_scope");
        assert!(response.header("x-ratelimit-remaining").is_some(), "403s are authenticated responses");
    }
}

#[tokio::test]
async fn the_documented_read_only_crm_key_reads_but_cannot_write() {
    let app = TestApp::new();
    let key = app.propal_key("CRM sync (read-only)").await;
    assert_eq!(app.propal(Method::GET, &key, "/v1/leads", None).await.status, StatusCode::OK);
    assert_eq!(app.propal(Method::GET, &key, "/v1/proposals", None).await.status, StatusCode::OK);
    let response = app.propal(Method::POST, &key, "/v1/proposals", Some(json!({"title":"x","slug":"x"}))).await;
    assert_eq!(response.text, forbidden("proposals:write"));
    let response = app.propal(Method::GET, &key, "/v1/organization", None).await;
    assert_eq!(response.text, forbidden("organization:read"));
}

#[tokio::test]
async fn checks_run_in_the_order_401_429_403_404_400() {
    let app = TestApp::with_args(&["--propal-rate-limit", "2"]);
    let (_, key) = app.propal_org(Some(&["leads:read"])).await;
    // 403 before 404 and 400: no write scope, malformed id, broken body.
    let response = app
        .send(raw_request(
            Method::PATCH,
            "/propal/v1/leads/not-a-uuid",
            "{broken",
            &[("authorization", &format!("Bearer {key}")), ("content-type", "application/json")],
        ))
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    // 404 before 400, with the scope present.
    let (_, writer) = app.propal_org(Some(&["leads:write"])).await;
    let response = app
        .send(raw_request(
            Method::PATCH,
            "/propal/v1/leads/not-a-uuid",
            "{broken",
            &[("authorization", &format!("Bearer {writer}")), ("content-type", "application/json")],
        ))
        .await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.json["error"]["code"], "not_found");
    // 429 before 403: the read-only key has used its budget of 2 (the 403 counted).
    assert_eq!(app.propal(Method::GET, &key, "/v1/leads", None).await.status, StatusCode::OK);
    let response = app.propal(Method::POST, &key, "/v1/leads", Some(json!({"name": "x"}))).await;
    assert_eq!((response.status, response.text.as_str()), (StatusCode::TOO_MANY_REQUESTS, RATE_LIMITED));
    // 401 before 429.
    let response = with_authorization(&app, Some("Bearer pp_live_nobody")).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_rate_limit_of_zero_is_no_limit_and_sends_no_rate_headers() {
    let app = TestApp::with_args(&["--propal-rate-limit", "0"]);
    app.freeze_at("2026-07-01T12:00:00Z").await;
    let (_, key) = app.propal_org(None).await;
    // More than Propal's documented 1000 in one frozen instant: none is refused.
    for _ in 0..1_050 {
        let response = app.propal(Method::GET, &key, "/v1/organization", None).await;
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(response.header("x-ratelimit-limit"), None);
    }
    let response = app.propal(Method::POST, &key, "/v1/leads", Some(json!({"name": "after the budget"}))).await;
    assert_eq!(response.status, StatusCode::CREATED);
    for name in ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after"] {
        assert_eq!(response.header(name), None, "{name}");
    }
    let entry = app.journal_entry(&response).await;
    let step = entry["decision"].as_array().unwrap().iter().find(|s| s["step"] == "rate_limit").unwrap();
    assert_eq!(step["outcome"], "pass");
    assert_eq!(step["detail"], "off (--propal-rate-limit 0)");
    // Checks before and after the limit still run.
    assert_eq!(with_authorization(&app, Some("Bearer pp_live_nobody")).await.status, StatusCode::UNAUTHORIZED);
    let (_, reader) = app.propal_org(Some(&["leads:read"])).await;
    let response = app.propal(Method::POST, &reader, "/v1/leads", Some(json!({"name": "x"}))).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn rate_headers_count_down_on_every_authenticated_response() {
    let app = TestApp::new();
    app.freeze_at("2026-07-01T12:00:00Z").await;
    let (_, key) = app.propal_org(None).await;
    let first = app.propal(Method::GET, &key, "/v1/leads", None).await;
    assert_eq!(first.header("x-ratelimit-limit"), Some("1000"));
    assert_eq!(first.header("x-ratelimit-remaining"), Some("999"));
    let reset = jiff::Timestamp::from_second(first.header("x-ratelimit-reset").unwrap().parse().unwrap()).unwrap();
    assert_eq!(reset.to_string(), "2026-07-01T13:00:00Z");
    app.advance(60.0).await;
    let missing = app.propal(Method::GET, &key, "/v1/leads/3c90c3cc-0d44-4b50-8888-8dd25736052a", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.header("x-ratelimit-remaining"), Some("998"));
    assert_eq!(
        missing.header("x-ratelimit-reset"),
        first.header("x-ratelimit-reset"),
        "the oldest request sets the reset"
    );
}

#[tokio::test]
async fn the_window_slides_and_the_oldest_leaving_frees_exactly_one_slot() {
    let app = TestApp::with_args(&["--propal-rate-limit", "3"]);
    app.freeze_at("2026-07-01T00:00:00Z").await;
    let (_, key) = app.propal_org(None).await;
    let call = || app.propal(Method::GET, &key, "/v1/organization", None);
    assert_eq!(call().await.status, StatusCode::OK); // t = 0
    app.advance(600.0).await;
    assert_eq!(call().await.status, StatusCode::OK); // t = 10 min
    app.advance(600.0).await;
    assert_eq!(call().await.status, StatusCode::OK); // t = 20 min
    app.advance(600.0).await;
    let refused = call().await; // t = 30 min
    assert_eq!((refused.status, refused.text.as_str()), (StatusCode::TOO_MANY_REQUESTS, RATE_LIMITED));
    assert_eq!(refused.header("retry-after"), Some("1800"));
    assert_eq!(refused.header("x-ratelimit-remaining"), Some("0"));
    let reset: i64 = refused.header("x-ratelimit-reset").unwrap().parse().unwrap();
    assert_eq!(jiff::Timestamp::from_second(reset).unwrap().to_string(), "2026-07-01T01:00:00Z");
    assert_eq!(explain_reason(&refused), "rate_limited");
    app.advance(1799.0).await;
    let still = call().await; // t = 59:59
    assert_eq!(still.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(still.header("retry-after"), Some("1"));
    app.advance(1.0).await; // t = 60 min: the first request leaves
    assert_eq!(call().await.status, StatusCode::OK);
    let after = call().await;
    assert_eq!(after.status, StatusCode::TOO_MANY_REQUESTS, "only one slot was freed");
    assert_eq!(after.header("retry-after"), Some("600"));
}

#[tokio::test]
async fn keys_of_one_organization_share_the_budget_and_another_organization_is_untouched() {
    let app = TestApp::with_args(&["--propal-rate-limit", "4"]);
    app.freeze_at("2026-07-01T00:00:00Z").await;
    let (org, first) = app.propal_org(None).await;
    let second = app
        .admin(
            Method::POST,
            &format!("/_emulator/propal/organizations/{org}/keys"),
            Some(json!({"name": "second", "scopes": ["organization:read"]})),
        )
        .await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.text);
    let second = second.json["key"].as_str().unwrap().to_owned();
    let (_, other) = app.propal_org(None).await;
    for key in [&first, &second, &first, &second] {
        assert_eq!(app.propal(Method::GET, key, "/v1/organization", None).await.status, StatusCode::OK);
    }
    assert_eq!(app.propal(Method::GET, &first, "/v1/organization", None).await.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.propal(Method::GET, &second, "/v1/organization", None).await.status, StatusCode::TOO_MANY_REQUESTS);
    let other = app.propal(Method::GET, &other, "/v1/organization", None).await;
    assert_eq!(other.status, StatusCode::OK);
    assert_eq!(other.header("x-ratelimit-remaining"), Some("3"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_the_limit_passes_when_many_requests_arrive_at_once() {
    let app = TestApp::with_args(&["--propal-rate-limit", "25"]);
    app.freeze_at("2026-07-01T00:00:00Z").await;
    let (_, key) = app.propal_org(None).await;
    let mut tasks = Vec::new();
    for _ in 0..120 {
        let router = app.router();
        let auth = format!("Bearer {key}");
        tasks.push(tokio::spawn(async move {
            send(router, request(Method::GET, "/propal/v1/organization", None, &[("authorization", &auth)]))
                .await
                .status
        }));
    }
    let mut passed = 0;
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap() {
            StatusCode::OK => passed += 1,
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!((passed, refused), (25, 95));
}

#[tokio::test]
async fn pagination_walks_every_proposal_once_with_the_total_count() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(None).await;
    let mut made = HashSet::new();
    for i in 0..7 {
        let r = app
            .propal(
                Method::POST,
                &key,
                "/v1/proposals",
                Some(json!({"title": format!("P{i}"), "slug": format!("p-{i}")})),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        made.insert(r.json["id"].as_str().unwrap().to_owned());
    }
    let mut seen = Vec::new();
    let mut path = "/v1/proposals?limit=3".to_owned();
    loop {
        let page = app.propal(Method::GET, &key, &path, None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert_eq!(page.json["pagination"]["total_count"], 7);
        seen.extend(
            page.json["data"].as_array().unwrap().iter().map(|p| p["proposal_id"].as_str().unwrap().to_owned()),
        );
        if page.json["pagination"]["has_more"] == json!(false) {
            assert_eq!(page.json["pagination"]["next_cursor"], Value::Null);
            break;
        }
        path = format!("/v1/proposals?limit=3&after={}", page.json["pagination"]["next_cursor"].as_str().unwrap());
    }
    assert_eq!(seen.len(), 7);
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), made);
}

#[tokio::test]
async fn bad_limits_and_cursors_are_validation_errors() {
    let app = TestApp::new();
    let key = app.propal_key(FULL).await;
    for (query, field) in
        [("limit=0", "limit"), ("limit=101", "limit"), ("limit=x", "limit"), ("after=bm9wZQ", "after")]
    {
        let r = app.propal(Method::GET, &key, &format!("/v1/leads?{query}"), None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(r.json["error"]["code"], "validation_error");
        assert_eq!(r.json["error"]["details"][0]["field"], field, "{query}");
    }
}

#[tokio::test]
async fn status_filter_lists_only_that_deal_status() {
    let app = TestApp::new();
    let key = app.propal_key(FULL).await;
    let r = app.propal(Method::GET, &key, "/v1/proposals?status=approved&limit=50", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let data = r.json["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert!(data.iter().all(|p| p["deal_status"] == "approved"));
    assert_eq!(r.json["pagination"]["total_count"], 2);
    let bad = app.propal(Method::GET, &key, "/v1/proposals?status=sent", None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json["error"]["details"][0]["field"], "status");
}

#[tokio::test]
async fn a_proposal_is_created_read_patched_published_and_deleted() {
    let app = TestApp::new();
    app.freeze_at("2026-04-01T10:30:00.123456Z").await;
    let (_, key) = app.propal_org(None).await;
    let lead = app
        .propal(Method::POST, &key, "/v1/leads", Some(json!({"name": "Acme Corp", "email": "a@acme.example"})))
        .await;
    assert_eq!(lead.status, StatusCode::CREATED, "{}", lead.text);
    let lead_id = lead.json["id"].as_str().unwrap();
    let body = json!({"title": "Q2 Partnership Proposal", "slug": "q2-partnership-2026", "lead_id": lead_id,
        "language": "en", "settings": {"allow_client_to_sign": true, "allow_payment": true}});
    let created = app.propal(Method::POST, &key, "/v1/proposals", Some(body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.json.as_object().unwrap().len(), 1, "create answers only {{id}}");
    let id = created.json["id"].as_str().unwrap();
    let got = app.propal(Method::GET, &key, &format!("/v1/proposals/{id}"), None).await;
    assert_eq!(got.json["proposal_id"], id);
    assert_eq!(got.json["lead_name"], "Acme Corp");
    assert_eq!(got.json["deal_status"], "pending");
    assert_eq!(got.json["page_status"], "draft");
    assert_eq!(got.json["allow_payment"], true);
    assert_eq!(got.json["proposal_created_at"], "2026-04-01T10:30:00.123Z");
    let patched = app
        .propal(
            Method::PATCH,
            &key,
            &format!("/v1/proposals/{id}"),
            Some(json!({"title": "Renamed", "lead_id": null, "allow_payment": false, "password": "s3cret"})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    assert_eq!(patched.json["title"], "Renamed");
    assert_eq!(patched.json["lead_id"], Value::Null);
    assert_eq!(patched.json["allow_payment"], false);
    assert_eq!(patched.json["has_password"], true);
    assert!(patched.json.get("password").is_none(), "the password is never returned");
    let published = app.propal(Method::POST, &key, &format!("/v1/proposals/{id}/publish"), None).await;
    assert_eq!(published.status, StatusCode::OK);
    assert_eq!(published.json["page_status"], "published");
    let deleted = app.propal(Method::DELETE, &key, &format!("/v1/proposals/{id}"), None).await;
    assert_eq!((deleted.status, deleted.text.as_str()), (StatusCode::NO_CONTENT, ""));
    let gone = app.propal(Method::GET, &key, &format!("/v1/proposals/{id}"), None).await;
    assert_eq!(gone.text, r#"{"error":{"code":"not_found","message":"Proposal not found."}}"#);
}

#[tokio::test]
async fn create_proposal_refuses_bad_input_with_details_and_stores_nothing() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(None).await;
    let bad = app
        .propal(
            Method::POST,
            &key,
            "/v1/proposals",
            Some(json!({"slug": 7, "language": "de", "lead_id": "nope", "settings": {"allow_payment": "yes"}})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.json["error"]["code"], "validation_error");
    assert_eq!(bad.json["error"]["message"], "The field 'title' is required.");
    let fields: Vec<&str> =
        bad.json["error"]["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["title", "slug", "lead_id", "language", "settings.allow_payment"]);
    let broken = app
        .send(raw_request(
            Method::POST,
            "/propal/v1/proposals",
            "{\"title\":",
            &[("authorization", &format!("Bearer {key}"))],
        ))
        .await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    assert_eq!(broken.json["error"]["details"][0]["field"], "body");
    let not_object = app.propal(Method::POST, &key, "/v1/proposals", Some(json!(["x"]))).await;
    assert_eq!(not_object.status, StatusCode::BAD_REQUEST);
    let huge_title = "x".repeat(300);
    let long = app.propal(Method::POST, &key, "/v1/proposals", Some(json!({"title": huge_title, "slug": "s"}))).await;
    assert_eq!(long.json["error"]["details"][0]["message"], "String must contain at most 255 character(s)");
    let list = app.propal(Method::GET, &key, "/v1/proposals", None).await;
    assert_eq!(list.json["pagination"]["total_count"], 0, "nothing was stored");
}

#[tokio::test]
async fn slugs_are_unique_per_organization_only() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(None).await;
    let (_, other) = app.propal_org(None).await;
    let body = json!({"title": "A", "slug": "same"});
    assert_eq!(app.propal(Method::POST, &key, "/v1/proposals", Some(body.clone())).await.status, StatusCode::CREATED);
    let clash = app.propal(Method::POST, &key, "/v1/proposals", Some(body.clone())).await;
    assert_eq!(clash.status, StatusCode::BAD_REQUEST);
    assert_eq!(clash.json["error"]["details"], json!([{"field": "slug", "message": "Slug already exists"}]));
    assert_eq!(
        app.propal(Method::POST, &key, "/v1/proposals", Some(body.clone())).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(app.propal(Method::POST, &other, "/v1/proposals", Some(body)).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn another_organizations_ids_and_malformed_ids_are_404() {
    let app = TestApp::new();
    let atelier = app.propal_key(FULL).await;
    let nordwind = app.propal_key("Nordwind full access").await;
    let list = app.propal(Method::GET, &nordwind, "/v1/proposals", None).await;
    let theirs = list.json["data"][0]["proposal_id"].as_str().unwrap().to_owned();
    for path in [format!("/v1/proposals/{theirs}"), "/v1/proposals/123".to_owned(), "/v1/leads/not-a-uuid".to_owned()] {
        let r = app.propal(Method::GET, &atelier, &path, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.json["error"]["code"], "not_found");
    }
    let patch =
        app.propal(Method::PATCH, &atelier, &format!("/v1/proposals/{theirs}"), Some(json!({"title": "stolen"}))).await;
    assert_eq!(patch.status, StatusCode::NOT_FOUND);
    let still = app.propal(Method::GET, &nordwind, &format!("/v1/proposals/{theirs}"), None).await;
    assert_ne!(still.json["title"], "stolen");
}

#[tokio::test]
async fn leads_have_every_key_and_search_matches_name_and_email() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(None).await;
    let created = app
        .propal(
            Method::POST,
            &key,
            "/v1/leads",
            Some(json!({"name": "Jane Roe", "email": "jane@roe.example", "city": "Nantes"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let keys: Vec<&str> = created.json.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "id",
            "name",
            "email",
            "company",
            "phone",
            "website",
            "address",
            "city",
            "state",
            "zip",
            "country",
            "siret",
            "tva",
            "language",
            "status",
            "created_at",
            "updated_at"
        ]
    );
    assert_eq!(created.json["website"], Value::Null);
    app.propal(Method::POST, &key, "/v1/leads", Some(json!({"name": "Other"}))).await;
    let by_email = app.propal(Method::GET, &key, "/v1/leads?search=jane%40roe.example&limit=1", None).await;
    assert_eq!(by_email.json["pagination"]["total_count"], 1);
    assert_eq!(by_email.json["data"][0]["email"], "jane@roe.example");
    let by_name = app.propal(Method::GET, &key, "/v1/leads?search=ROE", None).await;
    assert_eq!(by_name.json["pagination"]["total_count"], 1);
    let id = created.json["id"].as_str().unwrap();
    let patched =
        app.propal(Method::PATCH, &key, &format!("/v1/leads/{id}"), Some(json!({"city": null, "email": "bad"}))).await;
    assert_eq!(patched.status, StatusCode::BAD_REQUEST);
    assert_eq!(patched.json["error"]["details"], json!([{"field": "email", "message": "Invalid email"}]));
    let patched =
        app.propal(Method::PATCH, &key, &format!("/v1/leads/{id}"), Some(json!({"city": null, "tva": "FR1"}))).await;
    assert_eq!(patched.status, StatusCode::OK);
    assert_eq!(patched.json["city"], Value::Null);
    assert_eq!(patched.json["tva"], "FR1");
    assert_ne!(patched.json["updated_at"], Value::Null);
}

#[tokio::test]
async fn control_plane_keys_are_shown_once_listed_by_prefix_edited_and_revoked() {
    let app = TestApp::new();
    let (org, _) = app.propal_org(None).await;
    let made = app
        .admin(
            Method::POST,
            &format!("/_emulator/propal/organizations/{org}/keys"),
            Some(json!({"name": "CI", "scopes": ["leads:read"]})),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let raw = made.json["key"].as_str().unwrap().to_owned();
    assert!(raw.starts_with("pp_live_") && raw.len() > 40);
    assert!(raw.starts_with(made.json["prefix"].as_str().unwrap()));
    let list = app.get(&format!("/_emulator/propal/organizations/{org}/keys")).await;
    assert!(!list.text.contains(&raw), "the list never shows the raw key");
    assert_eq!(list.json["keys"].as_array().unwrap().len(), 2);
    let id = made.json["id"].as_str().unwrap();
    assert_eq!(app.propal(Method::GET, &raw, "/v1/organization", None).await.status, StatusCode::FORBIDDEN);
    let edited = app
        .admin(Method::PATCH, &format!("/_emulator/propal/keys/{id}"), Some(json!({"scopes": ["organization:read"]})))
        .await;
    assert_eq!(edited.json["scopes"], json!(["organization:read"]));
    assert_eq!(app.propal(Method::GET, &raw, "/v1/organization", None).await.status, StatusCode::OK);
    let used = app.get(&format!("/_emulator/propal/organizations/{org}/keys")).await;
    assert!(used.json["keys"].as_array().unwrap().iter().any(|k| k["id"] == id && k["last_used_at"] != Value::Null));
    let revoked = app.admin(Method::POST, &format!("/_emulator/propal/keys/{id}/revoke"), None).await;
    assert_ne!(revoked.json["revoked_at"], Value::Null);
    assert_eq!(app.propal(Method::GET, &raw, "/v1/organization", None).await.status, StatusCode::UNAUTHORIZED);
    let bad_scope = app
        .admin(
            Method::POST,
            &format!("/_emulator/propal/organizations/{org}/keys"),
            Some(json!({"name": "x", "scopes": ["leads:admin"]})),
        )
        .await;
    assert_eq!(bad_scope.status, StatusCode::BAD_REQUEST);
    let message = bad_scope.json["error"].as_str().unwrap();
    assert!(message.contains("scopes[0]: unknown scope `leads:admin`"), "{message}");
    let deleted = app.admin(Method::DELETE, &format!("/_emulator/propal/organizations/{org}"), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(app.propal(Method::GET, &raw, "/v1/organization", None).await.status, StatusCode::UNAUTHORIZED);
    let again = app.admin(Method::DELETE, &format!("/_emulator/propal/organizations/{org}"), None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn seeded_runs_generate_the_same_keys_and_ids() {
    let (a, b) = (TestApp::new(), TestApp::new());
    let (org_a, key_a) = a.propal_org(None).await;
    let (org_b, key_b) = b.propal_org(None).await;
    assert_eq!((org_a, key_a), (org_b, key_b));
}

#[test]
fn fixture_files_hold_only_hashes_of_the_raw_keys() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let raw: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("propal/raw_keys.json")).unwrap()).unwrap();
    let raw_keys: Vec<&str> = raw["keys"].as_array().unwrap().iter().map(|k| k["key"].as_str().unwrap()).collect();
    assert!(raw_keys.len() >= 6);
    let mut checked = 0;
    for vendor in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok).filter(|e| e.path().is_dir()) {
        for file in std::fs::read_dir(vendor.path()).unwrap().filter_map(Result::ok) {
            if file.path().ends_with("propal/raw_keys.json") {
                continue;
            }
            let text = std::fs::read_to_string(file.path()).unwrap();
            for key in &raw_keys {
                assert!(!text.contains(key), "{} holds a raw key", file.path().display());
            }
            checked += 1;
        }
    }
    assert!(checked >= 8);
    let keys: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("propal/api_keys.json")).unwrap()).unwrap();
    for key in keys["keys"].as_array().unwrap() {
        let hash = key["key_hash"].as_str().unwrap();
        assert_eq!(hash.len(), 64);
        assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
    }
}

#[tokio::test]
async fn patching_a_required_field_to_null_reports_it_once() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(None).await;
    let lead = app.propal(Method::POST, &key, "/v1/leads", Some(json!({"name": "Jane"}))).await;
    let id = lead.json["id"].as_str().unwrap();
    let r = app.propal(Method::PATCH, &key, &format!("/v1/leads/{id}"), Some(json!({"name": null}))).await;
    assert_eq!(r.json["error"]["details"], json!([{"field": "name", "message": "Expected string, received null"}]));
    let p = app.propal(Method::POST, &key, "/v1/proposals", Some(json!({"title": "T", "slug": "t"}))).await;
    let id = p.json["id"].as_str().unwrap();
    let r = app
        .propal(Method::PATCH, &key, &format!("/v1/proposals/{id}"), Some(json!({"title": null, "language": null})))
        .await;
    assert_eq!(
        r.json["error"]["details"],
        json!([{"field": "title", "message": "Expected string, received null"}, {"field": "language", "message": "Expected string, received null"}])
    );
}

#[tokio::test]
async fn a_non_ascii_authorization_header_is_a_malformed_key_not_a_crash() {
    let app = TestApp::new();
    let mut req = request(Method::GET, "/propal/v1/leads", None, &[]);
    req.headers_mut().insert("authorization", axum::http::HeaderValue::from_bytes(b"Bearer pp_live_\xff\xfe").unwrap());
    let response = app.send(req).await;
    assert_eq!((response.status, response.text.as_str()), (StatusCode::UNAUTHORIZED, UNAUTHORIZED));
    assert_eq!(explain_reason(&response), "malformed_key");
}
