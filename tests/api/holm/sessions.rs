//! Sessions: creation, every credential and session refusal with its exact body,
//! expiry on the emulator clock, deletion, the IP lock, the five-session cap.

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::support::*;
use crate::helpers::{TestApp, raw_request, request};

#[tokio::test]
async fn a_session_is_created_with_a_pps_token_expiring_in_one_hour_and_opens_the_api() {
    let app = TestApp::new();
    app.freeze_at("2026-06-01T10:00:00Z").await;
    let r = open_with(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let token = r.json["session_token"].as_str().unwrap();
    assert!(token.starts_with("pps_") && token.len() > 20, "{token}");
    assert_eq!(r.json["expires_at"], "2026-06-01T11:00:00Z");
    assert!(r.json.get("warning").is_none(), "locked to 127.0.0.1: no warning: {}", r.text);
    let me = call(&app, token, Method::GET, "/v1/me", &[]).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert_eq!(me.json["partner"]["id"], "org_nordsec");
    let entry = app.journal_entry(&r).await;
    assert_eq!(entry["account"], "org_nordsec");
    let steps: Vec<&str> = entry["decision"].as_array().unwrap().iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["credentials", "allowed_origins", "session_cap", "ip_lock"]);
    assert!(!entry.to_string().contains(token), "the journal never holds the token");
}

#[tokio::test]
async fn every_credential_refusal_is_401_invalid_credentials_with_its_own_reason() {
    let app = TestApp::new();
    let cases = [
        ("not-a-key", DEV_KEY, "malformed_organization_key"),
        ("hsp_org_UnknownOrgKey000000000000", DEV_KEY, "unknown_organization_key"),
        (NORDSEC_ORG_KEY, "pp_live_abc", "malformed_api_key"),
        (NORDSEC_ORG_KEY, "hsp_UnknownApiKey00000000000000", "unknown_api_key"),
        (NORDSEC_ORG_KEY, BALTIC_KEY, "unknown_api_key"),
        (BALTIC_ORG_KEY, DEV_KEY, "unknown_api_key"),
        (NORDSEC_ORG_KEY, OLD_KEY, "revoked_api_key"),
        (NORDSEC_ORG_KEY, NORDSEC_ORG_KEY, "unknown_api_key"),
    ];
    for (org_key, api_key, expected) in cases {
        let r = open_with(&app, org_key, api_key, &[]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{expected}: {}", r.text);
        assert_eq!(r.text, invalid_credentials(), "{expected}");
        assert_eq!(reason(&r), expected);
    }
    assert!(sessions_of(&app, "org_nordsec").await.is_empty());
}

#[tokio::test]
async fn malformed_session_requests_are_400_invalid_request_and_store_nothing() {
    let app = TestApp::new();
    let json_header = [("content-type", "application/json")];
    let cases: [(&str, &str); 6] = [
        ("{not json", "Invalid request body: key must be a string."),
        ("", "The request body must be a JSON object."),
        (r#"{"organizer_key":"hsp_org_x"}"#, "Invalid request body: missing field `api_key`."),
        (
            r#"{"organizer_key":42,"api_key":"hsp_x"}"#,
            "Invalid request body: invalid type: integer `42`, expected a string.",
        ),
        ("[]", "Invalid request body: invalid length 0, expected struct SessionRequest with 2 elements."),
        ("null", "Invalid request body: invalid type: null, expected struct SessionRequest."),
    ];
    for (body, message) in cases {
        let r = app.send(raw_request(Method::POST, "/holm/v1/auth/session", body, &json_header)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        assert_eq!(r.text, error_body("invalid_request", message), "{body}");
    }
    let huge = format!(r#"{{"organizer_key":"{}","api_key":"x"}}"#, "a".repeat(2 * 1024 * 1024));
    let r = app.send(raw_request(Method::POST, "/holm/v1/auth/session", huge, &json_header)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.text, error_body("invalid_request", "Request body too large."));
    assert!(sessions_of(&app, "org_nordsec").await.is_empty());
}

#[tokio::test]
async fn every_session_refusal_is_401_invalid_session_with_its_own_reason() {
    let app = TestApp::new();
    let token = open(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await;
    let bearer = format!("Bearer {token}");
    let cases: [(Option<&str>, &str); 5] = [
        (None, "missing_header"),
        (Some(&bearer), "wrong_scheme"),
        (Some("Session pps_"), "malformed_token"),
        (Some("Session pps_not a token"), "malformed_token"),
        (Some("Session pps_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), "unknown_session"),
    ];
    for (header, expected) in cases {
        let headers: Vec<(&str, &str)> = header.map(|h| ("authorization", h)).into_iter().collect();
        let r = app.send(request(Method::GET, "/holm/v1/me", None, &headers)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{expected}: {}", r.text);
        assert_eq!(r.text, invalid_session(), "{expected}");
        assert_eq!(reason(&r), expected);
    }
    let ok = call(&app, &token, Method::GET, "/v1/me", &[]).await;
    assert_eq!(ok.status, StatusCode::OK, "refusals did not touch the session: {}", ok.text);
}

#[tokio::test]
async fn a_session_expires_after_exactly_one_hour_of_emulator_time_and_frees_its_slot() {
    let app = TestApp::with_args(&["--holm-requests-per-second", "0"]);
    app.freeze_at("2026-06-01T10:00:00Z").await;
    let first = open(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await;
    for _ in 0..4 {
        open(&app, NORDSEC_ORG_KEY, RESELL_KEY, &[]).await;
    }
    assert_eq!(open_with(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await.text, session_limit());
    app.advance(3599.999).await;
    assert_eq!(call(&app, &first, Method::GET, "/v1/me", &[]).await.status, StatusCode::OK);
    assert_eq!(open_with(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await.status, StatusCode::CONFLICT);
    app.advance(0.001).await;
    let expired = call(&app, &first, Method::GET, "/v1/me", &[]).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(expired.text, session_expired());
    assert_eq!(reason(&expired), "session_expired");
    assert!(sessions_of(&app, "org_nordsec").await.is_empty(), "all five expired together");
    let again = open_with(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await;
    assert_eq!(again.status, StatusCode::CREATED, "expired sessions free their slots: {}", again.text);
    assert_eq!(again.json["expires_at"], "2026-06-01T12:00:00Z");
}

#[tokio::test]
async fn delete_ends_the_callers_session_and_frees_its_slot() {
    let app = TestApp::new();
    let mut tokens = Vec::new();
    for _ in 0..5 {
        tokens.push(open(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await);
    }
    let deleted = call(&app, &tokens[2], Method::DELETE, "/v1/auth/session", &[]).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    assert!(deleted.text.is_empty());
    let after = call(&app, &tokens[2], Method::GET, "/v1/me", &[]).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(after.text, invalid_session());
    assert_eq!(reason(&after), "unknown_session");
    assert_eq!(call(&app, &tokens[2], Method::DELETE, "/v1/auth/session", &[]).await.text, invalid_session());
    assert_eq!(sessions_of(&app, "org_nordsec").await.len(), 4);
    assert_eq!(open_with(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await.status, StatusCode::CREATED);
    assert_eq!(call(&app, &tokens[0], Method::GET, "/v1/me", &[]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_sixth_session_across_keys_is_409_and_the_cap_is_per_organization() {
    let app = TestApp::new();
    for key in [DEV_KEY, RESELL_KEY, DEV_KEY, RESELL_KEY, DEV_KEY] {
        open(&app, NORDSEC_ORG_KEY, key, &[]).await;
    }
    let sixth = open_with(&app, NORDSEC_ORG_KEY, RESELL_KEY, &[]).await;
    assert_eq!(sixth.status, StatusCode::CONFLICT);
    assert_eq!(sixth.text, session_limit());
    assert_eq!(reason(&sixth), "session_limit_reached");
    assert!(sixth.header("x-emulator-explain").unwrap().contains("org_nordsec holds 5 live sessions"));
    let other_org = open_with(&app, BALTIC_ORG_KEY, BALTIC_KEY, &[]).await;
    assert_eq!(other_org.status, StatusCode::CREATED, "another organization has its own five");
}

#[tokio::test]
async fn evict_oldest_policy_ends_the_oldest_session_instead_of_refusing() {
    let app = TestApp::with_args(&["--holm-session-cap-policy", "evict-oldest"]);
    let mut tokens = Vec::new();
    for _ in 0..6 {
        tokens.push(open(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await);
    }
    assert_eq!(sessions_of(&app, "org_nordsec").await.len(), 5);
    assert_eq!(call(&app, &tokens[0], Method::GET, "/v1/me", &[]).await.text, invalid_session());
    assert_eq!(call(&app, &tokens[1], Method::GET, "/v1/me", &[]).await.status, StatusCode::OK);
    assert_eq!(call(&app, &tokens[5], Method::GET, "/v1/me", &[]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_session_is_locked_to_the_left_most_forwarded_for_ip() {
    let app = TestApp::new();
    app.freeze_at("2026-06-01T10:00:00Z").await;
    let token = open(&app, NORDSEC_ORG_KEY, DEV_KEY, &[("x-forwarded-for", "203.0.113.5, 10.0.0.1")]).await;
    let sessions = sessions_of(&app, "org_nordsec").await;
    assert_eq!(sessions[0]["ip"], "203.0.113.5");
    let mismatch = call(&app, &token, Method::GET, "/v1/me", &[("x-forwarded-for", "198.51.100.9")]).await;
    assert_eq!(mismatch.status, StatusCode::UNAUTHORIZED);
    assert_eq!(mismatch.text, ip_mismatch());
    let explain = mismatch.header("x-emulator-explain").unwrap();
    assert_eq!(
        explain,
        "session_ip_mismatch; session is locked to IP 203.0.113.5; this request came from 198.51.100.9"
    );
    // Without the header the socket IP (127.0.0.1) is the client IP: also a mismatch.
    let socket = call(&app, &token, Method::GET, "/v1/me", &[]).await;
    assert_eq!(socket.text, ip_mismatch());
    assert!(socket.header("x-emulator-explain").unwrap().contains("from 127.0.0.1"));
    let ok = call(&app, &token, Method::GET, "/v1/me", &[("x-forwarded-for", "203.0.113.5")]).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
}

#[tokio::test]
async fn a_session_is_locked_to_the_socket_ip_without_forwarded_for() {
    let app = TestApp::new();
    let token = open(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await;
    let from_elsewhere = call_via(router_from(&app, [192, 0, 2, 44]), &token, Method::GET, "/v1/me", &[]).await;
    assert_eq!(from_elsewhere.status, StatusCode::UNAUTHORIZED);
    assert_eq!(from_elsewhere.text, ip_mismatch());
    assert!(
        from_elsewhere
            .header("x-emulator-explain")
            .unwrap()
            .contains("locked to IP 127.0.0.1; this request came from 192.0.2.44")
    );
    let entry = app.journal_entry(&from_elsewhere).await;
    assert_eq!(entry["client_ip"], "192.0.2.44");
    let last = entry["decision"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last,
        json!({"step": "ip_lock", "outcome": "fail", "detail": "session is locked to IP 127.0.0.1; this request came from 192.0.2.44"})
    );
    assert_eq!(call(&app, &token, Method::GET, "/v1/me", &[]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn unknown_holm_paths_and_methods_get_holms_404() {
    let app = TestApp::new();
    let token = open(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await;
    for (method, path) in [(Method::GET, "/v1/nope"), (Method::PUT, "/v1/me"), (Method::GET, "/v1/auth/session")] {
        let r = call(&app, &token, method.clone(), path, &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(r.text, error_body("not_found", "Not found."));
    }
}

#[tokio::test]
async fn a_client_addressing_the_real_host_runs_unchanged() {
    let app = TestApp::new();
    let host = [("host", "portal-api.holmsecurity.com")];
    let body = json!({ "organizer_key": NORDSEC_ORG_KEY, "api_key": DEV_KEY });
    let created = app.send(request(Method::POST, "/v1/auth/session", Some(body), &host)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let auth = format!("Session {}", created.json["session_token"].as_str().unwrap());
    let me = app.send(request(Method::GET, "/v1/me", None, &[host[0], ("authorization", &auth)])).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    let entry = app.journal_entry(&me).await;
    let steps: Vec<(&str, &str)> = entry["decision"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["step"].as_str().unwrap(), s["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("session", "pass"),
            ("ip_lock", "pass"),
            ("allowed_origins", "pass"),
            ("scope", "pass"),
            ("rate_limit", "pass")
        ]
    );
    assert_eq!(entry["account"], "org_nordsec");
}
