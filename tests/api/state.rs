//! Saved state: `GET`/`POST /_emulator/state` (export → restore gives back an
//! identical export; keys stay hashes and keep working), `--fixtures` on an export,
//! and `--state-dir` (load at start, write back; precise errors on a broken file).

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    time::Duration,
};

use axum::{
    body::Body,
    http::{Method, Request, StatusCode},
};
use http_body_util::BodyExt;
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use serde_json::{Value, json};
use vendor_emulator::{Config, build_app};

use crate::helpers::TestApp;

/// Some work in every vendor: a Propal organization with a runtime key and a lead,
/// a Holm organization key rotated away, a Portal.io account with a user. Answers the
/// raw Propal key.
async fn change_everything(app: &TestApp) -> String {
    let (_, key) = app.propal_org(None).await;
    let r = app.propal(Method::POST, &key, "/v1/leads", Some(json!({"name": "Saved Lead SARL"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app.admin(Method::POST, "/_emulator/holm/organizations", Some(json!({"name": "Saved Partner AB"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let r = app.admin(Method::POST, "/_emulator/portalio/accounts", Some(json!({"name": "Saved Dealer"}))).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    key
}

async fn export(app: &TestApp) -> Value {
    let r = app.get("/_emulator/state").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json
}

#[tokio::test]
async fn export_then_restore_gives_back_an_identical_export_and_runtime_keys_still_work() {
    let app = TestApp::new();
    let key = change_everything(&app).await;
    let saved = export(&app).await;
    assert_eq!(saved["format"], 1);
    let text = saved.to_string();
    assert!(!text.contains(&key), "the raw runtime key is never written");
    assert!(text.contains("Saved Lead SARL") && text.contains("Saved Partner AB") && text.contains("Saved Dealer"));
    for vendor in ["portalio", "propal", "holm"] {
        assert!(saved["vendors"][vendor].as_object().unwrap().len() >= 3, "{vendor}");
    }

    // Into the same emulator after a reset, and into a fresh one.
    app.admin(Method::POST, "/_emulator/reset", None).await;
    assert_ne!(export(&app).await, saved);
    let r = app.admin(Method::POST, "/_emulator/state", Some(saved.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json, json!({"restored": ["portalio", "propal", "holm"]}));
    assert_eq!(export(&app).await, saved);
    let fresh = TestApp::new();
    fresh.admin(Method::POST, "/_emulator/state", Some(saved.clone())).await;
    assert_eq!(export(&fresh).await, saved);
    let r = fresh.propal(Method::GET, &key, "/v1/leads", None).await;
    assert_eq!(r.status, StatusCode::OK, "the key made at runtime authenticates: {}", r.text);
    assert_eq!(r.json["data"][0]["name"], "Saved Lead SARL");
    // The fixture credentials are still listed, and a reset still goes back to the fixtures.
    let fixture_key = fresh.propal_key("Internal tools (full access)").await;
    assert_eq!(fresh.propal(Method::GET, &fixture_key, "/v1/leads", None).await.status, StatusCode::OK);
    fresh.admin(Method::POST, "/_emulator/reset", None).await;
    assert_eq!(fresh.propal(Method::GET, &key, "/v1/leads", None).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn one_vendors_export_restores_that_vendor_only() {
    let app = TestApp::new();
    change_everything(&app).await;
    let r = app.get("/_emulator/state?vendor=propal").await;
    let propal_only = r.json;
    assert_eq!(propal_only["vendors"].as_object().unwrap().keys().collect::<Vec<_>>(), ["propal"]);
    let fresh = TestApp::new();
    let before = export(&fresh).await;
    let r = fresh.admin(Method::POST, "/_emulator/state", Some(propal_only.clone())).await;
    assert_eq!(r.json, json!({"restored": ["propal"]}));
    let after = export(&fresh).await;
    assert_eq!(after["vendors"]["propal"], propal_only["vendors"]["propal"]);
    assert_eq!(after["vendors"]["holm"], before["vendors"]["holm"]);
    let r = app.get("/_emulator/state?vendor=acme").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_refused_document_names_the_file_and_path_and_changes_nothing() {
    let app = TestApp::new();
    let mut saved = export(&app).await;
    let r = app.admin(Method::POST, "/_emulator/propal/organizations", Some(json!({}))).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let before = export(&app).await;
    saved["vendors"]["propal"]["leads.json"]["leads"][1]["name"] = json!(42);
    let r = app.admin(Method::POST, "/_emulator/state", Some(saved.clone())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let error = r.json["error"].as_str().unwrap();
    assert!(error.starts_with(r#"fixture body at $.vendors.propal["leads.json"].leads[1]: invalid type"#), "{error}");
    assert_eq!(export(&app).await, before, "nothing changed");
    // (Propal's records are flattened beside their organization_id, so serde names the record.)
    // A missing file is named too.
    saved["vendors"]["propal"].as_object_mut().unwrap().remove("leads.json");
    let r = app.admin(Method::POST, "/_emulator/state", Some(saved)).await;
    assert_eq!(r.json["error"], r#"fixture body at $.vendors.propal["leads.json"]: the file is missing"#);
    let r = app.admin(Method::POST, "/_emulator/state", Some(json!({"format": 9, "vendors": {}}))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_export_saved_as_a_file_is_a_fixture_set_for_fixtures() {
    let app = TestApp::new();
    let key = change_everything(&app).await;
    let saved = export(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scenario.json");
    std::fs::write(&file, serde_json::to_string_pretty(&saved).unwrap()).unwrap();
    let started = TestApp::with_args(&["--fixtures", file.to_str().unwrap()]);
    assert_eq!(export(&started).await, saved);
    assert_eq!(started.propal(Method::GET, &key, "/v1/leads", None).await.status, StatusCode::OK);
    // There, a reset goes back to the scenario.
    started.propal(Method::POST, &key, "/v1/leads", Some(json!({"name": "Made After"}))).await;
    assert_ne!(export(&started).await, saved);
    started.admin(Method::POST, "/_emulator/reset", None).await;
    assert_eq!(export(&started).await, saved);
}

#[tokio::test]
async fn a_tar_export_unpacks_into_a_fixtures_directory_that_loads_back_and_posts_back() {
    let app = TestApp::new();
    let key = change_everything(&app).await;
    let saved = export(&app).await;
    let r = app.get("/_emulator/state?format=tar").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("application/x-tar"));
    let archive = r.bytes.clone();

    // Unpacked, it is a fixtures directory: one folder per vendor, one file per fixture.
    let dir = tempfile::tempdir().unwrap();
    tar::Archive::new(&archive[..]).unpack(dir.path()).unwrap();
    let leads = std::fs::read_to_string(dir.path().join("propal/leads.json")).unwrap();
    assert!(leads.contains("Saved Lead SARL") && leads.ends_with("}\n"), "{leads}");
    assert!(!leads.contains(&key));
    let started = TestApp::with_args(&["--fixtures", dir.path().to_str().unwrap()]);
    assert_eq!(export(&started).await, saved);
    assert_eq!(started.propal(Method::GET, &key, "/v1/leads", None).await.status, StatusCode::OK);

    // Posted back as an archive, like a reset.
    app.admin(Method::POST, "/_emulator/reset", None).await;
    let post = |body: Vec<u8>| {
        Request::builder()
            .method(Method::POST)
            .uri("/_emulator/state")
            .header("content-type", "application/x-tar")
            .body(Body::from(body))
            .unwrap()
    };
    let r = app.send(post(archive.to_vec())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(export(&app).await, saved);

    // A broken archive changes nothing and says why.
    app.admin(Method::POST, "/_emulator/reset", None).await;
    let before = export(&app).await;
    let r = app.send(post(b"not an archive".to_vec())).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json["error"].as_str().unwrap().contains("body"), "{}", r.text);
    assert_eq!(export(&app).await, before);
    let r = app.get("/_emulator/state?format=zip").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
}

#[tokio::test]
async fn a_state_dir_keeps_the_state_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    let first = TestApp::with_args(&["--state-dir", path]);
    assert!(!dir.path().join("state.json").exists(), "nothing written before a change or a flush");
    let key = change_everything(&first).await;
    let saved = export(&first).await;
    let state_dir = first.app.state.state_dir.as_ref().unwrap();
    assert!(state_dir.flush(&first.app.state).unwrap(), "a changed state is written");
    assert!(!state_dir.flush(&first.app.state).unwrap(), "an unchanged one is not");
    let second = TestApp::with_args(&["--state-dir", path]);
    assert_eq!(export(&second).await, saved);
    assert_eq!(second.propal(Method::GET, &key, "/v1/leads", None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_corrupted_state_file_stops_start_up_naming_the_file_and_the_path_inside() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.json");
    let app = TestApp::new();
    let mut saved = export(&app).await;
    saved["vendors"]["holm"]["organizations.json"]["organizations"][0]["keys"][0]["created_at"] = json!("yesterday");
    std::fs::write(&file, saved.to_string()).unwrap();
    let config = Config::from_args(["--state-dir", dir.path().to_str().unwrap()]);
    let error = format!("{:#}", build_app(config).err().expect("start-up refuses"));
    let expected = format!(
        "fixture {} at $.vendors.holm[\"organizations.json\"].organizations[0].keys[0].created_at:",
        file.display()
    );
    assert!(error.starts_with(&expected), "{error}");
    std::fs::write(&file, "{\"format\": 1, \"vendors\": {\"propal\": ").unwrap();
    let config = Config::from_args(["--state-dir", dir.path().to_str().unwrap()]);
    let error = format!("{:#}", build_app(config).err().expect("start-up refuses"));
    assert!(error.starts_with(&format!("fixture {} at ", file.display())) && error.contains("EOF"), "{error}");
}

/// The real binary on a state directory: its child and address.
fn start_binary(dir: &std::path::Path, extra: &[&str]) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vendor-emulator"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("EMULATOR_") {
            command.env_remove(name);
        }
    }
    let mut child = command
        .args(["--bind", "127.0.0.1:0", "--state-dir", dir.to_str().unwrap()])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let listening: Value = serde_json::from_str(&line).unwrap_or_else(|_| {
        let mut stderr = String::new();
        let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr);
        panic!("no listening line: {line:?}; stderr: {stderr}")
    });
    (child, format!("http://{}", listening["addr"].as_str().unwrap()))
}

async fn call(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> (StatusCode, Value) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Body>();
    let mut request = Request::builder().method(method).uri(format!("{base}{path}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if body.is_some() {
        request = request.header("content-type", "application/json");
    }
    let response = client.request(request.body(body.map_or_else(Body::empty, |b| Body::from(b.to_string()))).unwrap());
    let response = response.await.expect("answered");
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill").args([name, &child.id().to_string()]).status().unwrap();
    assert!(status.success());
}

/// Waits (bounded, on a helper thread, without polling) for the child to exit.
fn wait(mut child: Child) {
    let pid = child.id().to_string();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(child.wait());
    });
    if done_rx.recv_timeout(Duration::from_secs(5)).is_err() {
        let _ = Command::new("kill").args(["-KILL", &pid]).status();
        panic!("the emulator did not exit");
    }
}

#[tokio::test]
async fn a_key_made_at_runtime_authenticates_after_a_graceful_restart_of_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    // A flush interval far longer than the test: only the shutdown writes.
    let (child, base) = start_binary(dir.path(), &["--state-flush-seconds", "3600"]);
    let (status, created) = call(&base, "POST", "/_emulator/propal/organizations", &[], Some(json!({}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let key = created["key"]["key"].as_str().unwrap().to_owned();
    signal(&child, "-TERM");
    tokio::task::spawn_blocking(move || wait(child)).await.unwrap();
    let text = std::fs::read_to_string(dir.path().join("state.json")).expect("written on shutdown");
    assert!(!text.contains(&key), "the raw key is never written");
    assert!(!dir.path().join("state.json.partial").exists());

    let (child, base) = start_binary(dir.path(), &[]);
    let auth = format!("Bearer {key}");
    let (status, leads) = call(&base, "GET", "/propal/v1/leads", &[("authorization", &auth)], None).await;
    assert_eq!(status, StatusCode::OK, "{leads}");
    signal(&child, "-KILL");
    tokio::task::spawn_blocking(move || wait(child)).await.unwrap();
}

#[tokio::test]
async fn killing_the_process_during_writes_leaves_a_state_directory_that_loads() {
    let dir = tempfile::tempdir().unwrap();
    let (child, base) = start_binary(dir.path(), &["--state-flush-seconds", "0.01"]);
    let (_, created) = call(&base, "POST", "/_emulator/propal/organizations", &[], Some(json!({}))).await;
    let auth = format!("Bearer {}", created["key"]["key"].as_str().unwrap());
    // Keep changing the state while the writer writes it every 10 ms; kill in the middle.
    let mut made = 0;
    for i in 0..150 {
        let body = json!({"name": format!("Lead {i} {}", "x".repeat(200))});
        let (status, _) = call(&base, "POST", "/propal/v1/leads", &[("authorization", &auth)], Some(body)).await;
        assert_eq!(status, StatusCode::CREATED);
        made += 1;
        if i == 120 {
            signal(&child, "-KILL");
            break;
        }
    }
    tokio::task::spawn_blocking(move || wait(child)).await.unwrap();
    let (child, base) = start_binary(dir.path(), &[]);
    let (status, leads) = call(&base, "GET", "/propal/v1/leads?limit=100", &[("authorization", &auth)], None).await;
    assert_eq!(status, StatusCode::OK, "the state loaded, and the organization with it: {leads}");
    assert!(leads["data"].as_array().unwrap().len() <= made);
    signal(&child, "-KILL");
    tokio::task::spawn_blocking(move || wait(child)).await.unwrap();
}

#[tokio::test]
async fn a_holm_session_opened_before_a_restore_still_works_after_it() {
    let app = TestApp::new();
    let body =
        json!({"organizer_key": "hsp_org_N0rdsecOrgKey7Qx2Lm9Pz4Rt", "api_key": "hsp_NsDevK4Qw6Er8Ty0Ui2Op4As6"});
    let r = app.admin(Method::POST, "/holm/v1/auth/session", Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let token = r.json["session_token"].as_str().unwrap().to_owned();
    let saved = export(&app).await;
    assert!(!saved.to_string().contains(&token), "only the token's hash is written");
    let fresh = TestApp::new();
    fresh.admin(Method::POST, "/_emulator/state", Some(saved.clone())).await;
    assert_eq!(export(&fresh).await, saved);
    let auth = format!("Session {token}");
    let r = fresh.send(crate::helpers::request(Method::GET, "/holm/v1/me", None, &[("authorization", &auth)])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}
