//! Test helpers: an in-process app per test (own clock, store and journal), request
//! builders and a response reader that holds every answer to the OpenAPI document:
//! a response from a documented operation must have a documented status, and its
//! JSON body must match the schema documented for that status.

#![allow(dead_code)]

use std::net::SocketAddr;

use axum::{
    Router,
    body::Body,
    extract::connect_info::MockConnectInfo,
    http::{HeaderMap, Method, Request, StatusCode},
};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use vendor_emulator::{App, Config, Vendor, build_app, routing::MatchedRoute};

/// A fresh emulator for one test.
pub struct TestApp {
    pub app: App,
    router: Router,
}

impl TestApp {
    /// Defaults, plus `--seed 42` so generated ids are stable.
    pub fn new() -> Self {
        Self::with_args(&[])
    }

    /// With extra flags, e.g. `&["--propal-rate-limit", "3"]`.
    pub fn with_args(args: &[&str]) -> Self {
        let mut all = vec!["--seed", "42"];
        all.extend_from_slice(args);
        let app = build_app(Config::from_args(all)).expect("app builds");
        let router = app.router().layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40_000))));
        Self { app, router }
    }

    /// The main listener's router (for concurrent use: clone it).
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        send(self.router.clone(), request).await
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(request(Method::GET, path, None, &[])).await
    }

    /// A control-plane call with a JSON body.
    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> TestResponse {
        self.send(request(method, path, body, &[])).await
    }

    /// Freezes the clock at `at` (RFC 3339).
    pub async fn freeze_at(&self, at: &str) {
        let r = self.admin(Method::POST, "/_emulator/clock", Some(json!({"freeze": true}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let r = self.admin(Method::POST, "/_emulator/clock", Some(json!({"set": at}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }

    pub async fn advance(&self, seconds: f64) {
        let r = self.admin(Method::POST, "/_emulator/clock", Some(json!({"advance_seconds": seconds}))).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }

    /// The raw fixture key named `name` (from `/_emulator/credentials`).
    pub async fn propal_key(&self, name: &str) -> String {
        let creds = self.get("/_emulator/credentials").await.json;
        creds["propal"]["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == name)
            .unwrap_or_else(|| panic!("no fixture key named {name}"))["key"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A fresh Propal organization with a key holding `scopes` (all when `None`): (org id, raw key).
    pub async fn propal_org(&self, scopes: Option<&[&str]>) -> (String, String) {
        let body = match scopes {
            Some(s) => json!({ "scopes": s }),
            None => json!({}),
        };
        let r = self.admin(Method::POST, "/_emulator/propal/organizations", Some(body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        (r.json["organization_id"].as_str().unwrap().to_owned(), r.json["key"]["key"].as_str().unwrap().to_owned())
    }

    /// A Propal call with `Authorization: Bearer <key>`, path under `/propal`.
    pub async fn propal(&self, method: Method, key: &str, path: &str, body: Option<Value>) -> TestResponse {
        let auth = format!("Bearer {key}");
        self.send(request(method, &format!("/propal{path}"), body, &[("authorization", &auth)])).await
    }

    /// The journal entry of a response.
    pub async fn journal_entry(&self, response: &TestResponse) -> Value {
        let id = response.header("x-emulator-request-id").expect("request id header");
        let r = self.get(&format!("/_emulator/journal/{id}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.json
    }
}

/// Builds a request; a JSON body gets `Content-Type: application/json`.
pub fn request(method: Method, path: &str, body: Option<Value>, headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    match body {
        Some(body) => builder.header("content-type", "application/json").body(Body::from(body.to_string())).unwrap(),
        None => builder.body(Body::empty()).unwrap(),
    }
}

/// A raw-body request (malformed JSON, oversized input).
pub fn raw_request(method: Method, path: &str, body: impl Into<Body>, headers: &[(&str, &str)]) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(path);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(body.into()).unwrap()
}

pub async fn send(router: Router, request: Request<Body>) -> TestResponse {
    let method = request.method().clone();
    let response = router.oneshot(request).await.unwrap();
    let route = response.extensions().get::<MatchedRoute>().cloned();
    let vendor = response.extensions().get::<Vendor>().copied();
    let mut response = TestResponse::read(response).await;
    if let Some(route) = route {
        let path = vendor.map_or_else(|| route.0.clone(), |v| format!("{}{}", v.prefix(), route.0));
        crate::openapi_check::check_response(&method, &path, &response);
        response.documented_path = Some(path);
    }
    response
}

/// A response read whole.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    /// The body as sent (an archive, an image), for the bodies that are not text.
    pub bytes: axum::body::Bytes,
    /// `Value::Null` when the body is not JSON.
    pub json: Value,
    /// The route that answered, as the whole OpenAPI document names its path
    /// (`/propal/v1/leads/{id}`); `None` when a fallback answered.
    pub documented_path: Option<String>,
}

impl TestResponse {
    pub async fn read(response: axum::response::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Self { status, headers, text, json, bytes, documented_path: None }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}
