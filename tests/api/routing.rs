//! Routing (CONTRACT §3, §4): each vendor is reachable by path prefix, by `Host`
//! header (real host names and `--host-alias`) and on its dedicated listener;
//! unknown routes get the right 404 shape, oversized bodies get 413 in the
//! vendor's shape, and every response carries `X-Emulator-Request-Id`.

use std::{
    collections::{HashSet, VecDeque},
    pin::Pin,
    task::{Context, Poll},
};

use axum::{
    body::{Body, Bytes},
    http::{Method, StatusCode},
};
use hyper::body::{Frame, SizeHint};
use serde_json::{Value, json};
use vendor_emulator::Vendor;

use crate::helpers::{TestApp, TestResponse, raw_request, request, send};

const FULL_ACCESS: &str = "Internal tools (full access)";

async fn organization_via_host(app: &TestApp, host: &str) -> TestResponse {
    let key = app.propal_key(FULL_ACCESS).await;
    let auth = format!("Bearer {key}");
    app.send(request(Method::GET, "/v1/organization", None, &[("host", host), ("authorization", &auth)])).await
}

#[tokio::test]
async fn the_propal_prefix_serves_propal_on_the_main_listener() {
    let app = TestApp::new();
    let key = app.propal_key(FULL_ACCESS).await;

    let r = app.propal(Method::GET, &key, "/v1/organization", None).await;

    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.json["id"].is_string(), "{}", r.text);
    assert!(r.json["name"].is_string(), "{}", r.text);
}

#[tokio::test]
async fn the_real_propal_host_is_served_at_the_root_path() {
    let app = TestApp::new();

    let r = organization_via_host(&app, "api.propal.io").await;

    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.json["id"].is_string(), "{}", r.text);
}

#[tokio::test]
async fn the_real_propal_host_with_a_port_and_other_case_is_still_propal() {
    let app = TestApp::new();

    let with_port = organization_via_host(&app, "api.propal.io:8080").await;
    let upper_case = organization_via_host(&app, "API.Propal.IO:443").await;

    assert_eq!(with_port.status, StatusCode::OK, "{}", with_port.text);
    assert_eq!(upper_case.status, StatusCode::OK, "{}", upper_case.text);
}

#[tokio::test]
async fn a_host_alias_routes_its_host_to_the_vendor() {
    let app = TestApp::with_args(&["--host-alias", "propal.test=propal"]);

    let r = organization_via_host(&app, "propal.test").await;

    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.json["id"].is_string(), "{}", r.text);
}

#[tokio::test]
async fn a_host_that_is_not_an_alias_is_routed_by_path() {
    let app = TestApp::new();

    let r = organization_via_host(&app, "propal.test").await;

    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(r.json["error"], "unknown route", "{}", r.text);
}

#[tokio::test]
async fn an_unknown_prefix_gets_unknown_route_naming_the_three_prefixes() {
    let app = TestApp::new();

    let r = app.get("/acme/v1/things").await;

    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(r.json["error"], "unknown route", "{}", r.text);
    let prefixes: Vec<&str> =
        r.json["prefixes"].as_array().expect("prefixes listed").iter().filter_map(Value::as_str).collect();
    assert_eq!(prefixes, ["/portalio", "/propal", "/holm"], "{}", r.text);
}

#[tokio::test]
async fn a_path_that_only_starts_like_a_prefix_is_an_unknown_route() {
    let app = TestApp::new();

    let r = app.get("/propalx/v1/organization").await;

    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(r.json["error"], "unknown route", "{}", r.text);
}

#[tokio::test]
async fn an_unknown_propal_path_gets_propals_own_404_body_once_authenticated() {
    let app = TestApp::new();
    let key = app.propal_key(FULL_ACCESS).await;

    let anonymous = app.get("/propal/v1/no-such-resource").await;
    let bad_key = app.propal(Method::GET, "pp_live_nope", "/v1/no-such-resource", None).await;
    let with_key = app.propal(Method::GET, &key, "/v1/no-such-resource", None).await;
    let wrong_method = app.propal(Method::PUT, &key, "/v1/leads", None).await;

    let unauthorized = json!({"error": {"code": "unauthorized", "message": "Invalid API key."}});
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{}", anonymous.text);
    assert_eq!(anonymous.json, unauthorized, "{}", anonymous.text);
    assert_eq!(bad_key.status, StatusCode::UNAUTHORIZED, "{}", bad_key.text);
    assert_eq!(bad_key.json, unauthorized, "{}", bad_key.text);
    assert!(
        bad_key.header("x-emulator-explain").is_some_and(|e| e.starts_with("unknown_key")),
        "{:?}",
        bad_key.headers
    );
    let not_found = json!({"error": {"code": "not_found", "message": "Not found."}});
    assert_eq!(with_key.status, StatusCode::NOT_FOUND, "{}", with_key.text);
    assert_eq!(with_key.json, not_found, "{}", with_key.text);
    assert!(with_key.header("x-ratelimit-remaining").is_some(), "the unknown path was counted: {:?}", with_key.headers);
    assert_eq!(wrong_method.status, StatusCode::NOT_FOUND, "{}", wrong_method.text);
    assert_eq!(wrong_method.json, not_found, "{}", wrong_method.text);
}

#[tokio::test]
async fn an_unserved_method_on_a_known_propal_path_needs_a_key_first() {
    let app = TestApp::new();

    let r = app.propal(Method::PUT, "pp_live_nope", "/v1/leads", None).await;

    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(r.json, json!({"error": {"code": "unauthorized", "message": "Invalid API key."}}), "{}", r.text);
}

#[tokio::test]
async fn a_method_propal_does_not_serve_gets_propals_own_404_body() {
    let app = TestApp::new();
    let key = app.propal_key(FULL_ACCESS).await;

    let r = app.propal(Method::DELETE, &key, "/v1/organization", None).await;

    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(r.json, json!({"error": {"code": "not_found", "message": "Not found."}}), "{}", r.text);
}

#[tokio::test]
async fn an_unknown_portalio_path_gets_portalios_message_body() {
    let app = TestApp::new();

    let r = app.get("/portalio/no-such-resource").await;

    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    let body = r.json.as_object().expect("a JSON object");
    assert_eq!(body.keys().collect::<Vec<_>>(), ["message"], "{}", r.text);
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{}", r.text);
}

#[tokio::test]
async fn an_unknown_holm_path_gets_holms_error_body() {
    let app = TestApp::new();

    let r = app.get("/holm/v1/no-such-resource").await;

    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(r.json["error"]["code"], "not_found", "{}", r.text);
    assert!(r.json["error"]["message"].is_string(), "{}", r.text);
}

#[tokio::test]
async fn the_dedicated_propal_listener_serves_propal_at_the_root_path() {
    let app = TestApp::new();
    let key = app.propal_key(FULL_ACCESS).await;
    let auth = format!("Bearer {key}");
    let dedicated = app.app.dedicated_router(Vendor::Propal);

    let r = send(dedicated.clone(), request(Method::GET, "/v1/organization", None, &[("authorization", &auth)])).await;
    let prefixed =
        send(dedicated, request(Method::GET, "/propal/v1/organization", None, &[("authorization", &auth)])).await;

    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.json["id"].is_string(), "{}", r.text);
    assert!(r.header("x-emulator-request-id").is_some());
    assert_eq!(prefixed.status, StatusCode::NOT_FOUND, "{}", prefixed.text);
    assert_eq!(prefixed.json["error"]["code"], "not_found", "{}", prefixed.text);
}

#[tokio::test]
async fn the_control_plane_is_not_on_a_dedicated_listener() {
    let app = TestApp::new();
    let key = app.propal_key(FULL_ACCESS).await;
    let dedicated = app.app.dedicated_router(Vendor::Propal);
    let auth = format!("Bearer {key}");

    let r = send(dedicated, request(Method::GET, "/_emulator/health", None, &[("authorization", &auth)])).await;

    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert_eq!(r.json, json!({"error": {"code": "not_found", "message": "Not found."}}), "{}", r.text);
}

#[tokio::test]
async fn a_declared_body_over_the_limit_gets_413_in_each_vendors_shape() {
    let app = TestApp::with_args(&["--max-body-bytes", "100"]);
    let key = app.propal_key(FULL_ACCESS).await;
    let auth = format!("Bearer {key}");
    let body = json!({ "name": "x".repeat(200) }).to_string();
    let length = body.len().to_string();
    let headers =
        [("content-type", "application/json"), ("content-length", length.as_str()), ("authorization", auth.as_str())];

    let propal = app.send(raw_request(Method::POST, "/propal/v1/leads", body.clone(), &headers)).await;
    let portalio = app.send(raw_request(Method::POST, "/portalio/public/proposals", body.clone(), &headers)).await;
    let holm = app.send(raw_request(Method::POST, "/holm/v1/auth/session", body, &headers)).await;

    assert_eq!(propal.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", propal.text);
    assert_eq!(
        propal.json,
        json!({"error": {"code": "validation_error", "message": "Request body too large."}}),
        "{}",
        propal.text
    );
    assert!(propal.header("x-emulator-explain").is_some_and(|e| e.starts_with("payload_too_large; ")));
    assert_eq!(portalio.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", portalio.text);
    assert!(portalio.json["message"].is_string(), "{}", portalio.text);
    assert_eq!(holm.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", holm.text);
    assert!(holm.json["error"]["code"].is_string(), "{}", holm.text);
}

#[tokio::test]
async fn a_refused_oversized_body_creates_nothing() {
    let app = TestApp::with_args(&["--max-body-bytes", "100"]);
    let key = app.propal_key(FULL_ACCESS).await;
    let auth = format!("Bearer {key}");
    let before = app.propal(Method::GET, &key, "/v1/leads", None).await.json["pagination"]["total_count"].clone();
    let body = json!({ "name": "x".repeat(200) }).to_string();
    let length = body.len().to_string();

    let r = app
        .send(raw_request(
            Method::POST,
            "/propal/v1/leads",
            body,
            &[("content-type", "application/json"), ("content-length", &length), ("authorization", &auth)],
        ))
        .await;

    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    let after = app.propal(Method::GET, &key, "/v1/leads", None).await.json["pagination"]["total_count"].clone();
    assert_eq!(after, before);
}

/// A request body that arrives in chunks and declares no length, like a chunked upload.
struct Chunked(VecDeque<Bytes>);

impl hyper::body::Body for Chunked {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Poll::Ready(self.0.pop_front().map(|chunk| Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

#[tokio::test]
async fn a_streamed_body_over_the_limit_gets_413_in_propals_shape() {
    let app = TestApp::with_args(&["--max-body-bytes", "100"]);
    let key = app.propal_key(FULL_ACCESS).await;
    let auth = format!("Bearer {key}");
    let chunks = [&b"{\"name\":\""[..], &[b'x'; 80][..], &[b'y'; 80][..], &b"\"}"[..]];
    let body = Body::new(Chunked(chunks.iter().map(|c| Bytes::copy_from_slice(c)).collect()));

    let r = app
        .send(raw_request(
            Method::POST,
            "/propal/v1/leads",
            body,
            &[("content-type", "application/json"), ("authorization", &auth)],
        ))
        .await;

    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    assert_eq!(
        r.json,
        json!({"error": {"code": "validation_error", "message": "Request body too large."}}),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn every_response_carries_a_distinct_request_id() {
    let app = TestApp::with_args(&["--max-body-bytes", "100"]);
    let key = app.propal_key(FULL_ACCESS).await;
    let big = "x".repeat(200);
    let big_length = big.len().to_string();

    let responses = [
        app.propal(Method::GET, &key, "/v1/organization", None).await,
        app.propal(Method::GET, "pp_live_doesnotexist", "/v1/organization", None).await,
        app.get("/propal/v1/no-such-resource").await,
        app.get("/portalio/no-such-resource").await,
        app.get("/holm/v1/no-such-resource").await,
        app.get("/acme").await,
        app.get("/_emulator/health").await,
        app.get("/_emulator/no-such-route").await,
        app.send(raw_request(Method::POST, "/propal/v1/leads", big, &[("content-length", &big_length)])).await,
    ];

    let ids: Vec<&str> = responses
        .iter()
        .map(|r| {
            r.header("x-emulator-request-id").unwrap_or_else(|| panic!("no request id on {} {}", r.status, r.text))
        })
        .collect();
    assert!(ids.iter().all(|id| id.starts_with("req_")), "{ids:?}");
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len(), "{ids:?}");
}
