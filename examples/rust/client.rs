//! What an integration does first with each vendor, with reqwest, against vendor-emulator.
//!
//! `cargo run --example client -- http://127.0.0.1:8080` runs it against a running emulator;
//! without a URL it starts one in this process (`vendor_emulator::harness`). Each vendor
//! gets a fresh tenant from the control plane and the clock is frozen, so a run is the
//! same every time and touches no other test's data. The tests at the bottom use the
//! harness as their fixture: `cargo test --example client`.

use std::time::SystemTime;

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::{Value, json};
use sha2::Sha256;

type Result<T> = anyhow::Result<T>;

// --- Portal.io: every request signed (docs.portal.io, "Request signing") -------------

/// Base64(HMAC-SHA256(secret key's UTF-8 bytes, canonical message)). The canonical message
/// is, with no separators: the method, the URL as addressed without its query string, the
/// Content-Type (not on GET), the date, the user key (empty on the key exchange).
fn portalio_signature(
    secret_key: &str,
    method: &Method,
    url: &str,
    date: &str,
    user_key: &str,
    content_type: &str,
) -> String {
    let url_without_query = url.split('?').next().unwrap_or(url);
    let content_type = if method == Method::GET { "" } else { content_type };
    let message = format!("{method}{url_without_query}{content_type}{date}{user_key}");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret_key.as_bytes()).expect("HMAC takes any key length");
    mac.update(message.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// A Portal.io app: its id and secret sign every request.
struct PortalioApp<'a> {
    http: &'a Client,
    app_id: &'a str,
    secret_key: &'a str,
}

impl PortalioApp<'_> {
    fn request(&self, method: Method, url: &str, user_key: &str, form: Option<&[(&str, &str)]>) -> RequestBuilder {
        let date = httpdate::fmt_http_date(SystemTime::now()); // IMF-fixdate
        let content_type = if form.is_some() { "application/x-www-form-urlencoded" } else { "" };
        let signature = portalio_signature(self.secret_key, &method, url, &date, user_key, content_type);
        let mut request = self
            .http
            .request(method, url)
            .header("Accept", "application/json")
            .header("X-MSS-API-APPID", self.app_id)
            .header("X-MSS-API-USERKEY", user_key)
            .header("X-MSS-CUSTOM-DATE", date)
            .header("X-MSS-SIGNATURE", signature);
        if let Some(form) = form {
            request = request.form(form); // sets exactly the Content-Type signed above
        }
        request
    }

    async fn call(&self, method: Method, url: &str, user_key: &str, form: Option<&[(&str, &str)]>) -> Result<Value> {
        json(self.request(method, url, user_key, form).send().await?).await
    }
}

async fn json(response: Response) -> Result<Value> {
    let (status, url) = (response.status(), response.url().clone());
    let text = response.text().await?;
    anyhow::ensure!(status.is_success(), "{status} {url}: {text}");
    Ok(serde_json::from_str(&text)?)
}

/// Exchange the user's name and password for the user key, create a proposal, list them.
async fn portalio(
    http: &Client,
    base: &str,
    app_id: &str,
    secret_key: &str,
    username: &str,
    password: &str,
) -> Result<Value> {
    let app = PortalioApp { http, app_id, secret_key };
    let query = serde_urlencoded::to_string([("UserName", username), ("Password", password)])?;
    let exchange = app.call(Method::GET, &format!("{base}/authenticate/apikeyexchange?{query}"), "", None).await?;
    let [user_key, user_id] =
        [&exchange["meta"]["apiKey"], &exchange["userId"]].map(|v| v.as_str().unwrap_or_default());
    let form = [("Name", "Living room cinema"), ("SalesPersonId", user_id)];
    app.call(Method::POST, &format!("{base}/public/proposals"), user_key, Some(&form)).await?;
    app.call(Method::GET, &format!("{base}/public/proposals?PageNumber=1&PageSize=10"), user_key, None).await
}

// --- Propal: a bearer key ------------------------------------------------------------

/// Create a proposal, then list the organization's proposals.
async fn propal(http: &Client, base: &str, key: &str) -> Result<Value> {
    let proposal = json!({"title": "Website redesign", "slug": "website-redesign"});
    json(http.post(format!("{base}/proposals")).bearer_auth(key).json(&proposal).send().await?).await?;
    json(http.get(format!("{base}/proposals?limit=10")).bearer_auth(key).send().await?).await
}

// --- Holm: a session, one request per second -----------------------------------------

/// GET with the session; on 429 wait `retry_after_ms` (as the body says) and try again.
async fn holm_get<W: AsyncFn(u64) -> Result<()>>(http: &Client, url: &str, token: &str, wait: &W) -> Result<Value> {
    loop {
        let response = http.get(url).header("Authorization", format!("Session {token}")).send().await?;
        if response.status() != 429 {
            return json(response).await;
        }
        let refusal: Value = response.json().await?;
        wait(refusal["retry_after_ms"].as_u64().unwrap_or(1000)).await?;
    }
}

/// Open a session, read `me` twice in a row (the second is over the 1 request/s limit).
async fn holm<W: AsyncFn(u64) -> Result<()>>(
    http: &Client,
    base: &str,
    organization_key: &str,
    api_key: &str,
    wait: &W,
) -> Result<(Value, Value)> {
    let credentials = json!({"organizer_key": organization_key, "api_key": api_key});
    let session = json(http.post(format!("{base}/auth/session")).json(&credentials).send().await?).await?;
    let token = session["session_token"].as_str().unwrap_or_default();
    Ok((
        holm_get(http, &format!("{base}/me"), token, wait).await?,
        holm_get(http, &format!("{base}/me"), token, wait).await?,
    ))
}

// --- The control plane: fresh tenants and the clock ----------------------------------

struct ControlPlane<'a> {
    http: &'a Client,
    url: &'a str,
}

impl ControlPlane<'_> {
    async fn post(&self, path: &str, body: Value) -> Result<Value> {
        json(self.http.post(format!("{}/_emulator{path}", self.url)).json(&body).send().await?).await
    }

    /// Waiting, on the emulator clock: advance it instead of sleeping.
    async fn wait(&self, milliseconds: u64) -> Result<()> {
        #[allow(clippy::cast_precision_loss)] // milliseconds of a rate window
        let seconds = milliseconds as f64 / 1000.0;
        self.post("/clock", json!({"advance_seconds": seconds})).await.map(drop)
    }

    /// A new Holm organization and one key that may be used from any origin: `(organization key, API key)`.
    async fn holm_tenant(&self) -> Result<(String, String)> {
        let organization = self.post("/holm/organizations", json!({})).await?;
        let path = format!("/holm/organizations/{}/keys", text(&organization["organization_id"]));
        let key = json!({"name": "Example integration", "partnership_type": "mssp", "customers_read": true,
            "allowed_origins": [], "acknowledge_any_origin": true});
        let key = self.post(&path, key).await?;
        Ok((text(&organization["organization_key"]).to_owned(), text(&key["api_key"]).to_owned()))
    }
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

async fn run(url: &str) -> Result<()> {
    let http = Client::new();
    let control = ControlPlane { http: &http, url };
    control.post("/clock", json!({"freeze": true})).await?;

    let account = control.post("/portalio/accounts", json!({})).await?;
    let (app_id, secret_key, user) = (text(&account["app_id"]), text(&account["secret_key"]), &account["users"][0]);
    let base = format!("{url}/portalio");
    let listed = portalio(&http, &base, app_id, secret_key, text(&user["username"]), text(&user["password"])).await?;
    println!("Portal.io proposals: {}", listed["proposals"].as_array().map_or(0, Vec::len));

    let organization = control.post("/propal/organizations", json!({})).await?;
    let listed = propal(&http, &format!("{url}/propal/v1"), text(&organization["key"]["key"])).await?;
    println!("Propal proposals: {}", listed["pagination"]["total_count"]);

    let (organization_key, api_key) = control.holm_tenant().await?;
    let wait = async |ms| control.wait(ms).await;
    let (me, _) = holm(&http, &format!("{url}/holm/v1"), &organization_key, &api_key, &wait).await?;
    println!("Holm me: {} {}", me["api_key"]["name"], me["scopes"]);
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    if let Some(url) = std::env::args().nth(1) {
        run(url.trim_end_matches('/')).await
    } else {
        let emulator = vendor_emulator::harness::Emulator::start().await;
        run(&emulator.url()).await
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::Mutex, time::Duration};

    use vendor_emulator::{
        Vendor,
        harness::Emulator,
        holm::harness::HolmTenant,
        portalio::harness::{PortalioCredentials, PortalioTenant},
        propal::harness::PropalTenant,
    };

    use super::*;

    #[tokio::test]
    async fn portalio_exchange_then_signed_create_and_list() {
        let emulator = Emulator::start().await;
        emulator.freeze_clock();
        let tenant: PortalioTenant = emulator.tenant().await.unwrap();
        let (base, user) = (emulator.base_url(Vendor::Portalio), tenant.user());
        let listed =
            portalio(&Client::new(), &base, &tenant.app_id, &tenant.secret_key, &user.username, &user.password)
                .await
                .unwrap();
        assert_eq!(listed["proposalCount"], 1, "{listed}");
        assert_eq!(listed["proposals"][0]["name"], "Living room cinema");
    }

    #[test]
    fn the_signer_matches_the_reference_test_vector() {
        // reference §3.6 row C: a POST signs its Content-Type; key = the secret string's UTF-8 bytes
        let signature = portalio_signature(
            "dGVzdC1zZWNyZXQta2V5LTAxMjM0NTY3ODk=",
            &Method::POST,
            "https://sandbox.api.portal.io/public/proposals",
            "Mon, 06 Apr 2026 00:22:19 GMT",
            "qBOSOYDeZaSzTxqMCL1Kr66JpU2H6wHCLz7xviZUOcA=",
            "application/x-www-form-urlencoded",
        );
        assert_eq!(signature, "nZ93vyzCbbkLzUHqoj4CLj49hTxeVSr3h1oN9SEv3ZQ=");
    }

    #[tokio::test]
    async fn a_wrong_secret_gets_portalios_401_and_the_journal_says_why() {
        let emulator = Emulator::start().await;
        let fixtures: PortalioCredentials = emulator.credentials();
        let http = Client::new();
        let app = PortalioApp { http: &http, app_id: &fixtures.app().app_id, secret_key: "not-the-secret" };
        let url = format!("{}/authenticate/apikeyexchange?UserName=x&Password=y", emulator.base_url(Vendor::Portalio));
        let response = app.request(Method::GET, &url, "", None).send().await.unwrap();
        assert_eq!(response.status(), 401);
        let request_id = response.headers()["x-emulator-request-id"].to_str().unwrap().to_owned();
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            "You are not authorized. Your request signature (hash) is invalid."
        );
        let entry = emulator.journal_entry(&request_id).expect("journaled");
        assert!(entry.explain.unwrap().starts_with("signature_mismatch"));
    }

    #[tokio::test]
    async fn propal_create_then_list_with_a_fresh_key() {
        let emulator = Emulator::start().await;
        let tenant: PropalTenant = emulator.tenant().await.unwrap();
        let listed = propal(&Client::new(), &emulator.base_url(Vendor::Propal), &tenant.key.key).await.unwrap();
        assert_eq!(listed["data"][0]["title"], "Website redesign", "{listed}");
        assert_eq!(listed["pagination"]["total_count"], 1);
    }

    #[tokio::test]
    async fn holm_me_twice_waiting_out_the_429_on_the_emulator_clock() {
        let emulator = Emulator::start().await;
        emulator.freeze_clock();
        let tenant: HolmTenant = emulator.tenant().await.unwrap();
        let waits = Mutex::new(Vec::new());
        let wait = async |ms: u64| {
            waits.lock().unwrap().push(ms);
            emulator.advance_clock(Duration::from_millis(ms)).await;
            Ok(())
        };
        let base = emulator.base_url(Vendor::Holm);
        let (first, second) =
            holm(&Client::new(), &base, &tenant.organization.organization_key, &tenant.key.api_key, &wait)
                .await
                .unwrap();
        assert_eq!(first, second);
        assert_eq!(first["api_key"]["name"], "Harness key");
        assert_eq!(*waits.lock().unwrap(), [1000], "frozen clock: the second request is exactly one second early");
    }

    #[tokio::test]
    async fn the_whole_run_passes_against_an_emulator_of_its_own() {
        let emulator = Emulator::start().await;
        run(&emulator.url()).await.unwrap();
    }
}
