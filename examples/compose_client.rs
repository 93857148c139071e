//! The client of the Compose example (`examples/compose.yaml`): a test suite's
//! stand-in that calls each vendor at its **real `https://` base URL** on the Compose
//! network, as an integration would in production, with the emulator's fixture
//! credentials. Only two things differ from production: the network aliases resolve the
//! vendors' host names to the emulator, and the client trusts the emulator's CA.
//!
//! - Propal: `GET https://api.propal.io/v1/organization` with a `Bearer` key.
//! - Holm: `POST https://portal-api.holmsecurity.com/v1/auth/session` with the
//!   organization key and an API key, then `GET /v1/me` with `Authorization: Session`.
//! - Portal.io: `GET https://sandbox.api.portal.io/public/proposals`, signed with
//!   HMAC-SHA256 as Portal.io's docs describe (the signer is written here, from the docs).
//!
//! Exit code 0 when every call answers 2xx. Names are resolved by a pure-Rust
//! resolver (hickory, reading `/etc/resolv.conf` and `/etc/hosts`), so the binary runs
//! statically linked in a `scratch` image. Settings: `EMULATOR_URL` (the main listener,
//! where it reads the fixture credentials; default `http://vendor-emulator:8080`),
//! `EMULATOR_CA_FILE` (the CA to trust, e.g. `ca.pem` of the emulator's `--tls-ca-dir` on a
//! shared volume; when unset it is fetched from `EMULATOR_URL/_emulator/tls/ca.pem`),
//! `VENDOR_PORT` (appended to the vendors' base URLs when set, e.g. `8443`).

use std::{process::ExitCode, time::Duration};

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

type Outcome = Result<String, String>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let emulator = std::env::var("EMULATOR_URL").unwrap_or_else(|_| "http://vendor-emulator:8080".to_owned());
    let port = std::env::var("VENDOR_PORT").map(|p| format!(":{p}")).unwrap_or_default();
    let plain = reqwest::Client::builder()
        .hickory_dns(true)
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client");
    let ca = match trusted_ca(&plain, &emulator).await {
        Ok(ca) => ca,
        Err(problem) => {
            eprintln!("the emulator's CA: {problem}");
            return ExitCode::FAILURE;
        }
    };
    // The vendors' clients: the emulator's CA is the only one trusted.
    let client = reqwest::Client::builder()
        .hickory_dns(true)
        .tls_built_in_root_certs(false)
        .add_root_certificate(ca)
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTPS client");
    let credentials = match get_json(&plain, &format!("{emulator}/_emulator/credentials")).await {
        Ok(credentials) => credentials,
        Err(problem) => {
            eprintln!("credentials: {problem}");
            return ExitCode::FAILURE;
        }
    };
    let results = [
        ("propal", propal(&client, &credentials, &port).await),
        ("holm", holm(&client, &credentials, &port).await),
        ("portalio", portalio(&client, &credentials, &port).await),
    ];
    let mut failed = false;
    for (vendor, outcome) in results {
        match outcome {
            Ok(summary) => println!("{vendor}: ok ({summary})"),
            Err(problem) => {
                failed = true;
                println!("{vendor}: FAILED {problem}");
            }
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

/// The CA to trust: `EMULATOR_CA_FILE`, else the one the emulator serves.
async fn trusted_ca(plain: &reqwest::Client, emulator: &str) -> Result<reqwest::Certificate, String> {
    let pem = if let Ok(path) = std::env::var("EMULATOR_CA_FILE") {
        std::fs::read(&path).map_err(|e| format!("{path}: {e}"))?
    } else {
        let url = format!("{emulator}/_emulator/tls/ca.pem");
        let response = plain.get(&url).send().await.map_err(|e| format!("{url}: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("{url} answered {}", response.status()));
        }
        response.bytes().await.map_err(|e| format!("{url}: {e}"))?.to_vec()
    };
    reqwest::Certificate::from_pem(&pem).map_err(|e| format!("not a PEM certificate: {e}"))
}

async fn get_json(client: &reqwest::Client, url: &str) -> Result<Value, String> {
    let response = client.get(url).send().await.map_err(|e| format!("{url}: {}", chain(&e)))?;
    read(url, response).await
}

/// The JSON body of a 2xx answer, or what went wrong.
async fn read(url: &str, response: reqwest::Response) -> Result<Value, String> {
    let status = response.status();
    let text = response.text().await.map_err(|e| format!("{url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("{url} answered {status}: {text}"));
    }
    serde_json::from_str(&text).map_err(|e| format!("{url}: not JSON ({e}): {text}"))
}

/// An error and its causes (a TLS refusal says why only in its sources).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn text<'a>(value: &'a Value, pointer: &str) -> Result<&'a str, String> {
    value.pointer(pointer).and_then(Value::as_str).ok_or_else(|| format!("no {pointer} in the credentials"))
}

async fn propal(client: &reqwest::Client, credentials: &Value, port: &str) -> Outcome {
    let keys = credentials["propal"]["keys"].as_array().ok_or("no Propal keys")?;
    let key = keys
        .iter()
        .find(|k| {
            k["revoked"] == false && k["expires_at"].is_null() && k["scopes"].as_array().is_some_and(|s| s.len() == 20)
        })
        .and_then(|k| k["key"].as_str())
        .ok_or("no active full-access Propal key")?;
    let url = format!("https://api.propal.io{port}/v1/organization");
    let response = client.get(&url).bearer_auth(key).send().await.map_err(|e| format!("{url}: {}", chain(&e)))?;
    let organization = read(&url, response).await?;
    Ok(format!("organization {}", organization["name"]))
}

async fn holm(client: &reqwest::Client, credentials: &Value, port: &str) -> Outcome {
    let organizations = credentials["holm"]["organizations"].as_array().ok_or("no Holm organizations")?;
    // A key that admits any origin, so the container's address needs no allow-list entry.
    let (organizer_key, api_key) = organizations
        .iter()
        .find_map(|org| {
            let key = org["keys"].as_array()?.iter().find(|k| {
                k["revoked"] == false
                    && k["allowed_origins"].as_array().is_some_and(Vec::is_empty)
                    && !k["api_key"].is_null()
            })?;
            Some((org["organization_key"].as_str()?, key["api_key"].as_str()?))
        })
        .ok_or("no Holm key open to any origin")?;
    let base = format!("https://portal-api.holmsecurity.com{port}");
    let url = format!("{base}/v1/auth/session");
    let body = json!({ "organizer_key": organizer_key, "api_key": api_key });
    let response = client.post(&url).json(&body).send().await.map_err(|e| format!("{url}: {}", chain(&e)))?;
    let session = read(&url, response).await?;
    let token = text(&session, "/session_token")?;
    let url = format!("{base}/v1/me");
    let response = client
        .get(&url)
        .header("Authorization", format!("Session {token}"))
        .send()
        .await
        .map_err(|e| format!("{url}: {}", chain(&e)))?;
    let me = read(&url, response).await?;
    Ok(format!("session until {}, me: {}", session["expires_at"], me))
}

async fn portalio(client: &reqwest::Client, credentials: &Value, port: &str) -> Outcome {
    let app_id = text(credentials, "/portalio/apps/0/app_id")?;
    let secret = text(credentials, "/portalio/apps/0/secret_key")?;
    let user_key = credentials["portalio"]["accounts"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|account| account["users"].as_array().into_iter().flatten())
        .find(|user| user["email_verified"] == true && user["subscription_active"] == true)
        .and_then(|user| user["user_key"].as_str())
        .ok_or("no verified Portal.io user with an active subscription")?;
    let url = format!("https://sandbox.api.portal.io{port}/public/proposals");
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let signature = sign(secret, "GET", &url, "", &date, user_key);
    let response = client
        .get(&url)
        .header("Accept", "application/json")
        .header("X-MSS-API-APPID", app_id)
        .header("X-MSS-API-USERKEY", user_key)
        .header("X-MSS-CUSTOM-DATE", &date)
        .header("X-MSS-SIGNATURE", signature)
        .send()
        .await
        .map_err(|e| format!("{url}: {}", chain(&e)))?;
    let page = read(&url, response).await?;
    let listed = page.as_object().into_iter().flatten().find_map(|(_, v)| v.as_array()).map_or(0, Vec::len);
    Ok(format!("{listed} proposals on the first page"))
}

/// Portal.io's request signature: Base64 of HMAC-SHA256, keyed with the Secret Key's
/// UTF-8 bytes, over METHOD + URL without its query + Content-Type (empty for a GET)
/// + the `X-MSS-CUSTOM-DATE` value + the user key, with no separators.
fn sign(secret: &str, method: &str, url: &str, content_type: &str, date: &str, user_key: &str) -> String {
    let without_query = url.split('?').next().unwrap_or(url);
    let content_type = if method == "GET" { "" } else { content_type };
    let message = format!("{method}{without_query}{content_type}{date}{user_key}");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(message.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}
