//! Webhook delivery to real receivers on 127.0.0.1: the signature checked by a
//! verifier written from the docs, the envelope, the retry schedule on the emulator
//! clock, a hanging receiver that never delays the API, disabled subscriptions and
//! unsubscribed events, the documentation domains never contacted, a receiver that never
//! answers timing out and retried without holding up the others, and a thousand
//! events to a dead receiver staying bounded.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{
    receiver::{Receiver, dealer, deliveries, deliveries_until, new_proposal, set_status, subscribe, unix, verify},
    signer::{Client, NOW},
};
use tower::ServiceExt;

use crate::helpers::{TestApp, request};

fn records(log: &Value) -> &Vec<Value> {
    log["deliveries"].as_array().unwrap()
}

#[tokio::test]
async fn a_delivery_is_signed_and_enveloped_as_the_docs_say() {
    let app = TestApp::new();
    let (client, _) = dealer(&app).await;
    let mut receiver = Receiver::answering(&[200]).await;
    let (subscription, secret) = subscribe(&app, &client, &receiver.url, "PersonModification").await;

    let r = client
        .post_form(&app, "/public/people", "PartyType=Person&ContactType=Client&FirstName=Dana&LastName=Reyes")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let contact = r.json["id"].as_u64().unwrap();

    let hit = receiver.next().await;
    assert_eq!(hit.header("content-type"), "application/json");
    let t = verify(&secret, hit.header("x-webhook-signature"), &hit.body, unix(NOW)).expect("the signature verifies");
    assert_eq!(t, unix(NOW));
    assert!(verify("whsec_wrong", hit.header("x-webhook-signature"), &hit.body, unix(NOW)).is_err());
    let envelope = hit.json();
    let keys: Vec<&str> = envelope.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["id", "type", "created", "data"]);
    assert!(envelope["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(envelope["type"], "person.modification");
    assert_eq!(envelope["created"], NOW);
    assert_eq!(envelope["data"]["id"], contact);
    assert_eq!(envelope["data"]["firstName"], "Dana");
    assert!(envelope["data"].as_object().unwrap().contains_key("primaryLocation"));

    let log = deliveries_until(&app, &format!("?subscription_id={subscription}"), |log| {
        records(log).first().is_some_and(|d| d["state"] == "delivered")
    })
    .await;
    let record = &records(&log)[0];
    assert_eq!(record["status"], 200);
    assert_eq!(record["attempt"], 1);
    assert_eq!(record["event"], "person.modification");
    assert_eq!(record["event_id"], envelope["id"]);
    assert_eq!(record["url"], receiver.url.as_str());
    assert_eq!(record["at"], NOW);
    assert_eq!(record["next_attempt_at"], Value::Null);
    assert_eq!(record["error"], Value::Null);
    assert!(record["duration_ms"].is_u64());
}

#[tokio::test]
async fn a_failing_receiver_is_retried_after_one_and_five_minutes_of_emulator_time() {
    let app = TestApp::new();
    let (client, user) = dealer(&app).await;
    let proposal = new_proposal(&app, &client, user).await;
    let mut receiver = Receiver::answering(&[500, 503, 204]).await;
    let (subscription, secret) = subscribe(&app, &client, &receiver.url, "proposal.status_changed").await;
    let query = format!("?subscription_id={subscription}");

    set_status(&app, proposal, "Submitted").await;
    let first = receiver.next().await;
    assert_eq!(verify(&secret, first.header("x-webhook-signature"), &first.body, unix(NOW)), Ok(unix(NOW)));
    assert_eq!(first.json()["data"]["status"], "Submitted");
    assert_eq!(first.json()["data"]["id"], proposal);

    app.advance(59.0).await;
    let log = deliveries(&app, &query).await;
    assert_eq!(records(&log).len(), 1, "nothing before the minute is up: {log}");

    app.advance(1.0).await;
    let second = receiver.next().await;
    let minute = unix(NOW) + 60;
    assert_eq!(verify(&secret, second.header("x-webhook-signature"), &second.body, minute), Ok(minute));
    assert_eq!(second.body, first.body, "the same envelope (and id) on every attempt");

    app.advance(300.0).await;
    let third = receiver.next().await;
    let six = unix(NOW) + 360;
    assert_eq!(verify(&secret, third.header("x-webhook-signature"), &third.body, six), Ok(six));

    let log =
        deliveries_until(&app, &query, |log| records(log).first().is_some_and(|d| d["state"] == "delivered")).await;
    let summary: Vec<Value> = records(&log)
        .iter()
        .map(|d| json!([d["attempt"], d["at"], d["state"], d["status"], d["next_attempt_at"]]))
        .collect();
    assert_eq!(
        summary,
        [
            json!([3, "2026-04-06T00:28:19Z", "delivered", 204, null]),
            json!([2, "2026-04-06T00:23:19Z", "failed", 503, "2026-04-06T00:28:19Z"]),
            json!([1, NOW, "failed", 500, "2026-04-06T00:23:19Z"]),
        ]
    );
    assert_eq!(records(&log)[1]["error"], "the receiver answered 503");

    app.advance(86_400.0).await;
    assert!(!receiver.has_more(), "an acknowledged event is not sent again");
    assert_eq!(records(&deliveries(&app, &query).await).len(), 3);
    assert_eq!(deliveries(&app, "").await["retries_scheduled"], 0);
}

#[tokio::test]
async fn every_retry_of_the_schedule_runs_when_the_clock_jumps_a_day() {
    let app = TestApp::new();
    let (client, user) = dealer(&app).await;
    let proposal = new_proposal(&app, &client, user).await;
    let mut receiver = Receiver::answering(&[500]).await;
    let (subscription, _) = subscribe(&app, &client, &receiver.url, "ProposalStatusChanged").await;
    set_status(&app, proposal, "Submitted").await;
    receiver.next().await;
    for _ in 0..5 {
        app.advance(86_400.0).await;
        receiver.next().await;
    }
    let log =
        deliveries_until(&app, &format!("?subscription_id={subscription}&event=proposal.status_changed"), |log| {
            records(log).len() == 6 && records(log).iter().all(|d| d["state"] == "failed")
        })
        .await;
    let ats: Vec<i64> = records(&log).iter().rev().map(|d| unix(d["at"].as_str().unwrap()) - unix(NOW)).collect();
    assert_eq!(ats, [0, 60, 360, 2160, 9360, 52560], "1 min, 5 min, 30 min, 2 h, 12 h after each failure");
    assert_eq!(records(&log)[0]["next_attempt_at"], Value::Null, "five retries, then no more");
    app.advance(86_400.0).await;
    assert!(!receiver.has_more());
}

#[tokio::test]
async fn a_hanging_receiver_never_delays_an_api_answer() {
    let app = TestApp::with_args(&["--portalio-webhook-timeout-ms", "600000"]);
    let (client, _) = dealer(&app).await;
    let mut receiver = Receiver::hanging().await;
    let (subscription, _) = subscribe(&app, &client, &receiver.url, "PersonModification").await;
    for name in ["Ann", "Bo"] {
        // The receiver never answers; the API answers anyway (the timeout only turns a hang into a failure).
        let r = tokio::time::timeout(
            Duration::from_secs(10),
            client.post_form(&app, "/public/people", &format!("PartyType=Person&ContactType=Client&FirstName={name}")),
        )
        .await
        .expect("the API answers while the receiver hangs");
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let hit = receiver.next().await;
    assert_eq!(hit.json()["data"]["firstName"], "Ann");
    let log = deliveries(&app, &format!("?subscription_id={subscription}")).await;
    assert_eq!(records(&log).len(), 1);
    assert_eq!(records(&log)[0]["state"], "in_flight", "the first delivery is still waiting for the receiver");
    assert_eq!(log["queued"], 1, "the second waits behind it, off the request path");
    let health = app.get("/_emulator/health").await;
    assert_eq!(health.status, StatusCode::OK);
}

#[tokio::test]
async fn a_receiver_that_never_answers_times_out_is_logged_failed_and_retried_while_others_are_served() {
    // A real network timeout of 300 ms: the one wait of this test that is not on the emulator clock.
    let app = TestApp::with_args(&["--portalio-webhook-timeout-ms", "300"]);
    let (client, _) = dealer(&app).await;
    let mut hanging = Receiver::hanging().await;
    let mut answering = Receiver::answering(&[200, 200]).await;
    let (silent, _) = subscribe(&app, &client, &hanging.url, "PersonModification").await;
    let (served, _) = subscribe(&app, &client, &answering.url, "PersonModification").await;

    let r = client.post_form(&app, "/public/people", "PartyType=Person&ContactType=Client&FirstName=Ann").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    assert_eq!(hanging.next().await.json()["data"]["firstName"], "Ann", "the hanging receiver got the request");
    assert_eq!(answering.next().await.json()["data"]["firstName"], "Ann", "the other subscription is not held up");
    let log = deliveries_until(&app, &format!("?subscription_id={silent}"), |log| {
        records(log).first().is_some_and(|d| d["state"] == "failed")
    })
    .await;
    let record = &records(&log)[0];
    assert_eq!(record["attempt"], 1);
    assert_eq!(record["status"], Value::Null);
    assert!(record["error"].as_str().unwrap().starts_with("timeout: "), "{record}");
    assert_eq!(record["next_attempt_at"], "2026-04-06T00:23:19Z", "retried one minute later");
    let delivered = deliveries(&app, &format!("?subscription_id={served}")).await;
    assert_eq!(records(&delivered)[0]["state"], "delivered");

    app.advance(60.0).await;
    let retry = hanging.next().await;
    assert_eq!(retry.json()["data"]["firstName"], "Ann", "the retry carries the same event");
    let log = deliveries_until(&app, &format!("?subscription_id={silent}"), |log| {
        records(log).first().is_some_and(|d| d["attempt"] == 2 && d["state"] == "failed")
    })
    .await;
    assert_eq!(records(&log).len(), 2, "{log}");
    assert!(!answering.has_more(), "the answering receiver got the event once");
}

#[tokio::test]
async fn disabled_subscriptions_and_unsubscribed_events_get_nothing() {
    let app = TestApp::new();
    let (client, user) = dealer(&app).await;
    let proposal = new_proposal(&app, &client, user).await;
    let mut disabled = Receiver::answering(&[200]).await;
    let mut other_event = Receiver::answering(&[200]).await;
    let mut listening = Receiver::answering(&[200]).await;
    let (off, _) = subscribe(&app, &client, &disabled.url, "ProposalStatusChanged").await;
    let r = client.post_form(&app, &format!("/public/webhook/subscription/{off}"), "Enabled=false").await;
    assert_eq!(r.json["enabled"], false, "{}", r.text);
    let (people, _) = subscribe(&app, &client, &other_event.url, "PersonModification,OrderStatusChange").await;
    let (on, _) = subscribe(&app, &client, &listening.url, "proposal.status_changed").await;

    set_status(&app, proposal, "Submitted").await;
    assert_eq!(listening.next().await.json()["type"], "proposal.status_changed");
    // Events are queued while the API call runs, so whoever was not queued then never will be.
    let log = deliveries(&app, "").await;
    assert_eq!(log["queued"], 0);
    let ids: Vec<u64> = records(&log).iter().map(|d| d["subscription_id"].as_u64().unwrap()).collect();
    assert!(ids.iter().all(|id| *id == on), "{log}");
    assert!(!ids.contains(&off) && !ids.contains(&people));
    assert!(!disabled.has_more());
    assert!(!other_event.has_more());
}

#[tokio::test]
async fn fixture_subscriptions_on_documentation_domains_fail_without_a_request() {
    let app = TestApp::new();
    let _alex = Client::alex(&app).await;
    set_status(&app, 1043, "ViewedByClient").await;
    let log = deliveries_until(&app, "?subscription_id=42", |log| {
        records(log).first().is_some_and(|d| d["state"] == "failed")
    })
    .await;
    let record = &records(&log)[0];
    assert_eq!(record["url"], "https://app.example.com/webhooks/portal");
    assert_eq!(
        record["error"],
        "not sent: app.example.com is a reserved documentation domain (RFC 2606) that no receiver can listen on"
    );
    assert_eq!(record["status"], Value::Null);
    assert_eq!(record["next_attempt_at"], "2026-04-06T00:23:19Z");
    let disabled = deliveries(&app, "?subscription_id=43").await;
    assert!(records(&disabled).is_empty(), "subscription 43 is disabled");
}

#[tokio::test]
async fn a_thousand_events_to_a_receiver_that_never_answers_stay_bounded() {
    let app = TestApp::with_args(&[
        "--portalio-webhook-queue-capacity",
        "10",
        "--portalio-webhook-log-capacity",
        "50",
        "--portalio-webhook-timeout-ms",
        "600000",
    ]);
    let (client, user) = dealer(&app).await;
    let proposal = new_proposal(&app, &client, user).await;
    let mut receiver = Receiver::hanging().await;
    subscribe(&app, &client, &receiver.url, "ProposalStatusChanged").await;
    let path = format!("/_emulator/portalio/proposals/{proposal}/status");
    for n in 0..1000 {
        // Straight to the router: the schema check of `TestApp::send` would dominate the run time.
        let status = if n % 2 == 0 { "Submitted" } else { "Draft" };
        let call = request(Method::POST, &path, Some(json!({ "status": status })), &[]);
        let response = app.router().oneshot(call).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    receiver.next().await;
    let log = deliveries(&app, "").await;
    let queued = log["queued"].as_u64().unwrap();
    let dropped = log["dropped"].as_u64().unwrap();
    let sent = log["in_flight"].as_u64().unwrap();
    assert_eq!(sent, 1, "one attempt hangs at the receiver");
    assert!(queued <= 10, "{queued} waiting");
    assert_eq!(records(&log).len(), 50, "the log keeps the newest 50");
    assert_eq!(dropped + queued + sent, 1000, "every event is sent, waiting or reported dropped");
    assert!(dropped >= 989);
    assert!(log["retries_scheduled"].as_u64().unwrap() <= 10);
    let reported = records(&log).iter().find(|d| d["state"] == "dropped").expect("drops are reported");
    assert_eq!(
        reported["error"],
        format!(
            "dropped: 10 attempts were already waiting for subscription {} (--portalio-webhook-queue-capacity)",
            reported["subscription_id"]
        )
    );
    let r = app.admin(Method::GET, "/_emulator/portalio/webhook-deliveries?limit=3", None).await;
    assert_eq!(records(&r.json).len(), 3);
}

#[tokio::test]
async fn the_delivery_log_refuses_an_unknown_event_filter() {
    let app = TestApp::new();
    let r = app.get("/_emulator/portalio/webhook-deliveries?event=proposal.deleted").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json, json!({"error": "`proposal.deleted` is not an event name"}));
}

#[tokio::test]
async fn the_openapi_document_describes_every_webhook_payload() {
    let app = TestApp::new();
    let doc = app.get("/_emulator/openapi.json").await.json;
    let hooks = doc["webhooks"].as_object().expect("OpenAPI 3.1 webhooks");
    let names: Vec<&str> = hooks.keys().map(String::as_str).collect();
    for event in [
        "ProposalStatusChanged",
        "ProposalOutlineStatusChanged",
        "ProposalBuildStatusChanged",
        "PersonModification",
        "PaymentStatusChange",
        "OrderStatusChange",
    ] {
        assert!(names.contains(&event), "{event} in {names:?}");
        let schema = &hooks[event]["post"]["requestBody"]["content"]["application/json"]["schema"];
        let reference = schema["properties"]["data"]["$ref"].as_str().unwrap();
        let pointer = reference.trim_start_matches('#');
        assert!(doc.pointer(pointer).is_some(), "{reference} resolves");
    }
    assert_eq!(
        hooks["PersonModification"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]["type"]
            ["const"],
        "person.modification"
    );
    let vendor = app.get("/_emulator/openapi/portalio.json").await.json;
    assert!(vendor["webhooks"]["ProposalStatusChanged"].is_object());
}

#[tokio::test]
async fn the_monitor_page_lists_each_delivery_attempt_with_its_outcome() {
    let app = TestApp::new();
    let (client, user) = dealer(&app).await;
    let proposal = new_proposal(&app, &client, user).await;
    let mut receiver = Receiver::answering(&[503]).await;
    let (subscription, _) = subscribe(&app, &client, &receiver.url, "proposal.status_changed").await;

    set_status(&app, proposal, "Submitted").await;
    receiver.next().await;
    deliveries_until(&app, &format!("?subscription_id={subscription}"), |log| {
        records(log).first().is_some_and(|d| d["state"] == "failed")
    })
    .await;

    let panels = app.get("/_emulator/ui/panels").await;
    assert_eq!(panels.status, StatusCode::OK, "{}", panels.text);
    let portalio = panels.json["vendors"].as_array().unwrap().iter().find(|v| v["vendor"] == "portalio").unwrap();
    let table = portalio["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["title"].as_str().unwrap().starts_with("Webhook deliveries"))
        .expect("a deliveries table");
    assert_eq!(table["columns"][6], "status or error");
    let rows = table["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{table}");
    let cells = &rows[0]["cells"];
    assert_eq!(cells[1], "proposal.status_changed");
    assert_eq!(cells[2], subscription.to_string());
    assert_eq!(cells[3], receiver.url.as_str());
    assert_eq!(cells[4], "1");
    assert_eq!(cells[5], "failed");
    assert_eq!(cells[6], "503");
    assert_ne!(cells[7], "", "the retry is scheduled: {cells}");
    assert!(table["title"].as_str().unwrap().contains("1 retries scheduled"), "{}", table["title"]);
}
