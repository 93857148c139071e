//! Property test: a refused request never changes state. Random requests to every
//! documented operation of every vendor (random method, path ids, credentials of
//! every kind and bodies), sent in process; for each one answered with a 4xx, every
//! vendor's `snapshot()` after equals the one before.
//!
//! One allowance, by rule: a request that authenticated (so not a 401) counts
//! against its rate budget and marks its key or session used (`last_used_at`)
//! before a handler's own refusal (403, 404, 400), as Propal and Holm document the
//! order of their checks. Those usage marks are left out of the comparison for such
//! refusals, and only for them: a 401 or a 429 must leave even them alone.

use std::collections::BTreeMap;

use axum::http::{Method, StatusCode};
use jiff::{SignedDuration, Timestamp};
use proptest::{
    prelude::*,
    test_runner::{Config, TestCaseError, TestRunner},
};
use serde_json::{Value, json};
use vendor_emulator::Vendor;

use crate::{
    helpers::{TestApp, TestResponse, raw_request, request},
    portalio::signer::{self, Call, Client},
};

/// Seconds the clock moves before each case, so Holm's one request per second and
/// the signed dates move on as a client's would.
const STEP_SECONDS: i64 = 2;

/// One random request.
#[derive(Clone, Debug)]
struct Attempt {
    vendor: usize,
    /// Index into the vendor's operations; `method_override` replaces its method.
    operation: usize,
    method_override: Option<Method>,
    /// Index into the path-id pool, per `{param}`.
    ids: Vec<usize>,
    /// Index into the vendor's credentials.
    credential: usize,
    body: Body,
    /// Whether the clock moves on before the request.
    wait: bool,
    /// Sent twice in a row: the second meets Holm's one request per second.
    twice: bool,
}

#[derive(Clone, Debug)]
enum Body {
    None,
    Json(Value),
    Form(String),
    Bytes(Vec<u8>),
    /// A pair of real Holm credentials (for `POST /v1/auth/session`: 201, or 409 at the cap).
    HolmKeys(usize),
}

/// Everything the cases draw from, gathered once.
struct World {
    app: TestApp,
    /// Per vendor: (method, path template with its prefix).
    operations: Vec<Vec<(Method, String)>>,
    /// Ids found in the fixtures, plus malformed ones.
    ids: Vec<String>,
    portalio: Vec<Client>,
    propal: Vec<Option<String>>,
    holm: Vec<Option<String>>,
    /// (organization key, API key) of every fixture key.
    holm_keys: Vec<Value>,
    now: Timestamp,
}

const VENDORS: [Vendor; 3] = [Vendor::Portalio, Vendor::Propal, Vendor::Holm];

impl World {
    async fn new() -> Self {
        // A small Propal budget, so long runs meet its 429 too.
        let app = TestApp::with_args(&["--propal-rate-limit", "30"]);
        app.freeze_at(signer::NOW).await;
        let now: Timestamp = signer::NOW.parse().unwrap();
        let document = app.get("/_emulator/openapi.json").await.json;
        let operations = VENDORS
            .iter()
            .map(|vendor| {
                let prefix = vendor.prefix();
                let mut out = Vec::new();
                for (path, item) in document["paths"].as_object().unwrap() {
                    if !path.starts_with(&format!("{prefix}/")) {
                        continue;
                    }
                    for method in item.as_object().unwrap().keys() {
                        if let Ok(method) = method.to_ascii_uppercase().parse::<Method>() {
                            out.push((method, path.clone()));
                        }
                    }
                }
                assert!(!out.is_empty(), "{vendor}: no documented operations");
                out
            })
            .collect();
        let mut ids = vec![
            "0".to_owned(),
            "999999".to_owned(),
            "not-an-id".to_owned(),
            "00000000-0000-0000-0000-000000000000".to_owned(),
            "%ff".to_owned(),
            "-1".to_owned(),
        ];
        for vendor in VENDORS {
            collect_ids(&Value::Object(app.app.state.vendor(vendor).snapshot().into_iter().collect()), &mut ids);
        }
        ids.sort();
        ids.dedup();

        let mut portalio = Vec::new();
        for user in [
            "alex@brightwire.example",
            "sam@brightwire.example",
            "morgan@brightwire.example",
            "casey@brightwire.example",
        ] {
            portalio.push(Client::fixture(&app, user).await);
        }
        let alex = portalio[0].clone();
        portalio.push(Client { secret: "wrong-secret".into(), ..alex.clone() });
        portalio.push(Client { user_key: "bm8tc3VjaC11c2VyLWtleQ==".into(), ..alex.clone() });
        portalio.push(Client { app_id: "no-such-app".into(), ..alex });

        let credentials = app.get("/_emulator/credentials").await.json;
        let mut propal: Vec<Option<String>> = vec![None, Some("pp_live_unknownkey".into()), Some("garbage".into())];
        for key in credentials["propal"]["keys"].as_array().unwrap() {
            propal.push(Some(key["key"].as_str().unwrap().to_owned()));
        }

        let mut holm: Vec<Option<String>> = vec![None, Some("pps_unknownsessiontoken".into()), Some("garbage".into())];
        let mut holm_keys = Vec::new();
        let org_keys = credentials["holm"]["organizations"].as_array().unwrap();
        for org in org_keys {
            let Some(organizer_key) = org["organization_key"].as_str() else { continue };
            for key in org["keys"].as_array().into_iter().flatten() {
                let body = json!({ "organizer_key": organizer_key, "api_key": key["api_key"] });
                holm_keys.push(body.clone());
                let r = app.send(request(Method::POST, "/holm/v1/auth/session", Some(body), &[])).await;
                if r.status == StatusCode::CREATED || r.status == StatusCode::OK {
                    holm.push(r.json["session_token"].as_str().map(str::to_owned));
                }
            }
        }
        assert!(holm.len() > 3, "no Holm session could be opened: {credentials}");
        Self { app, operations, ids, portalio, propal, holm, holm_keys, now }
    }

    fn snapshot(&self, vendor: Vendor) -> BTreeMap<String, Value> {
        self.app.app.state.vendor(vendor).snapshot()
    }

    async fn send(&self, attempt: &Attempt) -> TestResponse {
        let vendor = VENDORS[attempt.vendor % VENDORS.len()];
        let operations = &self.operations[attempt.vendor % VENDORS.len()];
        let (method, template) = &operations[attempt.operation % operations.len()];
        let mut method = attempt.method_override.clone().unwrap_or_else(|| method.clone());
        let mut template = template.as_str();
        if vendor == Vendor::Holm && matches!(attempt.body, Body::HolmKeys(_)) {
            // Real keys: a session opens (201) or the organization is at its cap (409).
            (method, template) = (Method::POST, "/holm/v1/auth/session");
        }
        let mut path = String::new();
        let mut params = attempt.ids.iter();
        for (i, piece) in template.split('{').enumerate() {
            if i == 0 {
                path.push_str(piece);
                continue;
            }
            let (_, rest) = piece.split_once('}').unwrap_or(("", piece));
            let id = params.next().map_or("1", |&n| self.ids[n % self.ids.len()].as_str());
            path.push_str(id);
            path.push_str(rest);
        }
        match vendor {
            Vendor::Portalio => {
                let client = &self.portalio[attempt.credential % self.portalio.len()];
                let relative = path.strip_prefix("/portalio").unwrap_or(&path).to_owned();
                let mut call = Call::new(method, &relative);
                call.date = httpdate::fmt_http_date(std::time::SystemTime::from(self.now));
                match &attempt.body {
                    Body::None => {}
                    Body::Json(value) => call = call.json(value.clone()),
                    Body::HolmKeys(n) => call = call.json(self.holm_keys[n % self.holm_keys.len()].clone()),
                    Body::Form(text) => call = call.form(text),
                    Body::Bytes(bytes) => {
                        call.content_type = Some("application/octet-stream");
                        call.body = String::from_utf8_lossy(bytes).into_owned();
                    }
                }
                client.send(&self.app, call).await
            }
            Vendor::Propal | Vendor::Holm => {
                let credential = if vendor == Vendor::Propal {
                    self.propal[attempt.credential % self.propal.len()].as_ref().map(|k| format!("Bearer {k}"))
                } else {
                    self.holm[attempt.credential % self.holm.len()].as_ref().map(|t| format!("Session {t}"))
                };
                let auth: Vec<(&str, &str)> = credential.iter().map(|c| ("authorization", c.as_str())).collect();
                let request = match &attempt.body {
                    Body::None => request(method, &path, None, &auth),
                    Body::Json(value) => request(method, &path, Some(value.clone()), &auth),
                    Body::HolmKeys(n) => {
                        request(method, &path, Some(self.holm_keys[n % self.holm_keys.len()].clone()), &auth)
                    }
                    Body::Form(text) => {
                        let mut headers = auth.clone();
                        headers.push(("content-type", "application/x-www-form-urlencoded"));
                        raw_request(method, &path, text.clone(), &headers)
                    }
                    Body::Bytes(bytes) => raw_request(method, &path, bytes.clone(), &auth),
                };
                self.app.send(request).await
            }
        }
    }
}

/// Every string or number under a key naming an id (`id`, `…_id`, `…Id`).
pub fn collect_ids(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                let names_id = key == "id" || key.ends_with("_id") || key.ends_with("Id");
                match value {
                    Value::String(text) if names_id && text.len() < 80 => out.push(text.clone()),
                    Value::Number(n) if names_id => out.push(n.to_string()),
                    other => collect_ids(other, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_ids(item, out)),
        _ => {}
    }
}

/// The document without its usage marks (`last_used_at`, `lastUsedAt`).
fn without_usage(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| !matches!(key.as_str(), "last_used_at" | "lastUsedAt"))
                .map(|(key, value)| (key.clone(), without_usage(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_usage).collect()),
        other => other.clone(),
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("name".to_owned()),
                    Just("title".to_owned()),
                    Just("email".to_owned()),
                    Just("Name".to_owned()),
                    Just("url".to_owned()),
                    Just("organizer_key".to_owned()),
                    Just("api_key".to_owned()),
                    "[a-zA-Z_]{1,10}",
                ],
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn attempt() -> impl Strategy<Value = Attempt> {
    let method = proptest::option::weighted(
        0.2,
        proptest::sample::select(vec![Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE]),
    );
    let body = prop_oneof![
        2 => Just(Body::None),
        4 => json_value().prop_map(Body::Json),
        1 => "([A-Za-z]{1,10}=[ -~]{0,8}&?){0,4}".prop_map(Body::Form),
        1 => proptest::collection::vec(any::<u8>(), 0..40).prop_map(Body::Bytes),
        1 => any::<usize>().prop_map(Body::HolmKeys),
    ];
    let ids = proptest::collection::vec(any::<usize>(), 3);
    let flags = (proptest::bool::weighted(0.7), proptest::bool::weighted(0.3));
    (0usize..3, any::<usize>(), method, ids, any::<usize>(), body, flags).prop_map(
        |(vendor, operation, method_override, ids, credential, body, (wait, twice))| Attempt {
            vendor,
            operation,
            method_override,
            ids,
            credential,
            body,
            wait,
            twice,
        },
    )
}

#[test]
fn a_refused_request_never_changes_state() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut world = runtime.block_on(World::new());
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() { Config::default().cases } else { 96 };
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let refused = std::cell::Cell::new(0u32);
    let seen = std::cell::RefCell::new(BTreeMap::new());
    let world_cell = std::cell::RefCell::new(&mut world);
    runner
        .run(&attempt(), |attempt| {
            let mut world = world_cell.borrow_mut();
            runtime.block_on(async {
                if attempt.wait {
                    let advance = json!({ "advance_seconds": STEP_SECONDS });
                    let r = world.app.admin(Method::POST, "/_emulator/clock", Some(advance)).await;
                    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
                    world.now += SignedDuration::from_secs(STEP_SECONDS);
                }
                let vendor = VENDORS[attempt.vendor % VENDORS.len()];
                for _ in 0..if attempt.twice { 2 } else { 1 } {
                    let before = world.snapshot(vendor);
                    let response = world.send(&attempt).await;
                    prop_assert!(response.status.as_u16() < 500, "{attempt:?}: {} {}", response.status, response.text);
                    *seen.borrow_mut().entry(format!("{vendor} {}", response.status.as_u16())).or_insert(0u32) += 1;
                    if response.status.is_client_error() {
                        refused.set(refused.get() + 1);
                        let after = world.snapshot(vendor);
                        let explain = response.header("x-emulator-explain").unwrap_or_default().to_owned();
                        let counted = !matches!(response.status.as_u16(), 401 | 429);
                        for (file, was) in &before {
                            let now = &after[file];
                            if counted {
                                prop_assert_eq!(
                                    without_usage(was),
                                    without_usage(now),
                                    "{}: {:?} ({}; {})",
                                    file,
                                    attempt,
                                    response.status,
                                    explain
                                );
                            } else {
                                prop_assert_eq!(was, now, "{}: {:?} ({}; {})", file, attempt, response.status, explain);
                            }
                        }
                        prop_assert_eq!(before.len(), after.len());
                    }
                }
                Ok::<(), TestCaseError>(())
            })
        })
        .unwrap();
    // The generator aims at refusals: most cases must be one.
    let seen = seen.into_inner();
    assert!(refused.get() * 2 > cases, "only {} of {cases} requests were refused: {seen:?}", refused.get());
    let kinds = seen.keys().filter(|k| k.ends_with(" 400") || k.ends_with(" 403") || k.ends_with(" 404")).count();
    assert!(kinds >= 4, "too few kinds of refusal: {seen:?}");
    if std::env::var_os("REFUSALS_VERBOSE").is_some() {
        eprintln!("{seen:?}");
    }
}
