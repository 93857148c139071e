//! The control plane under `/_emulator` (CONTRACT §6, §7): health, credentials,
//! the clock and the jobs it runs, atomic resets under load, the journal, the
//! explain switch, the admin token, the OpenAPI document, and the precise error a
//! broken `--fixtures` directory gives at start-up.

use std::{
    path::Path,
    sync::{Arc, Mutex},
};

use axum::http::{Method, StatusCode};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use vendor_emulator::{Config, Vendor, build_app, scheduler::Job};

use crate::helpers::{TestApp, TestResponse, raw_request, request, send};

const FULL_ACCESS: &str = "Internal tools (full access)";

fn assert_keys(value: &Value, keys: &[&str], what: &str) {
    let object = value.as_object().unwrap_or_else(|| panic!("{what} is not an object: {value}"));
    for key in keys {
        assert!(object.contains_key(*key), "{what} lacks `{key}`: {value}");
    }
}

// --- health and credentials -------------------------------------------------

#[tokio::test]
async fn health_reports_status_version_uptime_vendors_and_fixture_counts() {
    let app = TestApp::new();

    let r = app.get("/_emulator/health").await;

    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["status"], "ok");
    assert_eq!(r.json["version"], env!("CARGO_PKG_VERSION"));
    assert!(r.json["uptime_ms"].is_u64(), "{}", r.text);
    assert_eq!(r.json["vendors"], json!(["portalio", "propal", "holm"]));
    assert_keys(&r.json["fixtures"], &["portalio", "propal", "holm"], "fixtures");
    assert!(r.json["fixtures"]["propal"]["leads"].as_u64().is_some_and(|n| n > 0), "{}", r.text);
}

#[tokio::test]
async fn credentials_list_every_vendors_raw_fixture_secrets() {
    let app = TestApp::new();

    let r = app.get("/_emulator/credentials").await;

    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let portalio = &r.json["portalio"];
    assert_eq!(portalio["base_path"], "/portalio");
    let apps = portalio["apps"].as_array().expect("portalio apps");
    assert!(!apps.is_empty());
    for app in apps {
        assert_keys(app, &["app_id", "secret_key"], "a Portal.io app");
    }
    let accounts = portalio["accounts"].as_array().expect("portalio accounts");
    assert!(!accounts.is_empty());
    for account in accounts {
        assert_keys(account, &["account_id", "name", "users"], "a Portal.io account");
        for user in account["users"].as_array().expect("users") {
            let fields =
                ["id", "username", "password", "user_key", "email_verified", "subscription_active", "catalog_access"];
            assert_keys(user, &fields, "a Portal.io user");
        }
    }

    let propal = &r.json["propal"];
    assert_eq!(propal["base_path"], "/propal/v1");
    let keys = propal["keys"].as_array().expect("propal keys");
    assert!(keys.iter().any(|k| k["name"] == FULL_ACCESS), "{propal}");
    for key in keys {
        assert_keys(key, &["id", "key", "name", "organization_id", "scopes", "revoked", "expires_at"], "a Propal key");
        assert!(key["key"].as_str().is_some_and(|k| k.starts_with("pp_live_")), "{key}");
    }

    let holm = &r.json["holm"];
    assert_eq!(holm["base_path"], "/holm/v1");
    let organizations = holm["organizations"].as_array().expect("holm organizations");
    assert!(!organizations.is_empty());
    for organization in organizations {
        assert_keys(organization, &["organization_id", "organization_key", "keys"], "a Holm organization");
        for key in organization["keys"].as_array().expect("holm keys") {
            let fields = ["id", "api_key", "name", "partnership_type", "scopes", "allowed_origins", "revoked"];
            assert_keys(key, &fields, "a Holm key");
        }
    }
}

#[tokio::test]
async fn every_fixture_propal_key_listed_as_usable_authenticates() {
    let app = TestApp::new();
    let creds = app.get("/_emulator/credentials").await.json;
    let now = app.get("/_emulator/clock").await.json["now"].as_str().unwrap().parse::<Timestamp>().unwrap();

    for key in creds["propal"]["keys"].as_array().unwrap() {
        let expired = key["expires_at"].as_str().is_some_and(|at| at.parse::<Timestamp>().unwrap() <= now);
        let usable = key["revoked"] == false && !expired;
        let r = app.propal(Method::GET, key["key"].as_str().unwrap(), "/v1/leads", None).await;
        if usable {
            assert_ne!(r.status, StatusCode::UNAUTHORIZED, "{} should authenticate: {}", key["name"], r.text);
        } else {
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{} should be refused: {}", key["name"], r.text);
        }
    }
}

// --- clock ------------------------------------------------------------------

async fn clock_command(app: &TestApp, body: Value) -> TestResponse {
    app.admin(Method::POST, "/_emulator/clock", Some(body)).await
}

#[tokio::test]
async fn the_clock_runs_on_wall_time_until_frozen() {
    let app = TestApp::new();

    let r = app.get("/_emulator/clock").await;

    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["frozen"], false);
    let now: Timestamp = r.json["now"].as_str().expect("now").parse().expect("RFC 3339");
    let drift = now.duration_since(Timestamp::now()).abs();
    assert!(drift < SignedDuration::from_secs(60), "{now}");
}

#[tokio::test]
async fn freeze_set_advance_and_resume_move_the_clock() {
    let app = TestApp::new();

    let frozen = clock_command(&app, json!({"freeze": true})).await;
    assert_eq!(frozen.status, StatusCode::OK, "{}", frozen.text);
    assert_eq!(frozen.json["frozen"], true);
    assert_eq!(app.get("/_emulator/clock").await.json["now"], frozen.json["now"]);

    let set = clock_command(&app, json!({"set": "2030-01-01T00:00:00Z"})).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    assert_eq!(set.json, json!({"now": "2030-01-01T00:00:00.000Z", "frozen": true}));

    let advanced = clock_command(&app, json!({"advance_seconds": 90.5})).await;
    assert_eq!(advanced.status, StatusCode::OK, "{}", advanced.text);
    assert_eq!(advanced.json, json!({"now": "2030-01-01T00:01:30.500Z", "frozen": true}));
    assert_eq!(app.get("/_emulator/clock").await.json, advanced.json);

    let resumed = clock_command(&app, json!({"resume": true})).await;
    assert_eq!(resumed.status, StatusCode::OK, "{}", resumed.text);
    assert_eq!(resumed.json["frozen"], false);
    let now: Timestamp = resumed.json["now"].as_str().unwrap().parse().unwrap();
    let from: Timestamp = "2030-01-01T00:01:30.500Z".parse().unwrap();
    assert!(now >= from && now.duration_since(from) < SignedDuration::from_secs(60), "{now}");
}

#[tokio::test]
async fn bad_clock_commands_get_400_and_leave_the_clock_alone() {
    let app = TestApp::new();
    app.freeze_at("2030-01-01T00:00:00Z").await;
    let bad_bodies = [
        json!({}),
        json!({"freeze": true, "advance_seconds": 5}),
        json!({"set": "next tuesday"}),
        json!({"advance_seconds": -1}),
        json!({"advance_seconds": "ten"}),
        json!({"rewind": 10}),
        json!([1, 2, 3]),
    ];

    for body in bad_bodies {
        let r = clock_command(&app, body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body} -> {}", r.text);
        assert!(r.json["error"].as_str().is_some_and(|e| !e.is_empty()), "{body} -> {}", r.text);
    }
    let malformed = app
        .send(raw_request(Method::POST, "/_emulator/clock", "{\"freeze\":", &[("content-type", "application/json")]))
        .await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST, "{}", malformed.text);
    assert!(malformed.json["error"].is_string(), "{}", malformed.text);
    let not_json = app
        .send(raw_request(Method::POST, "/_emulator/clock", "{\"resume\":true}", &[("content-type", "text/csv")]))
        .await;
    assert_eq!(not_json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", not_json.text);
    assert!(not_json.json["error"].is_string(), "{}", not_json.text);

    assert_eq!(app.get("/_emulator/clock").await.json, json!({"now": "2030-01-01T00:00:00.000Z", "frozen": true}));
}

/// A job that records its name and the clock's reading when it runs.
fn recording_job(app: &TestApp, log: &Arc<Mutex<Vec<(&'static str, Timestamp)>>>, name: &'static str) -> Job {
    let log = Arc::clone(log);
    let clock = app.app.state.clock.clone();
    Box::new(move |_due| {
        Box::pin(async move {
            log.lock().unwrap().push((name, clock.now()));
        })
    })
}

#[tokio::test]
async fn advancing_the_clock_runs_due_jobs_in_order_and_leaves_later_ones() {
    let app = TestApp::new();
    app.freeze_at("2030-01-01T00:00:00Z").await;
    let start: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let scheduler = &app.app.state.scheduler;
    scheduler.schedule(Vendor::Portalio, start + SignedDuration::from_secs(20), recording_job(&app, &log, "second"));
    scheduler.schedule(Vendor::Portalio, start + SignedDuration::from_secs(5), recording_job(&app, &log, "first"));
    scheduler.schedule(Vendor::Portalio, start + SignedDuration::from_secs(120), recording_job(&app, &log, "later"));

    let r = clock_command(&app, json!({"advance_seconds": 30})).await;

    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["now"], "2030-01-01T00:00:30.000Z");
    assert_eq!(
        log.lock().unwrap().clone(),
        [("first", start + SignedDuration::from_secs(5)), ("second", start + SignedDuration::from_secs(20))]
    );
    assert_eq!(scheduler.pending(Some(Vendor::Portalio)), 1);

    app.advance(100.0).await;

    let names: Vec<&str> = log.lock().unwrap().iter().map(|(name, _)| *name).collect();
    assert_eq!(names, ["first", "second", "later"]);
    assert_eq!(scheduler.pending(None), 0);
}

#[tokio::test]
async fn resetting_a_vendor_drops_its_pending_jobs() {
    let app = TestApp::new();
    app.freeze_at("2030-01-01T00:00:00Z").await;
    let due: Timestamp = "2030-01-01T00:00:10Z".parse().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    app.app.state.scheduler.schedule(Vendor::Portalio, due, recording_job(&app, &log, "portalio"));
    app.app.state.scheduler.schedule(Vendor::Holm, due, recording_job(&app, &log, "holm"));

    let r = app.admin(Method::POST, "/_emulator/reset/portalio", None).await;
    app.advance(60.0).await;

    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let names: Vec<&str> = log.lock().unwrap().iter().map(|(name, _)| *name).collect();
    assert_eq!(names, ["holm"]);
}

// --- reset ------------------------------------------------------------------

async fn lead_count(app: &TestApp, key: &str) -> u64 {
    let r = app.propal(Method::GET, key, "/v1/leads", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json["pagination"]["total_count"].as_u64().expect("total_count")
}

#[tokio::test]
async fn reset_puts_created_data_back_to_the_fixtures() {
    let app = TestApp::new();
    let key = app.propal_key(FULL_ACCESS).await;
    let fixture_count = lead_count(&app, &key).await;
    let created = app.propal(Method::POST, &key, "/v1/leads", Some(json!({"name": "Temporary lead"}))).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(lead_count(&app, &key).await, fixture_count + 1);

    let r = app.admin(Method::POST, "/_emulator/reset", None).await;

    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(lead_count(&app, &key).await, fixture_count);
    let id = created.json["id"].as_str().unwrap();
    let gone = app.propal(Method::GET, &key, &format!("/v1/leads/{id}"), None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resets_while_requests_run_never_expose_a_half_reset_store() {
    let app = TestApp::new();
    let key = app.propal_key(FULL_ACCESS).await;
    let fixture_count = lead_count(&app, &key).await;
    let auth = format!("Bearer {key}");
    let mut tasks = tokio::task::JoinSet::new();

    for task in 0..20 {
        let router = app.router();
        let auth = auth.clone();
        tasks.spawn(async move {
            let mut seen = Vec::new();
            for round in 0..10 {
                let r = if task % 2 == 0 {
                    let headers = [("authorization", auth.as_str())];
                    send(router.clone(), request(Method::GET, "/propal/v1/leads", None, &headers)).await
                } else {
                    let body = json!({ "name": format!("Lead {task}-{round}") });
                    let headers = [("authorization", auth.as_str())];
                    send(router.clone(), request(Method::POST, "/propal/v1/leads", Some(body), &headers)).await
                };
                seen.push((r.status, r.text));
            }
            seen
        });
    }
    for task in 0..4 {
        let router = app.router();
        tasks.spawn(async move {
            let mut seen = Vec::new();
            for round in 0..10 {
                let path = if (task + round) % 2 == 0 { "/_emulator/reset" } else { "/_emulator/reset/propal" };
                let r = send(router.clone(), request(Method::POST, path, None, &[])).await;
                seen.push((r.status, r.text));
                tokio::task::yield_now().await;
            }
            seen
        });
    }

    let mut answers = 0;
    while let Some(result) = tasks.join_next().await {
        for (status, text) in result.expect("task finished") {
            answers += 1;
            assert!(status == StatusCode::OK || status == StatusCode::CREATED, "{status}: {text}");
        }
    }
    assert_eq!(answers, 240);

    let r = app.admin(Method::POST, "/_emulator/reset", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(lead_count(&app, &key).await, fixture_count);
}

#[tokio::test]
async fn resetting_an_unknown_vendor_is_404() {
    let app = TestApp::new();

    let r = app.admin(Method::POST, "/_emulator/reset/acme", None).await;

    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    assert!(r.json["error"].as_str().is_some_and(|e| e.contains("acme")), "{}", r.text);
}

// --- journal ----------------------------------------------------------------

fn entry_ids(list: &TestResponse) -> Vec<String> {
    list.json["entries"]
        .as_array()
        .unwrap_or_else(|| panic!("no entries: {}", list.text))
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

fn request_id(r: &TestResponse) -> String {
    r.header("x-emulator-request-id").expect("request id").to_owned()
}

#[tokio::test]
async fn the_journal_keeps_the_newest_entries_up_to_its_capacity() {
    let app = TestApp::with_args(&["--journal-capacity", "3"]);
    let key = app.propal_key(FULL_ACCESS).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(request_id(&app.propal(Method::GET, &key, "/v1/organization", None).await));
    }

    let list = app.get("/_emulator/journal").await;

    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert_eq!(entry_ids(&list), [ids[4].clone(), ids[3].clone(), ids[2].clone()]);
    assert_eq!(list.json["capacity"], 3);
    let evicted = app.get(&format!("/_emulator/journal/{}", ids[0])).await;
    assert_eq!(evicted.status, StatusCode::NOT_FOUND, "{}", evicted.text);
    assert!(evicted.json["error"].is_string(), "{}", evicted.text);
    let kept = app.get(&format!("/_emulator/journal/{}", ids[2])).await;
    assert_eq!(kept.status, StatusCode::OK, "{}", kept.text);
}

#[tokio::test]
async fn a_refused_request_is_journaled_with_its_decision_trail() {
    let app = TestApp::new();
    let headers = [("authorization", "Bearer pp_live_doesnotexist"), ("x-forwarded-for", "203.0.113.9, 10.0.0.1")];

    let r = app.send(request(Method::GET, "/propal/v1/leads", None, &headers)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    let entry = app.journal_entry(&r).await;

    assert_keys(
        &entry,
        &["id", "at", "vendor", "method", "path", "query", "status", "client_ip", "account", "duration_us", "decision"],
        "a journal entry",
    );
    assert_eq!(entry["id"], request_id(&r).as_str());
    assert_eq!(entry["vendor"], "propal");
    assert_eq!(entry["method"], "GET");
    assert_eq!(entry["path"], "/propal/v1/leads");
    assert_eq!(entry["status"], 401);
    assert_eq!(entry["client_ip"], "203.0.113.9");
    let decision = entry["decision"].as_array().expect("decision trail");
    let failed = decision.iter().find(|step| step["outcome"] == "fail").expect("a failing step");
    assert_eq!(failed["step"], "api_key", "{entry}");
    assert!(failed["detail"].as_str().is_some_and(|d| !d.is_empty()), "{entry}");
    assert!(r.header("x-emulator-explain").is_some_and(|e| e.starts_with("unknown_key; ")), "{:?}", r.headers);
}

#[tokio::test]
async fn an_accepted_request_is_journaled_with_its_account_and_passing_steps() {
    let app = TestApp::new();
    let key = app.propal_key(FULL_ACCESS).await;

    let r = app.propal(Method::GET, &key, "/v1/leads?limit=2", None).await;
    let entry = app.journal_entry(&r).await;

    assert_eq!(entry["status"], 200);
    assert_eq!(entry["query"], "limit=2");
    assert!(entry["account"].is_string(), "{entry}");
    let decision = entry["decision"].as_array().expect("decision trail");
    assert!(!decision.is_empty(), "{entry}");
    assert!(decision.iter().all(|step| step["outcome"] == "pass"), "{entry}");
}

#[tokio::test]
async fn the_journal_filters_by_vendor_status_and_limit() {
    let app = TestApp::new();
    let key = app.propal_key(FULL_ACCESS).await;
    let ok = request_id(&app.propal(Method::GET, &key, "/v1/organization", None).await);
    let refused = request_id(&app.propal(Method::GET, "pp_live_doesnotexist", "/v1/organization", None).await);
    let holm = request_id(&app.get("/holm/v1/no-such-resource").await);
    let portalio = request_id(&app.get("/portalio/no-such-resource").await);
    app.get("/_emulator/health").await;

    let all = app.get("/_emulator/journal").await;
    let propal = app.get("/_emulator/journal?vendor=propal").await;
    let unauthorized = app.get("/_emulator/journal?status=401").await;
    let not_found = app.get("/_emulator/journal?status=404").await;
    let newest = app.get("/_emulator/journal?limit=1").await;
    let combined = app.get("/_emulator/journal?vendor=holm&status=404&limit=5").await;
    let bad_vendor = app.get("/_emulator/journal?vendor=acme").await;
    let bad_status = app.get("/_emulator/journal?status=teapot").await;

    assert_eq!(entry_ids(&all), [portalio.clone(), holm.clone(), refused.clone(), ok.clone()]);
    assert_eq!(entry_ids(&propal), [refused.clone(), ok]);
    assert_eq!(entry_ids(&unauthorized), [refused]);
    assert_eq!(entry_ids(&not_found), [portalio.clone(), holm.clone()]);
    assert_eq!(entry_ids(&newest), [portalio]);
    assert_eq!(entry_ids(&combined), [holm]);
    assert_eq!(bad_vendor.status, StatusCode::BAD_REQUEST, "{}", bad_vendor.text);
    assert!(bad_vendor.json["error"].is_string(), "{}", bad_vendor.text);
    assert_eq!(bad_status.status, StatusCode::BAD_REQUEST, "{}", bad_status.text);
}

#[tokio::test]
async fn no_explain_drops_the_header_but_the_journal_keeps_the_trail() {
    let app = TestApp::with_args(&["--no-explain"]);

    let r = app.propal(Method::GET, "pp_live_doesnotexist", "/v1/organization", None).await;

    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(r.json, json!({"error": {"code": "unauthorized", "message": "Invalid API key."}}));
    assert!(r.header("x-emulator-explain").is_none(), "{:?}", r.headers);
    let entry = app.journal_entry(&r).await;
    assert_eq!(entry["status"], 401);
    let decision = entry["decision"].as_array().expect("decision trail");
    assert!(decision.iter().any(|s| s["step"] == "api_key" && s["outcome"] == "fail"), "{entry}");
}

// --- admin token ------------------------------------------------------------

#[tokio::test]
async fn an_admin_token_guards_the_control_plane_but_not_its_health() {
    let app = TestApp::with_args(&["--admin-token", "s3cret-token"]);

    let missing = app.get("/_emulator/credentials").await;
    let wrong =
        app.send(request(Method::GET, "/_emulator/credentials", None, &[("authorization", "Bearer nope")])).await;
    let other_scheme = app
        .send(request(Method::GET, "/_emulator/credentials", None, &[("authorization", "Basic s3cret-token")]))
        .await;
    let right = app
        .send(request(Method::GET, "/_emulator/credentials", None, &[("authorization", "Bearer s3cret-token")]))
        .await;
    let reset_without = app.admin(Method::POST, "/_emulator/reset", None).await;
    let health_without = app.get("/_emulator/health").await;

    for refused in [&missing, &wrong, &other_scheme, &reset_without] {
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.text);
        assert_eq!(refused.json, json!({"error": "admin token required"}));
        assert!(refused.header("x-emulator-explain").is_some_and(|e| e.starts_with("admin_token")));
    }
    assert_eq!(right.status, StatusCode::OK, "{}", right.text);
    assert!(right.json["propal"].is_object(), "{}", right.text);
    assert_eq!(health_without.status, StatusCode::OK, "{}", health_without.text);
    assert_eq!(health_without.json["status"], "ok");
}

#[tokio::test]
async fn the_control_plane_takes_json_without_a_content_type_or_with_curls_form_default() {
    let app = TestApp::new();
    let freeze = r#"{"freeze":true}"#;

    let bare = app.send(raw_request(Method::POST, "/_emulator/clock", freeze, &[])).await;
    let curl = app
        .send(raw_request(
            Method::POST,
            "/_emulator/clock",
            r#"{"resume":true}"#,
            &[("content-type", "application/x-www-form-urlencoded")],
        ))
        .await;
    let json_utf8 = app
        .send(raw_request(
            Method::POST,
            "/_emulator/clock",
            freeze,
            &[("content-type", "application/json; charset=utf-8")],
        ))
        .await;
    let text = app.send(raw_request(Method::POST, "/_emulator/clock", freeze, &[("content-type", "text/plain")])).await;
    let org = app.send(raw_request(Method::POST, "/_emulator/propal/organizations", "", &[])).await;

    assert_eq!(bare.status, StatusCode::OK, "{}", bare.text);
    assert_eq!(bare.json["frozen"], true);
    assert_eq!(curl.status, StatusCode::OK, "{}", curl.text);
    assert_eq!(curl.json["frozen"], false);
    assert_eq!(json_utf8.status, StatusCode::OK, "{}", json_utf8.text);
    assert_eq!(text.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", text.text);
    assert_eq!(
        text.json,
        json!({"error": "the body must be JSON (Content-Type: application/json, or none), not `text/plain`"})
    );
    assert_eq!(org.status, StatusCode::CREATED, "an empty body is `{{}}`: {}", org.text);
}

#[tokio::test]
async fn an_unserved_method_on_a_control_plane_path_answers_json_with_allow() {
    let app = TestApp::new();

    let reset = app.get("/_emulator/reset").await;
    let organizations = app.get("/_emulator/propal/organizations").await;

    assert_eq!(reset.status, StatusCode::METHOD_NOT_ALLOWED, "{} {:?}", reset.text, reset.headers);
    assert_eq!(reset.json, json!({"error": "GET is not served on /_emulator/reset; the Allow header lists what is"}));
    assert_eq!(reset.header("allow"), Some("POST"));
    assert_eq!(organizations.status, StatusCode::METHOD_NOT_ALLOWED, "{}", organizations.text);
    assert_eq!(organizations.header("allow"), Some("POST"));
    assert_eq!(
        organizations.json,
        json!({"error": "GET is not served on /_emulator/propal/organizations; the Allow header lists what is"})
    );
}

#[tokio::test]
async fn an_admin_token_does_not_guard_the_vendor_apis() {
    let app = TestApp::with_args(&["--admin-token", "s3cret-token"]);
    let raw_keys = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/propal/raw_keys.json"))
        .expect("fixture raw keys");
    let raw_keys: Value = serde_json::from_str(&raw_keys).unwrap();
    let full_access_id = "b098696c-7e37-40ec-9990-2d277eba53f6";
    let key = raw_keys["keys"].as_array().unwrap().iter().find(|k| k["id"] == full_access_id).unwrap()["key"]
        .as_str()
        .unwrap()
        .to_owned();

    let r = app.propal(Method::GET, &key, "/v1/organization", None).await;

    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

// --- OpenAPI ----------------------------------------------------------------

#[tokio::test]
async fn openapi_lists_the_control_plane_and_the_emulated_routes() {
    let app = TestApp::new();

    let r = app.get("/_emulator/openapi.json").await;

    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.json["openapi"].as_str().is_some_and(|v| v.starts_with('3')), "{}", r.json["openapi"]);
    let paths = r.json["paths"].as_object().expect("paths");
    assert!(paths["/_emulator/health"].get("get").is_some());
    assert!(paths["/_emulator/clock"].get("post").is_some());
    assert!(paths["/propal/v1/proposals"].get("get").is_some());
    assert!(paths["/propal/v1/proposals"].get("post").is_some());
}

// --- fixtures ---------------------------------------------------------------

/// A `--fixtures` directory holding a copy of the embedded Propal files, with `edit`
/// applied to the parsed `file`.
fn propal_fixtures_with(file: &str, edit: impl FnOnce(&mut Value)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("propal");
    std::fs::create_dir(&target).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/propal");
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            std::fs::copy(&path, target.join(path.file_name().unwrap())).unwrap();
        }
    }
    let path = target.join(file);
    let mut value: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut value);
    std::fs::write(&path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
    dir
}

fn start_up_error(dir: &Path) -> String {
    let config = Config::from_args(["--fixtures", dir.to_str().expect("UTF-8 temp path")]);
    match build_app(config) {
        Ok(_) => panic!("fixtures in {} should not load", dir.display()),
        Err(error) => format!("{error:#}"),
    }
}

#[test]
fn an_untouched_copy_of_the_fixtures_loads() {
    let dir = propal_fixtures_with("api_keys.json", |_| {});

    let app = build_app(Config::from_args(["--fixtures", dir.path().to_str().unwrap()]));

    assert!(app.is_ok(), "{:#}", app.err().unwrap());
}

#[test]
fn an_unknown_scope_in_a_fixture_names_the_file_the_json_path_and_the_reason() {
    let dir = propal_fixtures_with("api_keys.json", |keys| {
        keys["keys"][1]["scopes"].as_array_mut().unwrap().push(json!("proposals:admin"));
    });

    let message = start_up_error(dir.path());

    let file = dir.path().join("propal").join("api_keys.json");
    assert!(message.contains(&file.display().to_string()), "{message}");
    assert!(message.contains("$.keys[1].scopes"), "{message}");
    assert!(message.contains("unknown scope") && message.contains("proposals:admin"), "{message}");
}

#[test]
fn a_raw_key_that_does_not_match_its_hash_names_raw_keys_json() {
    let dir = propal_fixtures_with("raw_keys.json", |raw| {
        raw["keys"][0]["key"] = json!("pp_live_0000000000000000Fxtampered");
    });

    let message = start_up_error(dir.path());

    let file = dir.path().join("propal").join("raw_keys.json");
    assert!(message.contains(&file.display().to_string()), "{message}");
    assert!(message.contains("$.keys[0].key"), "{message}");
    assert!(message.contains("does not hash"), "{message}");
}

#[test]
fn a_fixtures_path_that_is_not_a_directory_is_refused() {
    let file = tempfile::NamedTempFile::new().unwrap();

    let message = start_up_error(file.path());

    assert!(message.contains(&file.path().display().to_string()), "{message}");
    assert!(message.contains("not a directory"), "{message}");
}

#[tokio::test]
async fn without_forwarding_headers_the_journal_records_the_socket_peer() {
    let app = TestApp::new();
    let r = app.get("/propal/v1/organization").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let entry = app.journal_entry(&r).await;
    assert_eq!(entry["client_ip"], "127.0.0.1");
}
