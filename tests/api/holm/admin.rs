//! The portal's actions under `/_emulator/holm`: fresh tenants, enabling API
//! access, key creation rules, the keys table, rotation, revocation, org-key
//! deletion (each ending sessions at once) and the sessions table.

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::support::*;
use crate::helpers::TestApp;

#[tokio::test]
async fn a_fresh_organization_has_both_partnerships_and_a_working_org_key() {
    let app = TestApp::new();
    let (org_id, org_key, api_key) = fresh_org(&app, any_origin_key()).await;
    assert!(org_key.starts_with("hsp_org_"));
    assert!(api_key.starts_with("hsp_") && !api_key.starts_with("hsp_org_"));
    let list = app.get("/_emulator/holm/organizations").await;
    let org =
        list.json["organizations"].as_array().unwrap().iter().find(|o| o["organization_id"] == org_id).unwrap().clone();
    assert_eq!(org["api_access_enabled"], true);
    let types: Vec<&str> =
        org["partnerships"].as_array().unwrap().iter().map(|p| p["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["mssp", "reseller"]);
    let token = open(&app, &org_key, &api_key, &[]).await;
    let me = call(&app, &token, Method::GET, "/v1/me", &[]).await;
    assert_eq!(me.json["partner"]["id"], org_id);
    let vastra = list.json["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["organization_id"] == "org_vastra")
        .unwrap()
        .clone();
    assert_eq!(vastra["api_access_enabled"], false);
}

#[tokio::test]
async fn key_creation_enforces_the_portal_form() {
    let app = TestApp::new();
    let path = "/_emulator/holm/organizations/org_nordsec/keys";
    let long = "x".repeat(101);
    let cases = [
        (
            json!({"name": long, "partnership_type": "mssp", "allowed_origins": ["192.0.2.1"]}),
            "`name` is longer than 100 characters",
        ),
        (
            json!({"name": " ", "partnership_type": "mssp", "allowed_origins": ["192.0.2.1"]}),
            "`name` must not be empty",
        ),
        (
            json!({"name": "A", "partnership_type": "mssp", "allowed_origins": []}),
            "empty `allowed_origins` lets the key be used from any IP; confirm with \"acknowledge_any_origin\": true",
        ),
        (
            json!({"name": "A", "partnership_type": "mssp", "allowed_origins": ["not a host!"]}),
            "`allowed_origins`: `not a host!` is not an IP address, CIDR range or domain",
        ),
        (
            json!({"name": "A", "partnership_id": "ps_baltic_mssp", "allowed_origins": ["192.0.2.1"]}),
            "org_nordsec has no partnership ps_baltic_mssp",
        ),
        (
            json!({"name": "A", "allowed_origins": ["192.0.2.1"]}),
            "give exactly one of `partnership_id` and `partnership_type`",
        ),
    ];
    for (body, error) in cases {
        let r = app.admin(Method::POST, path, Some(body.clone())).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        assert_eq!(r.json, json!({ "error": error }), "{body}");
    }
    let name = "n".repeat(100);
    let body = json!({"name": name, "partnership_id": "ps_nordsec_reseller", "customers_read": true,
        "allowed_origins": ["192.0.2.0/24", "app.example", "2001:db8::1"]});
    let r = app.admin(Method::POST, path, Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json["scopes"], json!(["me:read", "reseller-report:read", "customers:read"]));
    assert_eq!(r.json["prefix"], r.json["api_key"].as_str().unwrap()[..8]);
    assert_eq!(r.json["allowed_origins"], json!(["192.0.2.0/24", "app.example", "2001:db8::1"]));
    let unknown = app.admin(Method::POST, "/_emulator/holm/organizations/org_nope/keys", Some(any_origin_key())).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let off = app.admin(Method::POST, "/_emulator/holm/organizations/org_vastra/keys", Some(any_origin_key())).await;
    assert_eq!(off.status, StatusCode::CONFLICT, "{}", off.text);
}

#[tokio::test]
async fn the_keys_table_shows_prefixes_and_rotation_due_after_six_months() {
    let app = TestApp::new();
    app.freeze_at("2026-10-22T00:00:00Z").await;
    let r = app.get("/_emulator/holm/organizations/org_nordsec/keys").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.text.contains("hsp_NsProdK3y8"), "no raw key in the table");
    let due =
        |id: &str| r.json["keys"].as_array().unwrap().iter().find(|k| k["id"] == id).unwrap()["rotation_due"].clone();
    assert_eq!(due("key_nordsec_prod"), true, "created 2026-04-20: over six months");
    assert_eq!(due("key_nordsec_dash"), false, "created 2026-05-01");
    assert_eq!(due("key_nordsec_dev"), false, "rotated 2026-06-25");
    let prod = r.json["keys"].as_array().unwrap().iter().find(|k| k["id"] == "key_nordsec_prod").unwrap().clone();
    assert_eq!(prod["prefix"], "hsp_NsPr");
    let rotated = app.admin(Method::POST, "/_emulator/holm/keys/key_nordsec_prod/rotate", None).await;
    assert_eq!(rotated.json["rotation_due"], false);
    assert_eq!(rotated.json["rotated_at"], "2026-10-22T00:00:00Z");
}

#[tokio::test]
async fn rotation_ends_the_keys_sessions_at_once_and_only_the_new_key_works() {
    let app = TestApp::new();
    let dev = open(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await;
    let other = open(&app, NORDSEC_ORG_KEY, RESELL_KEY, &[]).await;
    let r = app.admin(Method::POST, "/_emulator/holm/keys/key_nordsec_dev/rotate", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let credentials = app.get("/_emulator/credentials").await.json;
    let organizations = credentials["holm"]["organizations"].as_array().unwrap().clone();
    let nordsec = organizations.iter().find(|o| o["organization_id"] == "org_nordsec").unwrap();
    let listed = nordsec["keys"].as_array().unwrap().clone();
    let listed_dev = listed.iter().find(|k| k["id"] == "key_nordsec_dev").unwrap();
    assert_eq!(listed_dev["api_key"], json!(null), "the fixture value no longer works");
    let new_key = r.json["api_key"].as_str().unwrap().to_owned();
    assert_ne!(new_key, DEV_KEY);
    assert_eq!(r.json["name"], "Local development");
    assert_eq!(r.json["scopes"], json!(["me:read", "mssp-report:read", "customers:read"]));
    assert_eq!(call(&app, &dev, Method::GET, "/v1/me", &[]).await.text, invalid_session());
    assert_eq!(
        call(&app, &other, Method::GET, "/v1/me", &[]).await.status,
        StatusCode::OK,
        "other keys' sessions live on"
    );
    let old = open_with(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await;
    assert_eq!(old.text, invalid_credentials());
    open(&app, NORDSEC_ORG_KEY, &new_key, &[]).await;
    let revoked = app.admin(Method::POST, "/_emulator/holm/keys/key_nordsec_old/rotate", None).await;
    assert_eq!(revoked.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn revocation_ends_the_keys_sessions_and_keeps_the_key_for_audit() {
    let app = TestApp::new();
    app.freeze_at("2026-06-01T10:00:00Z").await;
    let token = open(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await;
    let r = app.admin(Method::POST, "/_emulator/holm/keys/key_nordsec_dev/revoke", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["revoked_at"], "2026-06-01T10:00:00Z");
    assert!(r.json.get("api_key").is_none());
    assert_eq!(call(&app, &token, Method::GET, "/v1/me", &[]).await.text, invalid_session());
    let again = open_with(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await;
    assert_eq!(again.text, invalid_credentials());
    assert_eq!(reason(&again), "revoked_api_key");
    let keys = app.get("/_emulator/holm/organizations/org_nordsec/keys").await;
    assert!(
        keys.json["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["id"] == "key_nordsec_dev" && !k["revoked_at"].is_null())
    );
    let unknown = app.admin(Method::POST, "/_emulator/holm/keys/key_nope/revoke", None).await;
    assert_eq!(
        (unknown.status, unknown.json.clone()),
        (StatusCode::NOT_FOUND, json!({"error": "no Holm API key key_nope"}))
    );
}

#[tokio::test]
async fn deleting_the_org_key_ends_everything_and_reenabling_makes_a_new_key() {
    let app = TestApp::new();
    let token = open(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await;
    let r = app.admin(Method::DELETE, "/_emulator/holm/organizations/org_nordsec/org-key", None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(call(&app, &token, Method::GET, "/v1/me", &[]).await.text, invalid_session());
    let r = open_with(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await;
    assert_eq!(r.text, invalid_credentials());
    assert_eq!(reason(&r), "unknown_organization_key");
    let keys = app.get("/_emulator/holm/organizations/org_nordsec/keys").await;
    assert_eq!(keys.json["keys"], json!([]), "all API keys are removed");
    let again = app.admin(Method::DELETE, "/_emulator/holm/organizations/org_nordsec/org-key", None).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let enabled = app.admin(Method::POST, "/_emulator/holm/organizations/org_nordsec/enable", None).await;
    assert_eq!(enabled.status, StatusCode::CREATED, "{}", enabled.text);
    let new_org_key = enabled.json["organization_key"].as_str().unwrap();
    assert!(new_org_key.starts_with("hsp_org_") && new_org_key != NORDSEC_ORG_KEY);
    let twice = app.admin(Method::POST, "/_emulator/holm/organizations/org_nordsec/enable", None).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    let key = app.admin(Method::POST, "/_emulator/holm/organizations/org_nordsec/keys", Some(any_origin_key())).await;
    open(&app, new_org_key, key.json["api_key"].as_str().unwrap(), &[]).await;
}

#[tokio::test]
async fn the_sessions_table_lists_live_sessions_and_invalidate_ends_one() {
    let app = TestApp::new();
    app.freeze_at("2026-06-01T10:00:00Z").await;
    let token = open(&app, NORDSEC_ORG_KEY, DEV_KEY, &[("x-forwarded-for", "192.0.2.7")]).await;
    assert_eq!(
        call(&app, &token, Method::GET, "/v1/me", &[("x-forwarded-for", "192.0.2.7")]).await.status,
        StatusCode::OK
    );
    let sessions = sessions_of(&app, "org_nordsec").await;
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    assert_eq!(
        (s["key_id"].clone(), s["key_name"].clone(), s["ip"].clone()),
        (json!("key_nordsec_dev"), json!("Local development"), json!("192.0.2.7"))
    );
    assert_eq!(
        (s["created_at"].clone(), s["expires_at"].clone(), s["last_used_at"].clone()),
        (json!("2026-06-01T10:00:00Z"), json!("2026-06-01T11:00:00Z"), json!("2026-06-01T10:00:00Z"))
    );
    let id = s["id"].as_str().unwrap();
    let r = app.admin(Method::DELETE, &format!("/_emulator/holm/sessions/{id}"), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        call(&app, &token, Method::GET, "/v1/me", &[("x-forwarded-for", "192.0.2.7")]).await.text,
        invalid_session()
    );
    let gone = app.admin(Method::DELETE, &format!("/_emulator/holm/sessions/{id}"), None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    open(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await;
    let expiring = sessions_of(&app, "org_nordsec").await[0]["id"].as_str().unwrap().to_owned();
    app.advance(3600.0).await;
    let expired = app.admin(Method::DELETE, &format!("/_emulator/holm/sessions/{expiring}"), None).await;
    assert_eq!(expired.status, StatusCode::NOT_FOUND, "an expired session is no longer live");
}

#[tokio::test]
async fn reset_brings_back_the_fixture_keys_and_drops_sessions() {
    let app = TestApp::new();
    let token = open(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await;
    app.admin(Method::POST, "/_emulator/holm/keys/key_nordsec_dev/revoke", None).await;
    let r = app.admin(Method::POST, "/_emulator/reset/holm", None).await;
    assert!(r.status.is_success(), "{}", r.text);
    assert_eq!(call(&app, &token, Method::GET, "/v1/me", &[]).await.text, invalid_session());
    open(&app, NORDSEC_ORG_KEY, DEV_KEY, &[]).await;
    let credentials = app.get("/_emulator/credentials").await;
    let nordsec = &credentials.json["holm"]["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["organization_id"] == "org_nordsec")
        .unwrap()
        .clone();
    assert_eq!(nordsec["organization_key"], NORDSEC_ORG_KEY);
    assert!(nordsec["keys"].as_array().unwrap().iter().any(|k| k["api_key"] == DEV_KEY));
}

#[tokio::test]
async fn editing_origins_validates_like_creation_and_revoked_keys_stay_as_they_are() {
    let app = TestApp::new();
    let path = "/_emulator/holm/keys/key_nordsec_prod";
    let cases = [
        (json!({"allowed_origins": []}), StatusCode::BAD_REQUEST),
        (json!({"allowed_origins": ["10.0.0.0/33"]}), StatusCode::BAD_REQUEST),
        (json!({"allowed_origins": ["192.0.2.1"], "name": "renamed"}), StatusCode::BAD_REQUEST),
    ];
    for (body, status) in cases {
        let r = app.admin(Method::PATCH, path, Some(body.clone())).await;
        assert_eq!(r.status, status, "{body}: {}", r.text);
        assert!(r.json["error"].is_string(), "{}", r.text);
    }
    let keys = app.get("/_emulator/holm/organizations/org_nordsec/keys").await;
    let prod = keys.json["keys"].as_array().unwrap().iter().find(|k| k["id"] == "key_nordsec_prod").unwrap().clone();
    assert_eq!(
        prod["allowed_origins"],
        json!(["203.0.113.0/24", "partner.nordsec.example"]),
        "refused edits change nothing"
    );
    let open_any =
        app.admin(Method::PATCH, path, Some(json!({"allowed_origins": [], "acknowledge_any_origin": true}))).await;
    assert_eq!(open_any.status, StatusCode::OK, "{}", open_any.text);
    assert_eq!(open_any.json["allowed_origins"], json!([]));
    let revoked = app
        .admin(Method::PATCH, "/_emulator/holm/keys/key_nordsec_old", Some(json!({"allowed_origins": ["192.0.2.1"]})))
        .await;
    assert_eq!(revoked.status, StatusCode::CONFLICT, "{}", revoked.text);
    let unknown = app
        .admin(Method::PATCH, "/_emulator/holm/keys/key_nope", Some(json!({"allowed_origins": ["192.0.2.1"]})))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let malformed = app
        .send(crate::helpers::raw_request(
            Method::POST,
            "/_emulator/holm/organizations",
            "{nope",
            &[("content-type", "application/json")],
        ))
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST, "{}", malformed.text);
    assert_eq!(app.get("/_emulator/holm/organizations").await.json["organizations"].as_array().unwrap().len(), 3);
}
