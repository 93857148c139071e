//! No secret is ever written where a CI log could show it. The real binary runs with
//! `--log-level trace` (once per `--log-format`) and `--admin-token`; every vendor's
//! flows run over a real socket: successes and refusals, fixture credentials and
//! credentials created during the run (accounts, user keys, organizations, API keys,
//! rotated keys, sessions, upload tokens). Then every raw secret is searched for in
//! stdout and stderr, `GET /_emulator/journal`, the webhook delivery log, every
//! response header and every response body.
//!
//! Excluded from the body search, and only these: `GET /_emulator/credentials`
//! (it exists to hand out the fixture credentials) and the responses that issue a
//! credential once (a new account's app secret, passwords and user keys, a rotated
//! user key, the key exchange's user key, a new organization key or API key, a new
//! session's token, a media upload URL's token, a webhook subscription's secret,
//! which Portal.io documents in the subscribe and the update responses). Their
//! headers are still searched.

use std::{
    io::{BufRead, BufReader, Read},
    process::{Command, Stdio},
    time::Duration,
};

use axum::{
    body::Body,
    http::{HeaderMap, Method, Request},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use http_body_util::BodyExt;
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use serde_json::{Value, json};
use sha2::Sha256;

const BINARY: &str = env!("CARGO_BIN_EXE_vendor-emulator");
const ADMIN_TOKEN: &str = "adm-tok-Zq81LxVw93Kd";
const DATE: &str = "Mon, 06 Apr 2026 00:22:19 GMT";

/// One answer, with whether its body may hold a credential it issues.
struct Seen {
    what: String,
    headers: HeaderMap,
    body: String,
    issues_credential: bool,
}

struct Run {
    http: Client<HttpConnector, Body>,
    base: String,
    seen: Vec<Seen>,
    /// Every raw secret met: fixtures' and issued ones.
    secrets: Vec<String>,
}

impl Run {
    async fn call(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, String)>,
        issues_credential: bool,
    ) -> Value {
        if path.starts_with("/holm/") {
            // One request per second per session: the clock moves on between Holm calls.
            let tick = Request::post(format!("{}/_emulator/clock", self.base))
                .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
                .header("content-type", "application/json")
                .body(Body::from(r#"{"advance_seconds": 1.5}"#))
                .unwrap();
            let ticked = self.http.request(tick).await.expect("clock");
            assert!(ticked.status().is_success(), "{}", ticked.status());
        }
        let mut builder = Request::builder().method(method.clone()).uri(format!("{}{path}", self.base));
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = match body {
            Some((content_type, text)) => builder.header("content-type", content_type).body(Body::from(text)),
            None => builder.body(Body::empty()),
        };
        let response = self.http.request(request.unwrap()).await.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        let json: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        if issues_credential {
            collect_secrets(&json, &mut self.secrets);
        }
        self.seen.push(Seen { what: format!("{method} {path} → {status}"), headers, body, issues_credential });
        json
    }

    async fn admin(&mut self, method: Method, path: &str, body: Option<Value>, issues_credential: bool) -> Value {
        let auth = format!("Bearer {ADMIN_TOKEN}");
        let body = body.map(|b| ("application/json", b.to_string()));
        self.call(method, path, &[("authorization", &auth)], body, issues_credential).await
    }

    /// A Portal.io request signed as the docs say (METHOD + URL + Content-Type on
    /// non-GET + date + user key but on the exchange; HMAC-SHA256 keyed with the
    /// secret's UTF-8 bytes, Base64).
    #[allow(clippy::too_many_arguments)]
    async fn portalio(
        &mut self,
        method: Method,
        path: &str,
        app: (&str, &str),
        user_key: &str,
        form: Option<&str>,
        issues_credential: bool,
    ) -> Value {
        let url = format!("{}/portalio{}", self.base, path.split('?').next().unwrap());
        let mut message = format!("{method}{url}");
        if method != Method::GET {
            message.push_str(if form.is_some() { "application/x-www-form-urlencoded" } else { "" });
        }
        message.push_str(DATE);
        message.push_str(user_key);
        let mut mac = Hmac::<Sha256>::new_from_slice(app.1.as_bytes()).unwrap();
        mac.update(message.as_bytes());
        let signature = STANDARD.encode(mac.finalize().into_bytes());
        let headers = [
            ("accept", "application/json"),
            ("x-mss-api-appid", app.0),
            ("x-mss-api-userkey", user_key),
            ("x-mss-custom-date", DATE),
            ("x-mss-signature", signature.as_str()),
        ];
        let body = form.map(|f| ("application/x-www-form-urlencoded", f.to_owned()));
        self.call(method, &format!("/portalio{path}"), &headers, body, issues_credential).await
    }
}

/// Every string of eight or more characters under a key that names a credential.
fn collect_secrets(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                let lower = key.to_ascii_lowercase();
                // `key_id`, `token_expires_at`, `prefix`: about a credential, not one.
                let about = ["id", "_at", "prefix", "name", "type", "hash"].iter().any(|s| lower.ends_with(s));
                let credential = ["key", "secret", "password", "token"].iter().any(|f| lower.contains(f)) && !about;
                match value {
                    Value::String(text)
                        if credential && text.len() >= 8 && text.parse::<jiff::Timestamp>().is_err() =>
                    {
                        out.push(text.clone());
                    }
                    other => collect_secrets(other, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_secrets(item, out)),
        _ => {}
    }
}

async fn flows(run: &mut Run) {
    // The control plane: the admin token is required, and the credentials come out here only.
    run.call(Method::GET, "/_emulator/journal", &[("authorization", "Bearer wrong-admin-token")], None, false).await;
    let credentials = run.admin(Method::GET, "/_emulator/credentials", None, true).await;
    run.admin(Method::POST, "/_emulator/clock", Some(json!({"freeze": true})), false).await;
    run.admin(Method::POST, "/_emulator/clock", Some(json!({"set": "2026-04-06T00:22:19Z"})), false).await;

    portalio_flows(run, &credentials).await;
    propal_flows(run, &credentials).await;
    holm_flows(run, &credentials).await;
}

async fn portalio_flows(run: &mut Run, credentials: &Value) {
    // Portal.io: the exchange (right and wrong password), signed calls, refusals.
    let portalio = &credentials["portalio"];
    let app = (
        portalio["apps"][0]["app_id"].as_str().unwrap().to_owned(),
        portalio["apps"][0]["secret_key"].as_str().unwrap().to_owned(),
    );
    let app = (app.0.as_str(), app.1.as_str());
    let users: Vec<Value> =
        portalio["accounts"].as_array().unwrap().iter().flat_map(|a| a["users"].as_array().unwrap().clone()).collect();
    for user in &users {
        let name = user["username"].as_str().unwrap();
        let password = user["password"].as_str().unwrap();
        let key = user["user_key"].as_str().unwrap();
        let exchange = format!("/authenticate/apikeyexchange?UserName={name}&Password={password}");
        run.portalio(Method::GET, &exchange, app, "", None, true).await;
        let wrong = format!("/authenticate/apikeyexchange?UserName={name}&Password={password}x");
        run.portalio(Method::GET, &wrong, app, "", None, false).await;
        run.portalio(Method::GET, "/public/proposals", app, key, None, false).await;
        run.portalio(Method::GET, "/public/catalog/categories", app, key, None, false).await;
        // A near miss: signed with the wrong secret, then the user key left out of the message.
        run.portalio(Method::GET, "/public/users", (app.0, "not-the-secret"), key, None, false).await;
        let url = format!("{}/portalio/public/users", run.base);
        let mut mac = Hmac::<Sha256>::new_from_slice(app.1.as_bytes()).unwrap();
        mac.update(format!("GET{url}{DATE}").as_bytes());
        let signature = STANDARD.encode(mac.finalize().into_bytes());
        let headers = [
            ("accept", "application/json"),
            ("x-mss-api-appid", app.0),
            ("x-mss-api-userkey", key),
            ("x-mss-custom-date", DATE),
            ("x-mss-signature", signature.as_str()),
        ];
        run.call(Method::GET, "/portalio/public/users", &headers, None, false).await;
    }
    let alex = users[0]["user_key"].as_str().unwrap().to_owned();
    run.portalio(Method::GET, "/public/proposals", app, &format!("{alex}x"), None, false).await;
    let subscribed = run
        .portalio(
            Method::POST,
            "/public/webhook/subscribe",
            app,
            &alex,
            Some("Url=http%3A%2F%2F127.0.0.1%3A9%2Fhook&Events=proposal.status_changed"),
            true,
        )
        .await;
    run.portalio(Method::GET, "/public/webhook/subscriptions", app, &alex, None, false).await;
    if let Some(id) = subscribed["subscriptionId"].as_u64() {
        // Documented: the update answers the full subscription, its secretKey included.
        run.portalio(
            Method::POST,
            &format!("/public/webhook/subscription/{id}"),
            app,
            &alex,
            Some("Description=x"),
            true,
        )
        .await;
    }
    // A fresh account (its app secret, password and user key issued once), used, its key rotated.
    let account =
        run.admin(Method::POST, "/_emulator/portalio/accounts", Some(json!({"name": "Leak Test AV"})), true).await;
    let fresh_app = (
        account["app_id"].as_str().unwrap_or_default().to_owned(),
        account["secret_key"].as_str().unwrap_or_default().to_owned(),
    );
    let fresh_user = account["users"][0]["user_key"].as_str().unwrap_or_default().to_owned();
    let fresh_id = account["users"][0]["id"].as_u64().unwrap_or_default();
    run.portalio(Method::GET, "/public/proposals", (&fresh_app.0, &fresh_app.1), &fresh_user, None, false).await;
    let rotated =
        run.admin(Method::POST, &format!("/_emulator/portalio/users/{fresh_id}/rotate-key"), None, true).await;
    let rotated = rotated["user_key"].as_str().unwrap_or_default().to_owned();
    run.portalio(Method::GET, "/public/proposals", (&fresh_app.0, &fresh_app.1), &fresh_user, None, false).await;
    run.portalio(Method::GET, "/public/proposals", (&fresh_app.0, &fresh_app.1), &rotated, None, false).await;
    run.admin(Method::GET, "/_emulator/portalio/webhook-deliveries", None, false).await;
}

async fn propal_flows(run: &mut Run, credentials: &Value) {
    // Propal: every fixture key (live, revoked, expired, narrow), unknown keys, a new
    // organization and key, a media upload through its signed URL.
    let keys: Vec<String> = credentials["propal"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["key"].as_str().unwrap().to_owned())
        .collect();
    for key in &keys {
        let auth = format!("Bearer {key}");
        run.call(Method::GET, "/propal/v1/leads", &[("authorization", &auth)], None, false).await;
        let lead = ("application/json", json!({"name": "Leak Test"}).to_string());
        run.call(Method::POST, "/propal/v1/leads", &[("authorization", &auth)], Some(lead), false).await;
        run.call(Method::GET, "/propal/v1/leads", &[("authorization", &format!("Bearer {key}x"))], None, false).await;
        run.call(Method::GET, "/propal/v1/leads", &[("authorization", key)], None, false).await;
    }
    let org = run.admin(Method::POST, "/_emulator/propal/organizations", Some(json!({})), true).await;
    let org_id = org["organization_id"].as_str().unwrap_or_default().to_owned();
    let key = org["key"]["key"].as_str().unwrap_or_default().to_owned();
    let second = run
        .admin(
            Method::POST,
            &format!("/_emulator/propal/organizations/{org_id}/keys"),
            Some(json!({"name": "second", "scopes": ["leads:read"]})),
            true,
        )
        .await;
    run.admin(Method::GET, &format!("/_emulator/propal/organizations/{org_id}/keys"), None, false).await;
    let auth = format!("Bearer {key}");
    run.call(Method::GET, "/propal/v1/organization", &[("authorization", &auth)], None, false).await;
    let media = ("application/json", json!({"file_name": "a.png", "content_type": "image/png"}).to_string());
    let created =
        run.call(Method::POST, "/propal/v1/media/files", &[("authorization", &auth)], Some(media), true).await;
    if let Some(url) = created["upload_url"].as_str() {
        let token = url.rsplit('/').next().unwrap().to_owned();
        run.secrets.push(token);
        let path = url.strip_prefix(&run.base).unwrap_or(url).to_owned();
        run.call(Method::PUT, &path, &[], Some(("image/png", "png-bytes".into())), false).await;
        run.call(Method::PUT, &path, &[], Some(("image/png", "png-bytes".into())), false).await;
    }
    if let Some(id) = second["id"].as_str().or(second["key"]["id"].as_str()) {
        run.admin(Method::POST, &format!("/_emulator/propal/keys/{id}/revoke"), None, false).await;
    }
}

async fn holm_flows(run: &mut Run, credentials: &Value) {
    // Holm: sessions from every fixture key, their use, refusals, a new organization,
    // key, rotation and session, and the portal's session view.
    for org in credentials["holm"]["organizations"].as_array().unwrap() {
        let organizer_key = org["organization_key"].as_str().unwrap_or_default();
        for key in org["keys"].as_array().unwrap() {
            let api_key = key["api_key"].as_str().unwrap_or_default();
            let body = json!({"organizer_key": organizer_key, "api_key": api_key}).to_string();
            let opened =
                run.call(Method::POST, "/holm/v1/auth/session", &[], Some(("application/json", body)), true).await;
            let wrong = json!({"organizer_key": organizer_key, "api_key": format!("{api_key}x")}).to_string();
            run.call(Method::POST, "/holm/v1/auth/session", &[], Some(("application/json", wrong)), false).await;
            if let Some(token) = opened["session_token"].as_str() {
                let auth = format!("Session {token}");
                run.call(Method::GET, "/holm/v1/me", &[("authorization", &auth)], None, false).await;
                run.call(Method::GET, "/holm/v1/customers", &[("authorization", &auth)], None, false).await;
                run.call(
                    Method::GET,
                    "/holm/v1/customers",
                    &[("authorization", &format!("Session {token}x"))],
                    None,
                    false,
                )
                .await;
                run.call(Method::DELETE, "/holm/v1/auth/session", &[("authorization", &auth)], None, false).await;
                run.call(Method::GET, "/holm/v1/me", &[("authorization", &auth)], None, false).await;
            }
        }
        if let Some(id) = org["organization_id"].as_str() {
            run.admin(Method::GET, &format!("/_emulator/holm/organizations/{id}/sessions"), None, false).await;
        }
    }
    let created =
        run.admin(Method::POST, "/_emulator/holm/organizations", Some(json!({"name": "Leak Test"})), true).await;
    let org_id = created["organization_id"].as_str().unwrap_or_default().to_owned();
    let organizer_key = created["organization_key"].as_str().unwrap_or_default().to_owned();
    let new_key =
        json!({"name": "leak", "partnership_type": "mssp", "allowed_origins": [], "acknowledge_any_origin": true});
    let issued =
        run.admin(Method::POST, &format!("/_emulator/holm/organizations/{org_id}/keys"), Some(new_key), true).await;
    let key_id = issued["id"].as_str().unwrap_or_default().to_owned();
    let api_key = issued["api_key"].as_str().unwrap_or_default().to_owned();
    let body = json!({"organizer_key": organizer_key, "api_key": api_key}).to_string();
    let opened =
        run.call(Method::POST, "/holm/v1/auth/session", &[], Some(("application/json", body.clone())), true).await;
    let rotated = run.admin(Method::POST, &format!("/_emulator/holm/keys/{key_id}/rotate"), None, true).await;
    run.call(Method::POST, "/holm/v1/auth/session", &[], Some(("application/json", body)), false).await;
    if let Some(token) = opened["session_token"].as_str() {
        run.call(Method::GET, "/holm/v1/me", &[("authorization", &format!("Session {token}"))], None, false).await;
    }
    let body = json!({"organizer_key": organizer_key, "api_key": rotated["api_key"]}).to_string();
    run.call(Method::POST, "/holm/v1/auth/session", &[], Some(("application/json", body)), true).await;
    run.admin(Method::GET, &format!("/_emulator/holm/organizations/{org_id}/keys"), None, false).await;
    run.admin(Method::POST, &format!("/_emulator/holm/organizations/{org_id}/enable"), None, false).await;
    run.admin(Method::GET, &format!("/_emulator/holm/organizations/{org_id}/sessions"), None, false).await;
}

fn run_emulator(format: &str) {
    let mut child = Command::new(BINARY)
        .args(["--bind", "127.0.0.1:0", "--log-level", "trace", "--log-format", format, "--seed", "12"])
        .args(["--admin-token", ADMIN_TOKEN])
        .env_remove("EMULATOR_ADMIN_TOKEN")
        .env_remove("EMULATOR_LOG_LEVEL")
        .env_remove("EMULATOR_LOG_FORMAT")
        .env_remove("EMULATOR_FIXTURES")
        .env_remove("EMULATOR_STATE_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).expect("the listening line");
    let listening: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
    let addr = listening["addr"].as_str().expect("addr").to_owned();
    let mut stderr = child.stderr.take().unwrap();
    let logs = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut run = Run {
        http: Client::builder(TokioExecutor::new()).build_http(),
        base: format!("http://{addr}"),
        seen: Vec::new(),
        secrets: vec![ADMIN_TOKEN.to_owned()],
    };
    let (journal, deliveries) = runtime.block_on(async {
        flows(&mut run).await;
        let journal = run.admin(Method::GET, "/_emulator/journal?limit=100000", None, false).await;
        let deliveries = run.admin(Method::GET, "/_emulator/portalio/webhook-deliveries", None, false).await;
        (journal, deliveries)
    });
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(child.wait());
    });
    assert!(done_rx.recv_timeout(Duration::from_secs(10)).is_ok(), "the emulator did not exit on SIGTERM");
    let mut rest = String::new();
    let _ = stdout.read_to_string(&mut rest);
    let logs = format!("{line}{rest}{}", logs.join().unwrap());

    // The fixtures' raw secrets, whether or not a flow used them.
    let mut secrets = run.secrets.clone();
    for (file, pointer) in [
        ("holm/raw_credentials.json", ""),
        ("propal/raw_keys.json", ""),
        ("portalio/apps.json", ""),
        ("portalio/accounts.json", ""),
        ("portalio/webhooks.json", ""),
    ] {
        let text = std::fs::read_to_string(format!("{}/fixtures/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        collect_secrets(value.pointer(pointer).unwrap(), &mut secrets);
    }
    secrets.sort();
    secrets.dedup();
    // Identifiers that only look like credentials by their field name are not secrets.
    secrets.retain(|s| s.len() >= 8);
    assert!(secrets.len() > 30, "too few secrets found to search for: {secrets:?}");
    assert!(run.seen.len() > 100, "too few requests: {}", run.seen.len());
    assert!(journal["entries"].as_array().is_some_and(|e| e.len() > 50), "the journal: {journal}");
    assert!(logs.lines().count() > 50, "too few log lines ({format}): {logs}");

    let journal = journal.to_string();
    let deliveries = deliveries.to_string();
    for secret in &secrets {
        let forms =
            [secret.clone(), percent(secret), serde_json::to_string(secret).unwrap().trim_matches('"').to_owned()];
        for form in &forms {
            assert!(
                !logs.contains(form.as_str()),
                "{format} logs hold the secret {secret:?}:\n{}",
                around(&logs, form)
            );
            assert!(
                !journal.contains(form.as_str()),
                "the journal holds the secret {secret:?}:\n{}",
                around(&journal, form)
            );
            assert!(!deliveries.contains(form.as_str()), "the delivery log holds {secret:?}");
            for seen in &run.seen {
                for (name, value) in &seen.headers {
                    let value = String::from_utf8_lossy(value.as_bytes());
                    assert!(!value.contains(form.as_str()), "{}: header {name} holds {secret:?}: {value}", seen.what);
                }
                if !seen.issues_credential {
                    assert!(
                        !seen.body.contains(form.as_str()),
                        "{}: the body holds {secret:?}: {}",
                        seen.what,
                        seen.body
                    );
                }
            }
        }
    }
}

/// `text` percent-encoded as a query value would be.
fn percent(text: &str) -> String {
    serde_urlencoded::to_string([("x", text)]).unwrap().trim_start_matches("x=").to_owned()
}

/// A window of `haystack` around the first `needle`.
fn around(haystack: &str, needle: &str) -> String {
    let at = haystack.find(needle).unwrap_or(0);
    let mut start = at.saturating_sub(300);
    while !haystack.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (at + needle.len() + 300).min(haystack.len());
    while !haystack.is_char_boundary(end) {
        end += 1;
    }
    haystack[start..end].to_owned()
}

#[test]
fn no_secret_reaches_the_json_logs_the_journal_or_a_refusal() {
    run_emulator("json");
}

#[test]
fn no_secret_reaches_the_text_logs() {
    run_emulator("pretty");
}
