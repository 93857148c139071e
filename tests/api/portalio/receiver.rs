//! A webhook receiver written from docs.portal.io › Webhooks: a real HTTP server on
//! 127.0.0.1, port 0, that records every POST, and a verifier of
//! `X-Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secretKey, t + "." + raw body)>`
//! that rejects a wrong `v1` or a `t` more than 5 minutes from "now". Also the
//! test-side helpers for a fresh dealer with a proposal, a subscription and the
//! delivery log.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, Method, StatusCode},
    routing::post,
};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::mpsc;

use super::signer::{Client, NOW};
use crate::helpers::TestApp;

/// One request the receiver got.
#[derive(Debug)]
pub struct Hit {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Hit {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the webhook body is JSON")
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
}

#[derive(Clone)]
struct Script {
    statuses: Arc<Mutex<Vec<u16>>>,
    hits: mpsc::UnboundedSender<Hit>,
    /// Hanging mode: never answer (the request is dropped when the test's runtime ends).
    hang: bool,
}

/// A receiver and the requests it got.
pub struct Receiver {
    pub url: String,
    hits: mpsc::UnboundedReceiver<Hit>,
}

async fn receive(State(script): State<Script>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let _ = script.hits.send(Hit { headers, body });
    if script.hang {
        std::future::pending::<()>().await;
    }
    let mut statuses = script.statuses.lock().unwrap();
    let status = if statuses.len() > 1 { statuses.remove(0) } else { statuses.first().copied().unwrap_or(200) };
    StatusCode::from_u16(status).unwrap()
}

impl Receiver {
    /// Answers with each status of `statuses` in turn; the last one repeats.
    pub async fn answering(statuses: &[u16]) -> Self {
        Self::start(statuses.to_vec(), false).await
    }

    /// Takes each request and never answers.
    pub async fn hanging() -> Self {
        Self::start(vec![200], true).await
    }

    async fn start(statuses: Vec<u16>, hang: bool) -> Self {
        let (tx, hits) = mpsc::unbounded_channel();
        let script = Script { statuses: Arc::new(Mutex::new(statuses)), hits: tx, hang };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let router = Router::new().route("/hook", post(receive)).with_state(script);
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self { url, hits }
    }

    /// The next request (fails after 10 s of real time: a delivery that never comes).
    pub async fn next(&mut self) -> Hit {
        tokio::time::timeout(Duration::from_secs(10), self.hits.recv())
            .await
            .expect("a delivery arrives")
            .expect("the receiver runs")
    }

    /// Whether a request is waiting now (without waiting for one).
    pub fn has_more(&mut self) -> bool {
        !matches!(self.hits.try_recv(), Err(mpsc::error::TryRecvError::Empty))
    }
}

/// The receiver's check, from the docs: returns `t` when the signature holds.
pub fn verify(secret: &str, header: &str, body: &[u8], now_unix: i64) -> Result<i64, String> {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = hex::decode(value).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else { return Err(format!("malformed header `{header}`")) };
    if (now_unix - t).abs() > 300 {
        return Err(format!("t={t} is more than 5 minutes from {now_unix}"));
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    mac.verify_slice(&v1).map_err(|_| "v1 does not match".to_owned())?;
    Ok(t)
}

/// Unix seconds of an RFC 3339 instant.
pub fn unix(at: &str) -> i64 {
    at.parse::<jiff::Timestamp>().unwrap().as_second()
}

/// A fresh dealer with the clock frozen at [`NOW`]: (client, its user id).
pub async fn dealer(app: &TestApp) -> (Client, u64) {
    app.freeze_at(NOW).await;
    let (client, created) = Client::fresh(app, json!({})).await;
    (client, created["users"][0]["id"].as_u64().unwrap())
}

/// A new Draft proposal's id.
pub async fn new_proposal(app: &TestApp, client: &Client, user: u64) -> u64 {
    let r = client.post_form(app, "/public/proposals", &format!("SalesPersonId={user}&Name=Smart+Home")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["id"].as_u64().unwrap()
}

/// Subscribes `url` to `events` (comma-separated): (subscription id, secret).
pub async fn subscribe(app: &TestApp, client: &Client, url: &str, events: &str) -> (u64, String) {
    let body = serde_urlencoded::to_string([("Url", url), ("Events", events)]).unwrap();
    let r = client.post_form(app, "/public/webhook/subscribe", &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    (r.json["subscriptionId"].as_u64().unwrap(), r.json["secretKey"].as_str().unwrap().to_owned())
}

/// Sets a proposal's status through the control plane (fires ProposalStatusChanged).
pub async fn set_status(app: &TestApp, id: u64, status: &str) {
    let path = format!("/_emulator/portalio/proposals/{id}/status");
    let r = app.admin(Method::POST, &path, Some(json!({ "status": status }))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

/// The delivery log (`query` like `?subscription_id=5`).
pub async fn deliveries(app: &TestApp, query: &str) -> Value {
    let r = app.get(&format!("/_emulator/portalio/webhook-deliveries{query}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json
}

/// Polls the delivery log until `done` holds: deliveries finish on their own tasks,
/// after the receiver has answered (10 s of real time at most).
pub async fn deliveries_until(app: &TestApp, query: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..2000 {
        let log = deliveries(app, query).await;
        if done(&log) {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the delivery log never got there: {}", deliveries(app, query).await);
}
