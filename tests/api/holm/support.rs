//! Holm test helpers: the fixture credentials, session creation and calls from a
//! chosen socket IP (a router with its own `MockConnectInfo`), and the exact
//! error bodies of CONTRACT §5.3.

use std::net::SocketAddr;

use axum::{
    Router,
    extract::connect_info::MockConnectInfo,
    http::{Method, StatusCode},
};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResponse, request, send};

pub const NORDSEC_ORG_KEY: &str = "hsp_org_N0rdsecOrgKey7Qx2Lm9Pz4Rt";
pub const BALTIC_ORG_KEY: &str = "hsp_org_BalticOrgKey5Hj8Kl1Zx3Cv";
/// MSSP, customers:read, origins 203.0.113.0/24 and partner.nordsec.example.
pub const PROD_KEY: &str = "hsp_NsProdK3y8Vb5Nc2Xz7Qw1Er6Ty";
/// MSSP, no customers:read, origin 198.51.100.7.
pub const BILLING_KEY: &str = "hsp_NsBillK2Lp4Mq6Rs8Tu0Vw2Xy";
/// Reseller, customers:read, origin dashboard.nordsec.example.
pub const DASH_KEY: &str = "hsp_NsDashK5Gh7Jk9Lz1Xc3Vb5Nm";
/// Reseller, no customers:read, no origins (acknowledged).
pub const RESELL_KEY: &str = "hsp_NsResellK9Ab3Cd5Ef7Gh1Ij2Kl";
/// MSSP, customers:read, no origins (acknowledged).
pub const DEV_KEY: &str = "hsp_NsDevK4Qw6Er8Ty0Ui2Op4As6";
/// Revoked.
pub const OLD_KEY: &str = "hsp_NsOldRevK4Mn6Op8Qr0St2Uv4Wx";
/// Baltic's key (another organization).
pub const BALTIC_KEY: &str = "hsp_BtMainK7Yu2Io4Pa6Sd8Fg0Hj3";

pub fn error_body(code: &str, message: &str) -> String {
    json!({ "error": { "code": code, "message": message } }).to_string()
}

pub fn invalid_credentials() -> String {
    error_body("invalid_credentials", "Invalid organization key or API key.")
}

pub fn invalid_session() -> String {
    error_body("invalid_session", "Invalid or missing session token.")
}

pub fn session_expired() -> String {
    error_body("session_expired", "Session has expired.")
}

pub fn ip_mismatch() -> String {
    error_body("session_ip_mismatch", "Session is bound to a different IP address.")
}

pub fn origin_not_allowed() -> String {
    error_body("origin_not_allowed", "Request origin is not allowed for this API key.")
}

pub fn session_limit() -> String {
    error_body("session_limit_reached", "Maximum number of active sessions reached.")
}

pub fn insufficient_scope(scope: &str) -> String {
    error_body("insufficient_scope", &format!("API key is missing the required scope: {scope}"))
}

pub fn rate_limited(retry_after_ms: u64) -> String {
    json!({ "error": { "code": "rate_limited", "message": "Too many requests." }, "retry_after_ms": retry_after_ms })
        .to_string()
}

/// The explain reason of a refusal (before the `;`).
pub fn reason(response: &TestResponse) -> String {
    response.header("x-emulator-explain").unwrap_or_default().split(';').next().unwrap_or_default().to_owned()
}

/// The app's main router as seen from socket IP `ip`.
pub fn router_from(app: &TestApp, ip: [u8; 4]) -> Router {
    app.app.router().layer(MockConnectInfo(SocketAddr::from((ip, 40_000))))
}

/// `POST /holm/v1/auth/session` from 127.0.0.1 with extra headers.
pub async fn open_with(app: &TestApp, org_key: &str, api_key: &str, headers: &[(&str, &str)]) -> TestResponse {
    let body = json!({ "organizer_key": org_key, "api_key": api_key });
    app.send(request(Method::POST, "/holm/v1/auth/session", Some(body), headers)).await
}

/// Opens a session that must succeed; returns its token.
pub async fn open(app: &TestApp, org_key: &str, api_key: &str, headers: &[(&str, &str)]) -> String {
    let r = open_with(app, org_key, api_key, headers).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json["session_token"].as_str().unwrap().to_owned()
}

/// A Holm call with `Authorization: Session <token>` from 127.0.0.1.
pub async fn call(app: &TestApp, token: &str, method: Method, path: &str, headers: &[(&str, &str)]) -> TestResponse {
    call_via(app.router(), token, method, path, headers).await
}

/// A Holm call through a given router (another socket IP, or a clone for parallel use).
pub async fn call_via(
    router: Router,
    token: &str,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
) -> TestResponse {
    let auth = format!("Session {token}");
    let mut all: Vec<(&str, &str)> = vec![("authorization", &auth)];
    all.extend_from_slice(headers);
    send(router, request(method, &format!("/holm{path}"), None, &all)).await
}

/// A fresh organization with one key: (organization id, organization key, api key).
pub async fn fresh_org(app: &TestApp, key: Value) -> (String, String, String) {
    let org = app.admin(Method::POST, "/_emulator/holm/organizations", Some(json!({}))).await;
    assert_eq!(org.status, StatusCode::CREATED, "{}", org.text);
    let id = org.json["organization_id"].as_str().unwrap().to_owned();
    let created = app.admin(Method::POST, &format!("/_emulator/holm/organizations/{id}/keys"), Some(key)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    (
        id,
        org.json["organization_key"].as_str().unwrap().to_owned(),
        created.json["api_key"].as_str().unwrap().to_owned(),
    )
}

/// A key body for [`fresh_org`]: MSSP with customers:read, usable from any origin.
pub fn any_origin_key() -> Value {
    json!({ "name": "Test", "partnership_type": "mssp", "customers_read": true, "allowed_origins": [], "acknowledge_any_origin": true })
}

/// The live sessions of an organization (control plane).
pub async fn sessions_of(app: &TestApp, org_id: &str) -> Vec<Value> {
    let r = app.get(&format!("/_emulator/holm/organizations/{org_id}/sessions")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["sessions"].as_array().unwrap().clone()
}
