//! The Zapier trigger routes: signed, arrays of the documented payloads, newest change
//! first; and the payment and order status triggers that fire their webhooks.

use axum::http::{Method, StatusCode};
use serde_json::json;

use super::{
    receiver::{Receiver, subscribe, unix, verify},
    signer::{Call, Client, NOW, UNAUTHORIZED},
};
use crate::helpers::TestApp;

#[tokio::test]
async fn the_triggers_answer_the_documented_payloads_from_the_store() {
    let app = TestApp::new();
    let alex = Client::alex(&app).await;

    let r = alex.get(&app, "/zapier/trigger/payment").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let ids: Vec<u64> = r.json.as_array().unwrap().iter().map(|p| p["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [5002, 5001]);
    let deposit = &r.json[1];
    assert_eq!(deposit["proposalId"], 1044);
    assert_eq!(deposit["status"], "Submitted");
    assert_eq!(deposit["isEstExpired"], false);
    assert!(deposit["clientName"].as_str().unwrap().contains(deposit["clientLastName"].as_str().unwrap()));

    let r = alex.get(&app, "/zapier/trigger/order").await;
    assert_eq!(r.json[0]["id"], 6001);
    assert_eq!((r.json[0]["total"].as_f64(), r.json[0]["partCount"].as_u64()), (Some(1847.0), Some(4)));
    assert_eq!(r.json[0]["orderSuppliers"][1]["supplierName"], "ADI Global");

    let r = alex.get(&app, "/zapier/trigger/person").await;
    let people = r.json.as_array().unwrap();
    assert_eq!(people.len(), 7);
    assert!(people.iter().all(|p| p.as_object().unwrap().contains_key("location")));

    let r = alex.get(&app, "/zapier/trigger/proposal").await;
    let proposals = r.json.as_array().unwrap();
    assert_eq!(proposals.len(), 10, "proposals and change orders of Brightwire");
    let accepted = proposals.iter().find(|p| p["id"] == 1044).unwrap();
    assert_eq!(accepted["proposalPdf"], "https://sandbox.portal.io/proposals/1044/proposal.pdf");
    assert!(accepted["changeOrders"].as_array().unwrap().len() >= 2);
    let draft = proposals.iter().find(|p| p["id"] == 1042).unwrap();
    assert_eq!(draft["proposalPdf"], serde_json::Value::Null);
    let change_order = proposals.iter().find(|p| p["id"] == 1101).unwrap();
    assert_eq!(change_order["parentProposalId"], 1044);

    let mut unsigned = Call::new(Method::GET, "/zapier/trigger/person");
    unsigned.signature = Some("bm9wZQ==".into());
    let r = alex.send(&app, unsigned).await;
    assert_eq!((r.status, r.text.as_str()), (StatusCode::UNAUTHORIZED, UNAUTHORIZED));
}

#[tokio::test]
async fn payment_and_order_status_changes_fire_their_webhooks() {
    let app = TestApp::new();
    let alex = Client::alex(&app).await;
    let mut receiver = Receiver::answering(&[200]).await;
    let (_, secret) = subscribe(&app, &alex, &receiver.url, "PaymentStatusChange,OrderStatusChange").await;

    let r = app.admin(Method::POST, "/_emulator/portalio/payments/5001/status", Some(json!({"status": "Paid"}))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["paidDate"], NOW);
    let hit = receiver.next().await;
    assert!(verify(&secret, hit.header("x-webhook-signature"), &hit.body, unix(NOW)).is_ok());
    assert_eq!(hit.json()["type"], "payment.status_changed");
    assert_eq!(hit.json()["data"], r.json);

    let r =
        app.admin(Method::POST, "/_emulator/portalio/orders/6001/status", Some(json!({"status": "received"}))).await;
    assert_eq!(r.json["status"], "Received");
    let hit = receiver.next().await.json();
    assert_eq!(hit["type"], "order.status_changed");
    assert_eq!(hit["data"]["orderSuppliers"][0]["status"], "Received");

    let r = app.admin(Method::POST, "/_emulator/portalio/payments/5001/status", Some(json!({"status": "Lost"}))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json,
        json!({"error": "`Lost` is not a payment status (Draft, Submitted, Viewed, Paid, Declined, Refunded)"})
    );
    let r = app.admin(Method::POST, "/_emulator/portalio/orders/77/status", Some(json!({"status": "Draft"}))).await;
    assert_eq!((r.status, r.json), (StatusCode::NOT_FOUND, json!({"error": "no Portal.io order 77"})));
}
