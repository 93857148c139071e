//! Propal against its reference and CONTRACT §4, §5.2 (issue 17, items 6 and 8–15):
//! path ids that do not decode, the client-page switches in both forms and unknown
//! keys, money bounds, rate headers and the order of 401 and 413, the signed upload's
//! own size limit, hourly sales (in `propal_media_metrics`), cursors of one list only,
//! media folders, and the one zod message for each bad value.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse, raw_request, request};

const FULL_ACCESS: &str = "Internal tools (full access)";

fn not_found(message: &str) -> Value {
    json!({"error": {"code": "not_found", "message": message}})
}

/// `details` as `(field, message)` pairs.
fn details(response: &TestResponse) -> Vec<(String, String)> {
    assert_eq!(response.status, StatusCode::BAD_REQUEST, "{}", response.text);
    assert_eq!(response.json["error"]["code"], "validation_error", "{}", response.text);
    response.json["error"]["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|d| (d["field"].as_str().unwrap().to_owned(), d["message"].as_str().unwrap().to_owned()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(f, m)| ((*f).to_owned(), (*m).to_owned())).collect()
}

fn assert_rate_headers(response: &TestResponse) {
    for name in ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"] {
        assert!(response.header(name).is_some(), "{name} missing: {:?}", response.headers);
    }
}

async fn create(app: &TestApp, key: &str, path: &str, body: Value) -> Value {
    let r = app.propal(Method::POST, key, path, Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json
}

// --- item 6: an id whose percent-escape does not decode ------------------------

#[tokio::test]
async fn a_path_id_that_does_not_decode_is_the_resources_404() {
    let app = TestApp::new();
    let key = app.propal_key(FULL_ACCESS).await;
    let cases = [
        (Method::GET, "/v1/proposals/%ff", "Proposal not found."),
        (Method::PATCH, "/v1/proposals/%ff", "Proposal not found."),
        (Method::POST, "/v1/proposals/%ff/publish", "Proposal not found."),
        (Method::GET, "/v1/leads/%ff", "Lead not found."),
        (Method::DELETE, "/v1/leads/%ff", "Lead not found."),
        (Method::GET, "/v1/products/%ff", "Product not found."),
        (Method::GET, "/v1/themes/%ff", "Theme not found."),
        (Method::GET, "/v1/templates/%ff", "Template not found."),
        (Method::DELETE, "/v1/templates/%c3%28", "Template not found."),
        (Method::DELETE, "/v1/media/files/%ff", "Media file not found."),
    ];
    for (method, path, message) in cases {
        let r = app.propal(method.clone(), &key, path, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path}: {}", r.text);
        assert_eq!(r.json, not_found(message), "{method} {path}");
        assert_rate_headers(&r);
    }
}

#[tokio::test]
async fn a_path_id_that_does_not_decode_still_needs_the_scope_first() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(Some(&["leads:read"])).await;

    let r = app.propal(Method::GET, &key, "/v1/proposals/%ff", None).await;

    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.json["error"]["message"], "API key missing required scope: proposals:read");
}

#[tokio::test]
async fn an_upload_url_that_does_not_decode_is_refused_like_any_bad_upload_url() {
    let app = TestApp::new();

    let r = app.send(raw_request(Method::PUT, "/propal/storage/v1/upload/%ff/token", "bytes", &[])).await;

    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
    assert_eq!(r.json, json!({"error": {"code": "forbidden", "message": "Upload URL is invalid or has expired."}}));
}

// --- item 8: the switches in both forms; unknown keys are refused --------------

#[tokio::test]
async fn create_takes_the_switches_flat_as_well_as_nested() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(None).await;

    let flat = create(
        &app,
        &key,
        "/v1/proposals",
        json!({"title": "F", "slug": "f", "allow_payment": true,
        "allow_client_to_sign": false}),
    )
    .await;
    let nested =
        create(&app, &key, "/v1/proposals", json!({"title": "N", "slug": "n", "settings": {"allow_payment": true}}))
            .await;

    let flat = app.propal(Method::GET, &key, &format!("/v1/proposals/{}", flat["id"].as_str().unwrap()), None).await;
    assert_eq!(
        (flat.json["allow_payment"].clone(), flat.json["allow_client_to_sign"].clone()),
        (json!(true), json!(false))
    );
    let nested =
        app.propal(Method::GET, &key, &format!("/v1/proposals/{}", nested["id"].as_str().unwrap()), None).await;
    assert_eq!(nested.json["allow_payment"], true, "{}", nested.text);
    assert_eq!(nested.json["allow_client_to_sign"], true, "the default stays");
}

#[tokio::test]
async fn patch_takes_the_switches_nested_as_well_as_flat() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(None).await;
    let id =
        create(&app, &key, "/v1/proposals", json!({"title": "T", "slug": "t", "settings": {"allow_payment": true}}))
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
    let path = format!("/v1/proposals/{id}");

    let nested = app.propal(Method::PATCH, &key, &path, Some(json!({"settings": {"allow_payment": false}}))).await;
    assert_eq!(nested.status, StatusCode::OK, "{}", nested.text);
    assert_eq!(nested.json["allow_payment"], false, "{}", nested.text);
    let flat = app.propal(Method::PATCH, &key, &path, Some(json!({"allow_client_to_deny": false}))).await;
    assert_eq!(flat.json["allow_client_to_deny"], false, "{}", flat.text);
    assert_eq!(app.propal(Method::GET, &key, &path, None).await.json, flat.json);
}

#[tokio::test]
async fn a_switch_given_both_ways_with_different_values_is_refused() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(None).await;
    let body = json!({"title": "T", "slug": "t", "allow_payment": true, "settings": {"allow_payment": false}});

    let r = app.propal(Method::POST, &key, "/v1/proposals", Some(body)).await;

    assert_eq!(details(&r), pairs(&[("allow_payment", "Conflicts with settings.allow_payment")]));
    let list = app.propal(Method::GET, &key, "/v1/proposals", None).await;
    assert_eq!(list.json["pagination"]["total_count"], 0);
}

#[tokio::test]
async fn unknown_keys_are_refused_not_dropped_and_change_nothing() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(None).await;
    let lead = create(&app, &key, "/v1/leads", json!({"name": "Jane"})).await;
    let path = format!("/v1/leads/{}", lead["id"].as_str().unwrap());

    let website = app.propal(Method::PATCH, &key, &path, Some(json!({"name": "X", "website": "https://x.test"}))).await;
    let nested = app
        .propal(
            Method::POST,
            &key,
            "/v1/proposals",
            Some(json!({"title": "T", "slug": "t", "settings": {"allow_pay": true}})),
        )
        .await;
    let row = app
        .propal(
            Method::POST,
            &key,
            "/v1/proposals",
            Some(json!({"title": "T", "slug": "t", "products": [{"bundle": 1}]})),
        )
        .await;

    assert_eq!(
        website.json,
        json!({"error": {"code": "validation_error", "message": "The field 'website' is invalid: Unrecognized key(s) in object: 'website'",
            "details": [{"field": "website", "message": "Unrecognized key(s) in object: 'website'"}]}})
    );
    assert_eq!(details(&nested), pairs(&[("settings.allow_pay", "Unrecognized key(s) in object: 'allow_pay'")]));
    assert_eq!(
        details(&row),
        pairs(&[
            ("products.0.bundle_id", "Required"),
            ("products.0.bundle", "Unrecognized key(s) in object: 'bundle'")
        ])
    );
    assert_eq!(app.propal(Method::GET, &key, &path, None).await.json, lead, "the refused PATCH changed nothing");
}

// --- item 9: money bounds ------------------------------------------------------

#[tokio::test]
async fn prices_beyond_the_bound_are_refused_and_totals_stay_numbers() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(None).await;

    let huge = app.propal(Method::POST, &key, "/v1/products", Some(json!({"name": "Big", "price": 1e308}))).await;
    assert_eq!(details(&huge), pairs(&[("price", "Number must be less than or equal to 1000000000")]));
    let top = create(&app, &key, "/v1/products", json!({"name": "Top", "price": 1_000_000_000})).await;
    let id = top["id"].as_str().unwrap();
    let patched = app.propal(Method::PATCH, &key, &format!("/v1/products/{id}"), Some(json!({"price": 1.5e9}))).await;
    assert_eq!(details(&patched), pairs(&[("price", "Number must be less than or equal to 1000000000")]));

    let rows = json!([{"bundle_id": id}, {"bundle_id": id}, {"bundle_id": id}]);
    let proposal = create(&app, &key, "/v1/proposals", json!({"title": "T", "slug": "t", "products": rows})).await;
    let got = app.propal(Method::GET, &key, &format!("/v1/proposals/{}", proposal["id"].as_str().unwrap()), None).await;
    assert_eq!(got.json["value"], 3e9, "{}", got.text);
    let overview = app.propal(Method::GET, &key, "/v1/metrics/overview", None).await;
    assert_eq!(overview.json["data"]["total_value"], 3e9, "{}", overview.text);
}

// --- item 10: rate headers on every authenticated answer; 401 before 413 ---------

#[tokio::test]
async fn an_unknown_route_or_unserved_method_with_a_valid_key_carries_the_rate_headers() {
    let app = TestApp::new();
    let key = app.propal_key(FULL_ACCESS).await;

    let method = app.propal(Method::PUT, &key, "/v1/leads", None).await;
    let path = app.propal(Method::GET, &key, "/v1/no-such-thing", None).await;

    for r in [&method, &path] {
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
        assert_eq!(r.json, not_found("Not found."));
        assert_rate_headers(r);
    }
    assert!(method.header("allow").is_none(), "a 404 lists no allowed methods: {:?}", method.headers);
}

#[tokio::test]
async fn an_oversized_body_is_401_without_a_key_and_413_with_rate_headers_with_one() {
    let app = TestApp::with_args(&["--max-body-bytes", "100"]);
    let key = app.propal_key(FULL_ACCESS).await;
    let body = json!({ "name": "x".repeat(200) }).to_string();
    let length = body.len().to_string();
    let send = |auth: Option<String>| {
        let mut headers = vec![("content-type", "application/json".to_owned()), ("content-length", length.clone())];
        if let Some(auth) = auth {
            headers.push(("authorization", auth));
        }
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        app.send(raw_request(Method::POST, "/propal/v1/leads", body.clone(), &headers))
    };

    let anonymous = send(None).await;
    let bad_key = send(Some("Bearer pp_live_nope".to_owned())).await;
    let with_key = send(Some(format!("Bearer {key}"))).await;

    let unauthorized = json!({"error": {"code": "unauthorized", "message": "Invalid API key."}});
    assert_eq!((anonymous.status, &anonymous.json), (StatusCode::UNAUTHORIZED, &unauthorized), "{}", anonymous.text);
    assert_eq!((bad_key.status, &bad_key.json), (StatusCode::UNAUTHORIZED, &unauthorized), "{}", bad_key.text);
    assert_eq!(with_key.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", with_key.text);
    assert_eq!(with_key.json, json!({"error": {"code": "validation_error", "message": "Request body too large."}}));
    assert_rate_headers(&with_key);
    assert!(with_key.header("x-emulator-explain").is_some_and(|e| e.starts_with("payload_too_large; ")));

    // Any method may declare a body: a GET with one over the limit is refused the same way.
    let auth = format!("Bearer {key}");
    let get = app
        .send(raw_request(
            Method::GET,
            "/propal/v1/leads",
            body.clone(),
            &[("content-length", &length), ("authorization", &auth)],
        ))
        .await;
    assert_eq!(get.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", get.text);
    assert_rate_headers(&get);
}

// --- item 11: the signed upload's own limit -----------------------------------

async fn upload_url(app: &TestApp, key: &str) -> String {
    let auth = format!("Bearer {key}");
    let headers = [("authorization", auth.as_str()), ("host", "emu.test")];
    let body = json!({"file_name": "a.bin", "content_type": "application/octet-stream"});
    let r = app.send(request(Method::POST, "/propal/v1/media/files", Some(body), &headers)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json["upload_url"].as_str().unwrap().strip_prefix("http://emu.test").unwrap().to_owned()
}

#[tokio::test]
async fn the_upload_url_takes_bodies_over_the_api_limit() {
    let app = TestApp::with_args(&["--max-body-bytes", "100"]);
    let (_, key) = app.propal_org(None).await;
    let url = upload_url(&app, &key).await;
    let bytes = vec![7u8; 5000];
    let length = bytes.len().to_string();

    let r = app.send(raw_request(Method::PUT, &url, bytes, &[("content-length", &length)])).await;

    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["size"], 5000);
    assert_eq!(r.json["status"], "uploaded");
}

#[tokio::test]
async fn an_upload_over_its_own_limit_is_413_and_the_url_stays_usable() {
    let app = TestApp::with_args(&["--propal-max-upload-bytes", "10"]);
    let (_, key) = app.propal_org(None).await;
    let url = upload_url(&app, &key).await;

    let big = app.send(raw_request(Method::PUT, &url, vec![1u8; 11], &[("content-length", "11")])).await;
    let fits = app.send(raw_request(Method::PUT, &url, vec![1u8; 10], &[("content-length", "10")])).await;

    assert_eq!(big.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", big.text);
    assert_eq!(big.json, json!({"error": {"code": "validation_error", "message": "Request body too large."}}));
    assert!(big.header("x-emulator-explain").is_some_and(|e| e.contains("--propal-max-upload-bytes 10")));
    assert_eq!(fits.status, StatusCode::OK, "{}", fits.text);
    assert_eq!(fits.json["size"], 10);
}

// --- item 13: a cursor works only on its own list -------------------------------

#[tokio::test]
async fn a_cursor_naming_another_resources_id_is_invalid() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(None).await;
    let lead = create(&app, &key, "/v1/leads", json!({"name": "Jane"})).await;
    create(&app, &key, "/v1/proposals", json!({"title": "T", "slug": "t"})).await;
    let cursor = base64_url(lead["id"].as_str().unwrap());

    let proposals = app.propal(Method::GET, &key, &format!("/v1/proposals?after={cursor}"), None).await;
    let leads = app.propal(Method::GET, &key, &format!("/v1/leads?after={cursor}"), None).await;

    assert_eq!(details(&proposals), pairs(&[("after", "Invalid cursor")]));
    assert_eq!(leads.status, StatusCode::OK, "{}", leads.text);
    assert_eq!(leads.json["data"], json!([]));
}

/// Unpadded base64url, written here from RFC 4648 §5.
fn base64_url(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

// --- item 14: media folders stay inside the organization ---------------------------

#[tokio::test]
async fn media_folders_are_relative_names_only() {
    let app = TestApp::new();
    let (org, key) = app.propal_org(None).await;
    let message = "Folder must be names separated by '/', none empty, '.' or '..', without '\\'";

    for folder in ["../x", "/abs/", "a//b", "a/./b", "a\\b", "a/.."] {
        let body = json!({"file_name": "f.png", "content_type": "image/png", "folder": folder});
        let r = app.propal(Method::POST, &key, "/v1/media/files", Some(body)).await;
        assert_eq!(details(&r), pairs(&[("folder", message)]), "{folder}");
    }
    let body = json!({"file_name": "f.png", "content_type": "image/png", "folder": "brand/2026"});
    let ok = create(&app, &key, "/v1/media/files", body).await;
    let id = ok["id"].as_str().unwrap();
    assert_eq!(ok["path"], format!("{org}/brand/2026/{id}-f.png"));
    let list = app.propal(Method::GET, &key, "/v1/media/files", None).await;
    assert_eq!(list.json["pagination"]["total_count"], 1, "the refused ones stored nothing");
}

// --- item 15: one zod message per case ------------------------------------------

#[tokio::test]
async fn null_for_a_required_field_reads_the_same_on_post_and_patch() {
    let app = TestApp::new();
    let (_, key) = app.propal_org(None).await;
    let id = create(&app, &key, "/v1/proposals", json!({"title": "T", "slug": "t"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let post = app.propal(Method::POST, &key, "/v1/proposals", Some(json!({"title": null, "slug": "s"}))).await;
    let patch = app.propal(Method::PATCH, &key, &format!("/v1/proposals/{id}"), Some(json!({"title": null}))).await;
    let absent = app.propal(Method::POST, &key, "/v1/proposals", Some(json!({"slug": "s"}))).await;
    let price = app.propal(Method::POST, &key, "/v1/products", Some(json!({"name": "P", "price": null}))).await;

    let null = pairs(&[("title", "Expected string, received null")]);
    assert_eq!(details(&post), null);
    assert_eq!(details(&patch), null);
    assert_eq!(details(&absent), pairs(&[("title", "Required")]));
    assert_eq!(post.json["error"]["message"], "The field 'title' is invalid: Expected string, received null");
    assert_eq!(details(&price), pairs(&[("price", "Expected number, received null")]));
}

#[tokio::test]
async fn limit_is_coerced_to_a_number_then_checked_like_zod() {
    let app = TestApp::new();
    let key = app.propal_key(FULL_ACCESS).await;
    let cases = [
        ("1.5", vec![("limit", "Expected integer, received float")]),
        ("99999999999999999999999", vec![("limit", "Number must be less than or equal to 100")]),
        ("abc", vec![("limit", "Expected number, received nan")]),
        ("0", vec![("limit", "Number must be greater than or equal to 1")]),
        (
            "-1.5",
            vec![("limit", "Expected integer, received float"), ("limit", "Number must be greater than or equal to 1")],
        ),
    ];
    for (limit, expected) in cases {
        let r = app.propal(Method::GET, &key, &format!("/v1/proposals?limit={limit}"), None).await;
        assert_eq!(details(&r), pairs(&expected), "limit={limit}");
    }
    for limit in ["%2B1", "01", "1e0", "1.0"] {
        let r = app.propal(Method::GET, &key, &format!("/v1/proposals?limit={limit}"), None).await;
        assert_eq!(r.status, StatusCode::OK, "limit={limit}: {}", r.text);
        assert_eq!(r.json["data"].as_array().unwrap().len(), 1, "limit={limit}");
    }
}
