//! Fault rules (`/_emulator/faults`): each kind against each vendor, as a client sees
//! it (a reset connection and a truncated head over a real socket are client-side
//! errors, not responses), N-times and seeded probability rules, expiry on the
//! emulator clock, tenant scoping under parallel load, and the marks in the explain
//! header and the journal.

use std::time::{Duration, Instant};

use axum::{
    body::Body,
    http::{Method, Request, StatusCode},
};
use http_body_util::BodyExt;
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use serde_json::{Value, json};
use vendor_emulator::harness::Emulator;

use crate::helpers::{TestApp, TestResponse, request, send};

/// Adds a rule; answers its id.
async fn add_rule(app: &TestApp, rule: Value) -> String {
    let r = app.admin(Method::POST, "/_emulator/faults", Some(rule)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json["id"].as_str().unwrap().to_owned()
}

/// One request per vendor, without credentials: a rule fires before authentication.
const PATHS: [(&str, &str, &str); 3] = [
    ("propal", "/v1/leads", "/propal/v1/leads"),
    ("holm", "/v1/me", "/holm/v1/me"),
    ("portalio", "/public/users", "/portalio/public/users"),
];

#[tokio::test]
async fn a_status_rule_answers_in_each_vendors_shape_with_retry_after_and_is_marked() {
    let app = TestApp::new();
    let bodies = [
        json!({"error": {"code": "internal_error", "message": "Internal server error."}}),
        json!({"error": {"code": "internal_error", "message": "Internal server error."}}),
        json!({"message": "The service is temporarily unavailable. Please try again later."}),
    ];
    for ((vendor, template, path), body) in PATHS.into_iter().zip(bodies) {
        let rule = json!({"vendor": vendor, "method": "GET", "path": template,
            "action": {"kind": "status", "status": 503, "retry_after_seconds": 30}});
        let id = add_rule(&app, rule).await;
        let r = app.get(path).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{vendor}");
        assert_eq!(r.json, body, "{vendor}");
        assert_eq!(r.header("retry-after"), Some("30"), "{vendor}");
        let explain = r.header("x-emulator-explain").unwrap();
        assert!(explain.starts_with(&format!("fault:{id}; injected 503")), "{explain}");
        let entry = app.journal_entry(&r).await;
        assert_eq!(entry["status"], 503);
        assert_eq!(entry["vendor"], vendor);
        assert!(entry["explain"].as_str().unwrap().starts_with(&format!("fault:{id}")), "{entry}");
        let steps = entry["decision"].as_array().unwrap();
        assert_eq!(steps.len(), 1, "the vendor never ran: {entry}");
        assert_eq!(steps[0]["step"], format!("fault:{id}"));
        assert_eq!(steps[0]["outcome"], "fail");
    }
}

#[tokio::test]
async fn holms_injected_429_carries_retry_after_ms_and_portalios_401_is_its_bare_string() {
    let app = TestApp::new();
    add_rule(&app, json!({"vendor": "holm", "action": {"kind": "status", "status": 429, "retry_after_seconds": 2}}))
        .await;
    add_rule(&app, json!({"vendor": "portalio", "action": {"kind": "status", "status": 401}})).await;
    let r = app.get("/holm/v1/me").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        r.json,
        json!({"error": {"code": "rate_limited", "message": "Too many requests."}, "retry_after_ms": 2000})
    );
    assert_eq!(r.header("retry-after"), Some("2"));
    let r = app.get("/portalio/public/users").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.text, r#""You are not authorized. Your request signature (hash) is invalid.""#);
}

#[tokio::test]
async fn a_rule_leaves_other_vendors_methods_and_paths_alone() {
    let app = TestApp::new();
    let key = app.propal_key("Internal tools (full access)").await;
    add_rule(
        &app,
        json!({"vendor": "propal", "method": "POST", "path": "/v1/leads/{id}",
        "action": {"kind": "status", "status": 500}}),
    )
    .await;
    // Same vendor, other method and other path: the real answers.
    let r = app.propal(Method::GET, &key, "/v1/leads", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let lead = r.json["data"][0]["id"].as_str().unwrap().to_owned();
    let r = app.propal(Method::GET, &key, &format!("/v1/leads/{lead}"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.header("x-emulator-explain").is_none());
    // Another vendor on the same path: its own 404, not the fault.
    let r = app.get(&format!("/holm/v1/leads/{lead}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(!r.header("x-emulator-explain").unwrap().starts_with("fault:"));
    // The matching method and path: the fault.
    let r = app.propal(Method::POST, &key, &format!("/v1/leads/{lead}"), Some(json!({}))).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn a_times_rule_fires_exactly_n_times_then_the_real_answers_come_back() {
    let app = TestApp::new();
    let key = app.propal_key("Internal tools (full access)").await;
    let id = add_rule(
        &app,
        json!({"vendor": "propal", "path": "/v1/leads", "times": 2,
        "action": {"kind": "status", "status": 502}}),
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(app.propal(Method::GET, &key, "/v1/leads", None).await.status.as_u16());
    }
    assert_eq!(statuses, [502, 502, 200, 200]);
    let r = app.get(&format!("/_emulator/faults/{id}")).await;
    assert_eq!(r.json["fired"], 2);
    assert_eq!(r.json["active"], false);
}

/// Which of `n` requests a probability rule hits.
async fn hits(app: &TestApp, n: usize) -> Vec<bool> {
    let mut hits = Vec::new();
    for _ in 0..n {
        hits.push(app.get("/holm/v1/me").await.status == StatusCode::SERVICE_UNAVAILABLE);
    }
    hits
}

#[tokio::test]
async fn a_probability_rule_is_replayed_by_the_same_seed() {
    let rule = json!({"vendor": "holm", "probability": 0.5, "action": {"kind": "status", "status": 503}});
    let first = TestApp::new();
    add_rule(&first, rule.clone()).await;
    let pattern = hits(&first, 40).await;
    let fired = pattern.iter().filter(|h| **h).count();
    assert!((5..=35).contains(&fired), "about half of 40: {fired}");
    // Another emulator with the same --seed, and this one after a reset, draw the same.
    let second = TestApp::new();
    add_rule(&second, rule.clone()).await;
    assert_eq!(hits(&second, 40).await, pattern);
    let r = first.admin(Method::POST, "/_emulator/reset", None).await;
    assert_eq!(r.status, StatusCode::OK);
    add_rule(&first, rule.clone()).await;
    assert_eq!(hits(&first, 40).await, pattern);
}

#[tokio::test]
async fn a_rule_expires_on_the_emulator_clock() {
    let app = TestApp::new();
    app.freeze_at("2026-05-01T10:00:00Z").await;
    let id = add_rule(
        &app,
        json!({"vendor": "holm", "expires_in_seconds": 60, "action": {"kind": "status", "status": 500}}),
    )
    .await;
    assert_eq!(app.get("/holm/v1/me").await.status, StatusCode::INTERNAL_SERVER_ERROR);
    let r = app.get(&format!("/_emulator/faults/{id}")).await;
    assert_eq!(r.json["expires_at"], "2026-05-01T10:01:00.000Z");
    app.advance(60.0).await;
    assert_eq!(app.get("/holm/v1/me").await.status, StatusCode::UNAUTHORIZED, "the real answer: no session");
    assert_eq!(app.get(&format!("/_emulator/faults/{id}")).await.json["active"], false);
}

#[tokio::test]
async fn a_tenant_rule_leaves_another_tenants_requests_untouched_under_parallel_load() {
    let app = TestApp::new();
    let (org_a, key_a) = app.propal_org(None).await;
    let (_org_b, key_b) = app.propal_org(None).await;
    add_rule(
        &app,
        json!({"vendor": "propal", "tenant": org_a, "path": "/v1/leads", "action": {"kind": "status", "status": 503}}),
    )
    .await;
    let mut tasks = Vec::new();
    for i in 0..60 {
        let key = if i % 2 == 0 { key_a.clone() } else { key_b.clone() };
        let router = app.router();
        tasks.push(tokio::spawn(async move {
            let auth = format!("Bearer {key}");
            let r = send(router, request(Method::GET, "/propal/v1/leads", None, &[("authorization", &auth)])).await;
            (i % 2 == 0, r.status)
        }));
    }
    for task in tasks {
        let (is_a, status) = task.await.unwrap();
        let expected = if is_a { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
        assert_eq!(status, expected, "tenant {}", if is_a { "A" } else { "B" });
    }
    let r = app.get("/_emulator/faults").await;
    assert_eq!(r.json["faults"][0]["fired"], 30);
}

#[tokio::test]
async fn a_delay_holds_only_its_request_and_then_gives_the_real_answer() {
    let app = TestApp::new();
    let key = app.propal_key("Internal tools (full access)").await;
    let id =
        add_rule(&app, json!({"vendor": "propal", "path": "/v1/leads", "action": {"kind": "delay", "delay_ms": 1500}}))
            .await;
    let router = app.router();
    let auth = format!("Bearer {key}");
    let started = Instant::now();
    let delayed = tokio::spawn(async move {
        let r = send(router, request(Method::GET, "/propal/v1/leads", None, &[("authorization", &auth)])).await;
        (r, started.elapsed())
    });
    // Other requests, to the same vendor and others, are answered while it waits.
    for _ in 0..5 {
        assert_eq!(app.propal(Method::GET, &key, "/v1/products", None).await.status, StatusCode::OK);
        assert_eq!(app.get("/holm/v1/me").await.status, StatusCode::UNAUTHORIZED);
    }
    assert!(!delayed.is_finished(), "the delayed request is still waiting");
    let (r, took): (TestResponse, Duration) = delayed.await.unwrap();
    assert!(took >= Duration::from_millis(1500), "{took:?}");
    assert_eq!(r.status, StatusCode::OK, "the real answer: {}", r.text);
    assert!(r.json["data"].is_array());
    let explain = r.header("x-emulator-explain").unwrap();
    assert!(explain.starts_with(&format!("fault:{id}; answer delayed 1500 ms")), "{explain}");
    let entry = app.journal_entry(&r).await;
    let steps = entry["decision"].as_array().unwrap();
    assert_eq!(steps[0]["step"], format!("fault:{id}"));
    assert_eq!(steps[0]["outcome"], "pass");
    assert!(steps.iter().all(|s| s["outcome"] == "pass"), "{entry}");
}

#[tokio::test]
async fn bad_rules_are_refused_and_rules_can_be_listed_deleted_and_cleared() {
    let app = TestApp::new();
    let bad = [
        (json!({"vendor": "propal", "action": {"kind": "status", "status": 200}}), "from 400 to 599"),
        (json!({"vendor": "propal", "times": 0, "action": {"kind": "reset"}}), "at least 1"),
        (json!({"vendor": "propal", "probability": 1.5, "action": {"kind": "reset"}}), "from 0 to 1"),
        (json!({"vendor": "propal", "path": "v1/leads", "action": {"kind": "reset"}}), "must start with `/`"),
        (json!({"vendor": "propal", "action": {"kind": "delay", "delay_ms": 0}}), "from 1 to 600000"),
        (json!({"vendor": "acme", "action": {"kind": "reset"}}), "vendor"),
        (json!({"vendor": "propal", "action": {"kind": "explode"}}), "explode"),
    ];
    for (rule, says) in bad {
        let r = app.admin(Method::POST, "/_emulator/faults", Some(rule.clone())).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{rule}");
        assert!(r.json["error"].as_str().unwrap().contains(says), "{rule}: {}", r.text);
    }
    let a = add_rule(&app, json!({"vendor": "propal", "action": {"kind": "reset"}})).await;
    let b = add_rule(&app, json!({"vendor": "holm", "action": {"kind": "partial_headers", "processed": true}})).await;
    assert_eq!((a.as_str(), b.as_str()), ("fault_1", "fault_2"));
    let r = app.get("/_emulator/faults").await;
    assert_eq!(r.json["faults"].as_array().unwrap().len(), 2);
    assert_eq!(r.json["faults"][1]["action"], json!({"kind": "partial_headers", "processed": true}));
    assert_eq!(app.admin(Method::DELETE, &format!("/_emulator/faults/{a}"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.admin(Method::DELETE, &format!("/_emulator/faults/{a}"), None).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("/_emulator/faults/{a}")).await.status, StatusCode::NOT_FOUND);
    // A vendor reset drops that vendor's rules; a full reset drops them all.
    add_rule(&app, json!({"vendor": "propal", "action": {"kind": "reset"}})).await;
    app.admin(Method::POST, "/_emulator/reset/propal", None).await;
    let r = app.get("/_emulator/faults").await;
    assert_eq!(r.json["faults"].as_array().unwrap().len(), 1, "{}", r.text);
    app.admin(Method::POST, "/_emulator/reset", None).await;
    assert_eq!(app.get("/_emulator/faults").await.json, json!({"faults": []}));
    add_rule(&app, json!({"vendor": "propal", "action": {"kind": "reset"}})).await;
    assert_eq!(app.admin(Method::DELETE, "/_emulator/faults", None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/_emulator/faults").await.json, json!({"faults": []}));
}

/// Over a real socket.
struct Served {
    base: String,
    emulator: Emulator,
}

impl Served {
    async fn start() -> Self {
        let emulator = Emulator::with_args(["--seed", "42"]).await.expect("the emulator starts");
        Self { base: emulator.url(), emulator }
    }

    /// `(status, body)`, or the client's error text when no response came.
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<(StatusCode, Value), String> {
        // A fresh client per call: no pooled connection outlives a broken one.
        let client = Client::builder(TokioExecutor::new()).build_http::<Body>();
        let mut request = Request::builder().method(method).uri(format!("{}{path}", self.base));
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
        let response = client.request(request.body(body).unwrap()).await.map_err(|e| format!("{e:?}"))?;
        let status = response.status();
        let bytes = response.into_body().collect().await.map_err(|e| format!("{e:?}"))?.to_bytes();
        Ok((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
    }

    async fn stop(self) {
        self.emulator.stop().await.unwrap();
    }
}

#[tokio::test]
async fn a_reset_or_a_truncated_head_is_an_error_on_the_client_for_every_vendor() {
    let served = Served::start().await;
    for kind in ["reset", "partial_headers"] {
        for (vendor, template, path) in PATHS {
            let rule = json!({"vendor": vendor, "path": template, "times": 1, "action": {"kind": kind}});
            let (status, created) = served.call("POST", "/_emulator/faults", Some(rule)).await.unwrap();
            assert_eq!(status, StatusCode::CREATED, "{created}");
            let broken = served.call("GET", path, None).await;
            let error = broken.expect_err(&format!("{kind} on {vendor}: no response"));
            if kind == "reset" {
                assert!(
                    error.contains("ConnectionReset") || error.contains("reset") || error.contains("IncompleteMessage"),
                    "{vendor}: {error}"
                );
            } else {
                assert!(error.to_lowercase().contains("parse") || error.contains("Incomplete"), "{vendor}: {error}");
            }
            // The rule is spent and the emulator serves on.
            let (status, _) = served.call("GET", path, None).await.expect("served again");
            assert_ne!(status.as_u16(), 0);
            let (_, journal) =
                served.call("GET", &format!("/_emulator/journal?vendor={vendor}&limit=2"), None).await.unwrap();
            let explain = journal["entries"][1]["explain"].as_str().unwrap_or_default();
            assert!(explain.starts_with(&format!("fault:{}", created["id"].as_str().unwrap())), "{journal}");
        }
    }
    served.stop().await;
}

#[tokio::test]
async fn a_processed_break_keeps_the_work_done_while_the_client_sees_an_error() {
    let served = Served::start().await;
    let (_, credentials) = served.call("GET", "/_emulator/credentials", None).await.unwrap();
    let org = credentials["propal"]["keys"][0]["organization_id"].as_str().unwrap().to_owned();
    let rule = json!({"vendor": "propal", "method": "POST", "path": "/v1/leads", "times": 1,
        "action": {"kind": "partial_headers", "processed": true}});
    served.call("POST", "/_emulator/faults", Some(rule)).await.unwrap();
    let key = credentials["propal"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "Internal tools (full access)")
        .unwrap()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let client = Client::builder(TokioExecutor::new()).build_http::<Body>();
    let request = Request::post(format!("{}/propal/v1/leads", served.base))
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json")
        .body(Body::from(json!({"name": "Lost Answer Ltd"}).to_string()))
        .unwrap();
    assert!(client.request(request).await.is_err(), "the answer never arrives");
    let request = Request::get(format!("{}/propal/v1/leads?limit=100", served.base))
        .header("authorization", format!("Bearer {key}"))
        .body(Body::empty())
        .unwrap();
    let response = Client::builder(TokioExecutor::new()).build_http::<Body>().request(request).await.unwrap();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let leads: Value = serde_json::from_slice(&bytes).unwrap();
    assert!(leads["data"].as_array().unwrap().iter().any(|l| l["name"] == "Lost Answer Ltd"), "org {org}: {leads}");
    served.stop().await;
}
