//! The Portal.io control plane: fresh dealer accounts (isolated tenants), deletion,
//! user-key rotation, proposal status, the signing oracle, and credentials.

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::signer::{Call, Client, DATE, NOW, canonical, hmac_b64, reason};
use crate::helpers::TestApp;

#[tokio::test]
async fn a_fresh_account_comes_with_its_own_app_and_user_and_sees_only_its_own_data() {
    let app = TestApp::new();
    app.freeze_at(NOW).await;
    let (client, created) = Client::fresh(&app, json!({"name": "Test Dealer"})).await;
    assert_eq!(created["name"], "Test Dealer");
    assert_eq!(created["users"].as_array().unwrap().len(), 1);
    assert_eq!(created["users"][0]["user_key"].as_str().unwrap().len(), 44);
    let r = client.get(&app, "/public/users").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.header("x-emulator-explain"));
    assert_eq!(r.json["usersCount"], 1);
    assert_eq!(client.get(&app, "/public/proposals").await.json["proposalCount"], 0);
    assert_eq!(client.get(&app, "/public/proposals/1042").await.status, StatusCode::NOT_FOUND);
    // Its user can exchange credentials too.
    let user = &created["users"][0];
    let path = format!(
        "/authenticate/apikeyexchange?UserName={}&Password={}",
        user["username"].as_str().unwrap().replace('@', "%40"),
        user["password"].as_str().unwrap()
    );
    assert_eq!(client.get(&app, &path).await.json["meta"]["apiKey"], user["user_key"]);
    // The credentials endpoint lists the new app and account.
    let creds = app.get("/_emulator/credentials").await.json;
    assert!(creds["portalio"]["apps"].as_array().unwrap().iter().any(|a| a["app_id"] == created["app_id"]));
    assert!(creds["portalio"]["accounts"].as_array().unwrap().iter().any(|a| a["account_id"] == created["account_id"]));
}

#[tokio::test]
async fn a_fresh_account_takes_user_flags() {
    let app = TestApp::new();
    app.freeze_at(NOW).await;
    let body = json!({"users": [
        {"username": "a@x.example", "catalog_access": false},
        {"username": "b@x.example", "subscription_active": false},
        {"username": "c@x.example", "email_verified": false},
    ]});
    let (client, created) = Client::fresh(&app, body).await;
    assert_eq!(client.get(&app, "/public/catalog").await.status, StatusCode::FORBIDDEN);
    let b = Client { user_key: created["users"][1]["user_key"].as_str().unwrap().to_owned(), ..client.clone() };
    assert_eq!(b.get(&app, "/public/users").await.status, StatusCode::PAYMENT_REQUIRED);
    let c = Client { user_key: created["users"][2]["user_key"].as_str().unwrap().to_owned(), ..client.clone() };
    assert_eq!(reason(&c.get(&app, "/public/users").await), "email_not_verified");
    let r = app
        .admin(Method::POST, "/_emulator/portalio/accounts", Some(json!({"users": [{"username": "a@x.example"}]})))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json, json!({"error": "username `a@x.example` is already taken"}));
    let r = app.admin(Method::POST, "/_emulator/portalio/accounts", Some(json!({"nmae": "typo"}))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn deleting_an_account_revokes_its_users_keys() {
    let app = TestApp::new();
    app.freeze_at(NOW).await;
    let (client, created) = Client::fresh(&app, json!({})).await;
    let id = created["account_id"].as_u64().unwrap();
    let r = app.admin(Method::DELETE, &format!("/_emulator/portalio/accounts/{id}"), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(reason(&client.get(&app, "/public/users").await), "unknown_user_key");
    let r = app.admin(Method::DELETE, &format!("/_emulator/portalio/accounts/{id}"), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json, json!({"error": format!("no Portal.io account {id}")}));
}

#[tokio::test]
async fn setting_a_proposal_accepted_locks_it_against_edits() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let r =
        app.admin(Method::POST, "/_emulator/portalio/proposals/1042/status", Some(json!({"status": "accepted"}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["status"], "Accepted");
    assert_eq!(r.json["clientLastDecisionDate"], "2026-04-06T00:22:19Z");
    assert_eq!(client.post_form(&app, "/public/proposals/1042/area", "Name=Den").await.status, StatusCode::CONFLICT);
    let r =
        app.admin(Method::POST, "/_emulator/portalio/proposals/1042/status", Some(json!({"status": "Draft"}))).await;
    assert_eq!(r.json["status"], "Draft");
    assert_eq!(client.post_form(&app, "/public/proposals/1042/area", "Name=Den").await.status, StatusCode::OK);
    let r = app.admin(Method::POST, "/_emulator/portalio/proposals/1042/status", Some(json!({"status": "Sent"}))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app.admin(Method::POST, "/_emulator/portalio/proposals/77/status", Some(json!({"status": "Draft"}))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_signing_oracle_agrees_with_the_docs_and_its_signature_is_accepted() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let url = format!("{}/public/proposals?PageNumber=1", client.base);
    let r = app
        .admin(
            Method::POST,
            "/_emulator/portalio/sign",
            Some(json!({"method": "GET", "url": url, "user_key": client.user_key, "app_id": client.app_id})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["date"], DATE, "defaults to the emulator clock");
    let expected = canonical("GET", &format!("{}/public/proposals", client.base), None, DATE, Some(&client.user_key));
    assert_eq!(r.json["canonical_string"], expected.as_str());
    assert_eq!(r.json["signature"], hmac_b64(client.secret.as_bytes(), &expected).as_str());
    let mut call = Call::new(Method::GET, "/public/proposals?PageNumber=1");
    call.signature = Some(r.json["signature"].as_str().unwrap().to_owned());
    assert_eq!(client.send(&app, call).await.status, StatusCode::OK);
    let r = app
        .admin(
            Method::POST,
            "/_emulator/portalio/sign",
            Some(json!({"method": "GET", "url": "https://sandbox.api.portal.io/authenticate/apikeyexchange", "date": "Mon, 06 Apr 2026 00:22:19 GMT", "secret_key": "dGVzdC1zZWNyZXQta2V5LTAxMjM0NTY3ODk="})),
        )
        .await;
    assert_eq!(r.json["signature"], "K6z6PeUlsYS1X7qjIaD8rRxTkQLK4M7SLWt+UprvoJM=");
    for body in [
        json!({"method": "GET", "url": "/public/users", "secret_key": "x"}),
        json!({"method": "GET", "url": "http://h/p"}),
        json!({"method": "GET", "url": "http://h/p", "app_id": "nope"}),
        json!({"method": "GET", "url": "http://h/p", "secret_key": "x", "date": "today"}),
    ] {
        let r = app.admin(Method::POST, "/_emulator/portalio/sign", Some(body.clone())).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert!(r.json["error"].is_string());
    }
}

#[tokio::test]
async fn reset_brings_back_the_fixtures_and_drops_fresh_accounts() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let (fresh, _) = Client::fresh(&app, json!({})).await;
    client.post_form(&app, "/public/proposals/1042/area", "Name=Den").await;
    let r = app.admin(Method::POST, "/_emulator/reset/portalio", None).await;
    assert!(r.status.is_success(), "{}", r.text);
    let areas = client.get(&app, "/public/proposals/1042").await.json["areas"].as_array().unwrap().len();
    assert_eq!(areas, 2);
    assert_eq!(reason(&fresh.get(&app, "/public/users").await), "unknown_app_id");
}

#[test]
fn the_sign_subcommand_prints_the_canonical_string_and_signature() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vendor-emulator"))
        .args([
            "sign",
            "portalio",
            "--method",
            "POST",
            "--url",
            "https://sandbox.api.portal.io/public/proposals?ignored=1",
            "--content-type",
            "application/x-www-form-urlencoded",
            "--date",
            DATE,
            "--secret",
            "dGVzdC1zZWNyZXQta2V5LTAxMjM0NTY3ODk=",
            "--user-key",
            "qBOSOYDeZaSzTxqMCL1Kr66JpU2H6wHCLz7xviZUOcA=",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    // Reference §3.6 row C, K1 column.
    assert_eq!(
        text,
        "canonical string: POSThttps://sandbox.api.portal.io/public/proposalsapplication/x-www-form-urlencodedMon, 06 Apr 2026 00:22:19 GMTqBOSOYDeZaSzTxqMCL1Kr66JpU2H6wHCLz7xviZUOcA=\n\
         X-MSS-CUSTOM-DATE: Mon, 06 Apr 2026 00:22:19 GMT\n\
         X-MSS-SIGNATURE: nZ93vyzCbbkLzUHqoj4CLj49hTxeVSr3h1oN9SEv3ZQ=\n"
    );
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_vendor-emulator"))
        .args(["sign", "portalio", "--method", "GET", "--url", "not-a-url", "--secret", "s"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not an absolute URL"));
}
