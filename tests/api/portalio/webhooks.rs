//! Webhook subscriptions: create (both event spellings, comma-separated or
//! repeated), list without secrets, update with patch semantics, delete; 400 (not
//! 404) for unknown and other accounts' ids; the URL rules with and without the
//! strict flag.

use axum::http::StatusCode;
use serde_json::json;

use super::signer::{Client, message};
use crate::helpers::TestApp;

#[tokio::test]
async fn subscribing_takes_both_event_spellings_and_returns_the_secret_once_in_the_list_never() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let r = client
        .post_form(
            &app,
            "/public/webhook/subscribe",
            "Url=+http%3A%2F%2Flocalhost%3A9999%2Fhooks+&Events=ProposalStatusChanged,proposal.build.status_update&Events=personmodification&Description=Local",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["url"], "http://localhost:9999/hooks");
    assert_eq!(
        r.json["events"],
        json!(["ProposalStatusChanged", "proposal.build.status_update", "PersonModification"])
    );
    assert_eq!(r.json["enabled"], true);
    let secret = r.json["secretKey"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let id = r.json["subscriptionId"].as_u64().unwrap();
    let list = client.get(&app, "/public/webhook/subscriptions").await;
    let listed: Vec<u64> =
        list.json.as_array().unwrap().iter().map(|s| s["subscriptionId"].as_u64().unwrap()).collect();
    assert_eq!(listed, [42, 43, id]);
    assert!(list.json.as_array().unwrap().iter().all(|s| s.get("secretKey").is_none()));
}

#[tokio::test]
async fn subscribing_refuses_missing_fields_unknown_events_and_bad_urls() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    for (body, text) in [
        ("Events=ProposalStatusChanged", "The Url field is required."),
        ("Url=https%3A%2F%2Fa.example%2Fh", "The Events field is required."),
        (
            "Url=https%3A%2F%2Fa.example%2Fh&Events=proposal.deleted",
            "Unknown event name 'proposal.deleted'. Valid events: ProposalBuildStatusChanged, ProposalOutlineStatusChanged, ProposalStatusChanged, PersonModification, PaymentStatusChange, OrderStatusChange.",
        ),
        (
            "Url=ftp%3A%2F%2Fa.example%2Fh&Events=ProposalStatusChanged",
            "The Url 'ftp://a.example/h' is not a valid absolute http(s) URL.",
        ),
        ("Url=%2Fhooks&Events=ProposalStatusChanged", "The Url '/hooks' is not a valid absolute http(s) URL."),
    ] {
        let r = client.post_form(&app, "/public/webhook/subscribe", body).await;
        assert_eq!((r.status, r.text.as_str()), (StatusCode::BAD_REQUEST, message(text).as_str()), "{body}");
    }
    assert_eq!(client.get(&app, "/public/webhook/subscriptions").await.json.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn strict_webhook_urls_require_https_and_a_public_host() {
    let app = TestApp::with_args(&["--portalio-strict-webhook-urls"]);
    let client = Client::alex(&app).await;
    for (url, text) in [
        ("http%3A%2F%2Fhooks.example.com%2Fh", "The Url must use https."),
        (
            "https%3A%2F%2F127.0.0.1%2Fh",
            "The Url must resolve to a publicly routable host (private, loopback and link-local addresses are rejected).",
        ),
        (
            "https%3A%2F%2F192.168.1.5%2Fh",
            "The Url must resolve to a publicly routable host (private, loopback and link-local addresses are rejected).",
        ),
        (
            "https%3A%2F%2Flocalhost%2Fh",
            "The Url must resolve to a publicly routable host (private, loopback and link-local addresses are rejected).",
        ),
    ] {
        let r = client
            .post_form(&app, "/public/webhook/subscribe", &format!("Url={url}&Events=ProposalStatusChanged"))
            .await;
        assert_eq!((r.status, r.text.as_str()), (StatusCode::BAD_REQUEST, message(text).as_str()), "{url}");
    }
    let r = client
        .post_form(
            &app,
            "/public/webhook/subscribe",
            "Url=https%3A%2F%2Fhooks.example.com%2Fh&Events=ProposalStatusChanged",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn updating_keeps_what_is_left_out_and_unknown_ids_are_400() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let r =
        client.post_form(&app, "/public/webhook/subscription/43", "Enabled=true&Events=ProposalStatusChanged").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["enabled"], true);
    assert_eq!(r.json["events"], json!(["ProposalStatusChanged"]));
    assert_eq!(r.json["url"], "https://staging.example.com/webhooks/portal");
    assert_eq!(r.json["description"], "Staging webhook");
    assert_eq!(r.json["secretKey"], "whsec_brightwire_stage_9876543210", "unchanged by update");
    let r = client.post_form(&app, "/public/webhook/subscription/43", "").await;
    assert_eq!(
        (r.status, r.text),
        (StatusCode::BAD_REQUEST, message("At least one of Url, Events, Enabled or Description is required."))
    );
    for id in ["999", "44", "abc"] {
        let r = client.post_form(&app, &format!("/public/webhook/subscription/{id}"), "Enabled=false").await;
        assert_eq!(
            (r.status, r.text),
            (StatusCode::BAD_REQUEST, message(&format!("Subscription '{id}' was not found."))),
            "{id}"
        );
    }
    let r = client.post_form(&app, "/public/webhook/subscription/43", "Events=nope").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let after = client.get(&app, "/public/webhook/subscriptions").await;
    assert_eq!(after.json[1]["events"], json!(["ProposalStatusChanged"]));
}

#[tokio::test]
async fn deleting_answers_success_then_400_and_never_touches_another_account() {
    let app = TestApp::new();
    let client = Client::alex(&app).await;
    let r = client.delete(&app, "/public/webhook/unsubscribe/42").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json, json!({"success": true, "subscriptionId": 42}));
    let r = client.delete(&app, "/public/webhook/unsubscribe/42").await;
    assert_eq!((r.status, r.text), (StatusCode::BAD_REQUEST, message("Subscription '42' was not found.")));
    let r = client.delete(&app, "/public/webhook/unsubscribe/44").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.header("x-emulator-explain").unwrap().contains("belongs to another account"));
    let riley = Client::fixture(&app, "riley@lakeside.example").await;
    assert_eq!(riley.get(&app, "/public/webhook/subscriptions").await.json.as_array().unwrap().len(), 1);
}
