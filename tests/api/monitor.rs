//! The requests monitor page (`GET /_emulator/ui`) and the routes it reads: the page
//! itself (self-contained, open without the admin token), the live journal stream
//! (entries as they happen, a `missed` count for a slow reader, no publishing
//! without a watcher), the vendors' panels (tenants, sessions, ready-made requests
//! that work) and the redacted request headers of a journal entry.

use std::time::Duration;

use axum::{
    body::Body,
    http::{Method, StatusCode},
};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use vendor_emulator::journal::{Entry, LIVE_BACKLOG};

use crate::helpers::{TestApp, TestResponse, request};

const HOST: &str = "localhost:8080";

async fn page(app: &TestApp) -> TestResponse {
    app.get("/_emulator/ui").await
}

#[tokio::test]
async fn the_page_is_one_self_contained_document_naming_every_vendor() {
    let app = TestApp::new();
    let r = page(&app).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let policy = r.header("content-security-policy").unwrap();
    assert!(policy.starts_with("default-src 'none'") && policy.contains("connect-src 'self'"), "{policy}");
    assert!(r.text.starts_with("<!DOCTYPE html>"), "{}", &r.text[..40]);
    for vendor in ["portalio", "propal", "holm"] {
        assert!(r.text.contains(&format!("data-vendor=\"{vendor}\"")), "no panel for {vendor}");
    }
    for title in ["Portal.io", "Propal", "Holm Security Partner Portal"] {
        assert!(r.text.contains(title), "{title}");
    }
    // Every asset is inline: no script, style sheet or image from anywhere else.
    assert!(!r.text.contains("<script src") && !r.text.contains("<link"), "an external asset");
    assert!(!r.text.contains("http://") && !r.text.contains("https://"), "a URL to elsewhere");
    assert!(r.text.contains("/_emulator/journal/live") && r.text.contains("sessionStorage"), "the script is inlined");
    assert!(r.text.contains("data-token-required=\"false\""));
}

#[tokio::test]
async fn behind_an_admin_token_the_page_opens_and_asks_for_it_and_its_data_needs_it() {
    let app = TestApp::with_args(&["--admin-token", "s3cret-token"]);
    let r = page(&app).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("data-token-required=\"true\""));
    assert!(r.text.contains("id=\"token-form\""));
    assert!(!r.text.contains("s3cret-token"), "the page never carries the token");
    for path in ["/_emulator/ui/panels", "/_emulator/journal/live"] {
        let refused = app.get(path).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(refused.json, json!({"error": "admin token required"}), "{path}");
    }
    let panels =
        app.send(request(Method::GET, "/_emulator/ui/panels", None, &[("authorization", "Bearer s3cret-token")])).await;
    assert_eq!(panels.status, StatusCode::OK, "{}", panels.text);
}

/// Reads the stream until `want` events have arrived.
async fn events(body: &mut Body, want: usize) -> Vec<(String, String)> {
    let mut text = String::new();
    let mut out = Vec::new();
    while out.len() < want {
        let frame = tokio::time::timeout(Duration::from_secs(5), body.frame())
            .await
            .expect("an event within 5 s")
            .expect("the stream is open")
            .unwrap();
        if let Ok(data) = frame.into_data() {
            text.push_str(std::str::from_utf8(&data).unwrap());
        }
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            let mut event = (String::new(), String::new());
            for line in block.lines() {
                if let Some(name) = line.strip_prefix("event: ") {
                    name.clone_into(&mut event.0);
                } else if let Some(data) = line.strip_prefix("data: ") {
                    event.1.push_str(data);
                }
            }
            if !event.0.is_empty() {
                out.push(event);
            }
        }
    }
    out
}

#[tokio::test]
async fn the_live_stream_delivers_each_new_entry_and_publishes_nothing_when_no_one_watches() {
    let app = TestApp::new();
    let journal = app.app.state.journal.clone();
    assert_eq!(journal.watchers(), 0);
    let response = app.router().oneshot(request(Method::GET, "/_emulator/journal/live", None, &[])).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert_eq!(journal.watchers(), 1);
    let mut body = response.into_body();

    let refused = app.propal(Method::GET, "pp_live_not-a-key", "/v1/proposals", None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let ok = app.get("/propal/v1/no-such-thing").await;
    let got = events(&mut body, 2).await;
    assert_eq!(got[0].0, "entry");
    let first: Value = serde_json::from_str(&got[0].1).unwrap();
    assert_eq!(first["id"], refused.header("x-emulator-request-id").unwrap());
    assert_eq!(first["status"], 401);
    assert_eq!(first["vendor"], "propal");
    assert!(first["explain"].as_str().unwrap().starts_with("unknown_key"), "{first}");
    assert_eq!(first["decision"][0]["outcome"], "fail");
    let second: Value = serde_json::from_str(&got[1].1).unwrap();
    assert_eq!(second["id"], ok.header("x-emulator-request-id").unwrap());

    drop(body);
    assert_eq!(journal.watchers(), 0, "a closed page stops the feed");
}

fn entry(id: usize) -> Entry {
    Entry {
        id: format!("req_{id}"),
        at: jiff::Timestamp::UNIX_EPOCH,
        vendor: Some(vendor_emulator::Vendor::Propal),
        method: "GET".into(),
        path: "/propal/v1/proposals".into(),
        route: None,
        query: None,
        headers: vec![],
        status: 200,
        client_ip: None,
        account: None,
        duration_us: 1,
        explain: None,
        decision: vec![],
    }
}

#[tokio::test]
async fn a_page_that_falls_behind_is_told_how_many_entries_it_missed_and_carries_on() {
    let app = TestApp::new();
    let response = app.router().oneshot(request(Method::GET, "/_emulator/journal/live", None, &[])).await.unwrap();
    let mut body = response.into_body();
    let journal = &app.app.state.journal;
    for i in 0..LIVE_BACKLOG + 10 {
        journal.push(entry(i));
    }
    let got = events(&mut body, 2).await;
    assert_eq!(got[0], ("missed".to_owned(), "10".to_owned()));
    let next: Value = serde_json::from_str(&got[1].1).unwrap();
    assert_eq!(next["id"], "req_10", "it carries on with the oldest entry still buffered");
}

#[tokio::test]
async fn the_journal_keeps_request_headers_with_credentials_masked() {
    let app = TestApp::new();
    let key = app.propal_key("Internal tools (full access)").await;
    let r = app
        .send(request(
            Method::GET,
            "/propal/v1/proposals?limit=1",
            None,
            &[("authorization", &format!("Bearer {key}")), ("x-trace", "abc"), ("cookie", "sid=12345678901")],
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let entry = app.journal_entry(&r).await;
    assert!(!entry.to_string().contains(&key), "the raw key never reaches the journal");
    let headers: Vec<(String, String)> = entry["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["name"].as_str().unwrap().to_owned(), h["value"].as_str().unwrap().to_owned()))
        .collect();
    let shown = format!("Bearer {}… [redacted, {} characters]", &key[..4], key.len());
    assert!(headers.contains(&("authorization".into(), shown)), "{headers:?}");
    assert!(headers.contains(&("x-trace".into(), "abc".into())), "{headers:?}");
    assert!(headers.contains(&("cookie".into(), "sid=… [redacted, 15 characters]".into())), "{headers:?}");
}

// --- the vendors' panels ---------------------------------------------------------

async fn panels(app: &TestApp) -> Value {
    let r = app.send(request(Method::GET, "/_emulator/ui/panels", None, &[("host", HOST)])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json
}

fn vendor<'a>(all: &'a Value, name: &str) -> &'a Value {
    all["vendors"].as_array().unwrap().iter().find(|v| v["vendor"] == name).unwrap()
}

fn table<'a>(all: &'a Value, vendor_name: &str, title: &str) -> &'a Value {
    vendor(all, vendor_name)["tables"].as_array().unwrap().iter().find(|t| t["title"] == title).unwrap()
}

/// Runs a panel button as the page does: its method, `/_emulator/<vendor>` + path, its body.
async fn press(app: &TestApp, vendor_name: &str, action: &Value) -> TestResponse {
    let method = Method::from_bytes(action["method"].as_str().unwrap().as_bytes()).unwrap();
    let path = format!("/_emulator/{vendor_name}{}", action["path"].as_str().unwrap());
    let body = Some(action["body"].clone()).filter(|b| !b.is_null());
    app.admin(method, &path, body).await
}

/// The words of a command line written with `shell_quote` (single quotes only).
fn words(command: &str) -> Vec<String> {
    let (mut out, mut word, mut quoted, mut started) = (Vec::new(), String::new(), false, false);
    for c in command.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                started = true;
            }
            ' ' if !quoted => {
                if started {
                    out.push(std::mem::take(&mut word));
                }
                started = false;
            }
            '\\' if !quoted => {}
            c => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        out.push(word);
    }
    out
}

/// Sends a ready-made curl command in process: its URL, `-H` headers and `-d` body.
async fn run_curl(app: &TestApp, command: &str) -> TestResponse {
    let words = words(command);
    assert_eq!(words[..2], ["curl", "-s"], "{command}");
    let url = words[2].strip_prefix(&format!("http://{HOST}")).unwrap_or_else(|| panic!("{command}"));
    let mut builder = axum::http::Request::builder().uri(url).header("host", HOST);
    let mut body = None;
    let mut rest = words[3..].iter();
    while let Some(flag) = rest.next() {
        let value = rest.next().unwrap();
        match flag.as_str() {
            "-H" => {
                let (name, value) = value.split_once(": ").unwrap();
                builder = builder.header(name, value);
            }
            "-d" => body = Some(value.clone()),
            other => panic!("unexpected {other} in {command}"),
        }
    }
    let method = if body.is_some() { Method::POST } else { Method::GET };
    app.send(builder.method(method).body(body.map_or_else(Body::empty, Body::from)).unwrap()).await
}

#[tokio::test]
async fn every_ready_made_request_works_including_portalios_signed_at_the_emulator_clock() {
    let app = TestApp::new();
    // A clock far from wall time: the Portal.io signature must follow the emulator's.
    app.freeze_at("2031-05-05T12:00:00Z").await;
    let all = panels(&app).await;
    assert_eq!(all["base_url"], format!("http://{HOST}"));
    for name in ["portalio", "propal", "holm"] {
        let examples = vendor(&all, name)["examples"].as_array().unwrap();
        assert!(!examples.is_empty(), "{name} has no ready-made request");
        for example in examples {
            let command = example["command"].as_str().unwrap();
            let r = run_curl(&app, command).await;
            assert!(r.status.is_success(), "{name}: {command} answered {}: {}", r.status, r.text);
        }
    }
    let portalio = vendor(&all, "portalio")["examples"][0]["command"].as_str().unwrap();
    assert!(portalio.contains("X-MSS-CUSTOM-DATE: Mon, 05 May 2031 12:00:00 GMT"), "{portalio}");
    // Credentials come with the panels, as /_emulator/credentials lists them.
    let credentials = app.get("/_emulator/credentials").await.json;
    for name in ["portalio", "propal", "holm"] {
        assert_eq!(vendor(&all, name)["credentials"], credentials[name], "{name}");
    }
}

#[tokio::test]
async fn each_vendors_tenant_table_creates_and_deletes_a_tenant_from_its_buttons() {
    let app = TestApp::new();
    for (name, title, created_id) in [
        ("portalio", "Dealer accounts", "account_id"),
        ("propal", "Organizations", "organization_id"),
        ("holm", "Organizations", "organization_id"),
    ] {
        let before = panels(&app).await;
        let tenants = table(&before, name, title);
        let count = tenants["rows"].as_array().unwrap().len();
        let created = press(&app, name, &tenants["create"]).await;
        assert_eq!(created.status, StatusCode::CREATED, "{name}: {}", created.text);
        let id = created.json[created_id].to_string().trim_matches('"').to_owned();
        let after = panels(&app).await;
        let rows = table(&after, name, title)["rows"].as_array().unwrap().clone();
        assert_eq!(rows.len(), count + 1, "{name}");
        let row = rows.iter().find(|r| r["cells"][0] == id.as_str()).unwrap_or_else(|| panic!("{name}: no row {id}"));
        let last = row["actions"].as_array().unwrap().last().unwrap();
        assert!(last["confirm"] == true, "{name}: a destructive button asks first");
        let removed = press(&app, name, last).await;
        assert_eq!(removed.status, StatusCode::NO_CONTENT, "{name}: {}", removed.text);
        let gone = panels(&app).await;
        let still = table(&gone, name, title)["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["cells"][0] == id.as_str() && r["actions"][0]["label"] != "Enable API access");
        assert!(!still, "{name}: the tenant is gone (or, for Holm, its API access is off)");
    }
}

#[tokio::test]
async fn holm_sessions_show_their_key_ip_lock_time_left_and_rate_budget_and_can_be_invalidated() {
    let app = TestApp::new();
    app.freeze_at("2026-04-01T10:00:00Z").await;
    let all = panels(&app).await;
    assert_eq!(table(&all, "holm", "Sessions")["rows"], json!([]));
    let command = vendor(&all, "holm")["examples"][0]["command"].as_str().unwrap().to_owned();
    let opened = run_curl(&app, &command).await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.text);
    app.advance(90.0).await;

    let all = panels(&app).await;
    let sessions = table(&all, "holm", "Sessions");
    assert_eq!(sessions["columns"], json!(["id", "organization", "key", "IP lock", "time left", "rate budget"]));
    let row = &sessions["rows"][0];
    assert_eq!(row["cells"][1], "org_balticit");
    assert_eq!(row["cells"][2], "Main");
    assert_eq!(row["cells"][3], "127.0.0.1");
    assert_eq!(row["cells"][4], "58m 30s");
    assert_eq!(row["cells"][5], "1 of 1 left this second");

    let token = opened.json["session_token"].as_str().unwrap();
    let me =
        app.send(request(Method::GET, "/holm/v1/me", None, &[("authorization", &format!("Session {token}"))])).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    let all = panels(&app).await;
    assert_eq!(table(&all, "holm", "Sessions")["rows"][0]["cells"][5], "0 of 1 left this second");

    let invalidate = table(&all, "holm", "Sessions")["rows"][0]["actions"][0].clone();
    assert_eq!(invalidate["label"], "Invalidate");
    assert_eq!(press(&app, "holm", &invalidate).await.status, StatusCode::NO_CONTENT);
    assert_eq!(table(&panels(&app).await, "holm", "Sessions")["rows"], json!([]));
    let after =
        app.send(request(Method::GET, "/holm/v1/me", None, &[("authorization", &format!("Session {token}"))])).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED, "{}", after.text);
}

#[tokio::test]
async fn a_reset_from_the_page_drops_a_created_tenant() {
    let app = TestApp::new();
    let before = table(&panels(&app).await, "propal", "Organizations")["rows"].as_array().unwrap().len();
    let create = table(&panels(&app).await, "propal", "Organizations")["create"].clone();
    assert_eq!(press(&app, "propal", &create).await.status, StatusCode::CREATED);
    assert_eq!(app.admin(Method::POST, "/_emulator/reset/propal", None).await.status, StatusCode::OK);
    let after = table(&panels(&app).await, "propal", "Organizations")["rows"].as_array().unwrap().len();
    assert_eq!(after, before);
}
