//! Over a real socket: the peer address comes from `ConnectInfo`, so the IP lock
//! works in the served binary, not only under `MockConnectInfo`.

use axum::{
    body::Body,
    http::{Request, StatusCode},
};
use http_body_util::BodyExt;
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use serde_json::{Value, json};
use vendor_emulator::{Vendor, harness::Emulator};

use super::support::*;

async fn exchange(url: String, method: &str, headers: &[(&str, &str)], body: Option<Value>) -> (StatusCode, Value) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Body>();
    let mut request = Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let response = client.request(request.body(body).unwrap()).await.expect("request");
    let status = response.status();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_served_session_is_locked_to_the_real_peer_address() {
    let emulator = Emulator::with_args(["--holm-requests-per-second", "0"]).await.expect("the emulator starts");
    let base = emulator.base_url(Vendor::Holm);
    let body = json!({ "organizer_key": NORDSEC_ORG_KEY, "api_key": DEV_KEY });
    let (status, created) = exchange(format!("{base}/auth/session"), "POST", &[], Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(created.get("warning").is_none(), "locked to the real peer 127.0.0.1: {created}");
    let auth = format!("Session {}", created["session_token"].as_str().unwrap());
    let (status, me) = exchange(format!("{base}/me"), "GET", &[("authorization", &auth)], None).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let elsewhere = [("authorization", auth.as_str()), ("x-forwarded-for", "198.51.100.4")];
    let (status, refused) = exchange(format!("{base}/me"), "GET", &elsewhere, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.to_string(), ip_mismatch());
    emulator.stop().await.unwrap();
}
