//! The four rows of the seed's "Allowed origins" table, at creation and on every
//! use, with IP, CIDR and domain rules.

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::support::*;
use crate::helpers::TestApp;

const WARNING: &str =
    "Session created without IP lock: the request origin could not be determined, so the session works from any IP.";

#[tokio::test]
async fn row_1_no_rules_and_an_origin_locks_the_session_to_the_request_ip() {
    let app = TestApp::new();
    let r = open_with(&app, NORDSEC_ORG_KEY, DEV_KEY, &[("x-forwarded-for", "192.0.2.10")]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.json.get("warning").is_none());
    let token = r.json["session_token"].as_str().unwrap();
    assert_eq!(
        call(&app, token, Method::GET, "/v1/me", &[("x-forwarded-for", "192.0.2.11")]).await.text,
        ip_mismatch()
    );
    let ok =
        call(&app, token, Method::GET, "/v1/me", &[("x-forwarded-for", "192.0.2.10"), ("origin", "https://x.example")])
            .await;
    assert_eq!(ok.status, StatusCode::OK, "no rules: any Origin is fine");
}

#[tokio::test]
async fn row_2_no_rules_and_no_origin_gives_an_unlocked_session_with_a_warning() {
    let app = TestApp::with_args(&["--holm-ignore-socket-ip", "--holm-requests-per-second", "0"]);
    let r = open_with(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json["warning"], WARNING);
    assert_eq!(r.json.as_object().unwrap().len(), 3, "{}", r.text);
    let token = r.json["session_token"].as_str().unwrap();
    assert_eq!(sessions_of(&app, "org_nordsec").await[0]["ip"], json!(null));
    for xff in ["198.51.100.1", "203.0.113.99", "2001:db8::1"] {
        let r = call(&app, token, Method::GET, "/v1/me", &[("x-forwarded-for", xff)]).await;
        assert_eq!(r.status, StatusCode::OK, "{xff}: {}", r.text);
    }
    assert_eq!(call(&app, token, Method::GET, "/v1/me", &[]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn row_3_rules_admit_a_matching_ip_cidr_or_domain_and_refuse_the_rest_at_creation() {
    let app = TestApp::new();
    let allowed: [(&str, &[(&str, &str)]); 5] = [
        (PROD_KEY, &[("x-forwarded-for", "203.0.113.77")]),
        (PROD_KEY, &[("origin", "https://partner.nordsec.example")]),
        (PROD_KEY, &[("referer", "https://Partner.Nordsec.Example:8443/reports?x=1")]),
        (BILLING_KEY, &[("x-forwarded-for", "198.51.100.7")]),
        (DASH_KEY, &[("origin", "https://dashboard.nordsec.example")]),
    ];
    for (key, headers) in allowed {
        let r = open_with(&app, NORDSEC_ORG_KEY, key, headers).await;
        assert_eq!(r.status, StatusCode::CREATED, "{headers:?}: {}", r.text);
        let token = r.json["session_token"].as_str().unwrap().to_owned();
        assert_eq!(
            call(&app, &token, Method::DELETE, "/v1/auth/session", headers).await.status,
            StatusCode::NO_CONTENT
        );
    }
    let refused: [(&str, &[(&str, &str)]); 5] = [
        (PROD_KEY, &[]),
        (PROD_KEY, &[("x-forwarded-for", "203.0.114.1")]),
        (PROD_KEY, &[("origin", "https://evil.example"), ("referer", "https://partner.nordsec.example/")]),
        (BILLING_KEY, &[("x-forwarded-for", "198.51.100.8")]),
        (DASH_KEY, &[("origin", "https://www.dashboard.nordsec.example")]),
    ];
    for (key, headers) in refused {
        let r = open_with(&app, NORDSEC_ORG_KEY, key, headers).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{headers:?}: {}", r.text);
        assert_eq!(r.text, origin_not_allowed());
        assert_eq!(reason(&r), "origin_not_allowed");
    }
    assert!(sessions_of(&app, "org_nordsec").await.is_empty());
}

#[tokio::test]
async fn row_3_both_the_ip_lock_and_the_rules_are_checked_on_every_request() {
    let app = TestApp::new();
    let origin = [("origin", "https://partner.nordsec.example")];
    let token = open(&app, NORDSEC_ORG_KEY, PROD_KEY, &origin).await;
    let missing = call(&app, &token, Method::GET, "/v1/me", &[]).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert_eq!(missing.text, origin_not_allowed());
    assert!(missing.header("x-emulator-explain").unwrap().contains("matches none of key key_nordsec_prod"));
    let wrong_ip = call(&app, &token, Method::GET, "/v1/me", &[("x-forwarded-for", "203.0.113.8"), origin[0]]).await;
    assert_eq!(wrong_ip.text, ip_mismatch(), "an IP inside the CIDR is still not the session's IP");
    let ok = call(&app, &token, Method::GET, "/v1/me", &origin).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
}

#[tokio::test]
async fn row_4_rules_and_no_origin_refuse_creation_with_403() {
    let app = TestApp::with_args(&["--holm-ignore-socket-ip"]);
    let r = open_with(&app, NORDSEC_ORG_KEY, PROD_KEY, &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.text, origin_not_allowed());
    assert_eq!(reason(&r), "origin_unavailable");
    assert!(sessions_of(&app, "org_nordsec").await.is_empty());
    // The same key with its origin available works.
    let ok = open_with(&app, NORDSEC_ORG_KEY, PROD_KEY, &[("x-forwarded-for", "203.0.113.1")]).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
}

#[tokio::test]
async fn a_domain_only_session_without_client_ip_is_unlocked_but_keeps_its_rules() {
    let app = TestApp::with_args(&["--holm-ignore-socket-ip", "--holm-requests-per-second", "0"]);
    let origin = [("origin", "https://dashboard.nordsec.example")];
    let r = open_with(&app, NORDSEC_ORG_KEY, DASH_KEY, &origin).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json["warning"], WARNING, "no client IP: no lock");
    let token = r.json["session_token"].as_str().unwrap();
    assert_eq!(call(&app, token, Method::GET, "/v1/me", &[]).await.text, origin_not_allowed());
    let ok = call(&app, token, Method::GET, "/v1/me", &[origin[0], ("x-forwarded-for", "192.0.2.1")]).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
}

#[tokio::test]
async fn edited_origins_apply_to_the_next_request_of_a_live_session() {
    let app = TestApp::new();
    let xff = [("x-forwarded-for", "198.51.100.7")];
    let token = open(&app, NORDSEC_ORG_KEY, BILLING_KEY, &xff).await;
    let patch = json!({ "allowed_origins": ["192.0.2.0/24"] });
    let r = app.admin(Method::PATCH, "/_emulator/holm/keys/key_nordsec_billing", Some(patch)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["allowed_origins"], json!(["192.0.2.0/24"]));
    assert_eq!(call(&app, &token, Method::GET, "/v1/me", &xff).await.text, origin_not_allowed());
}
