//! A Portal.io client signer written from docs.portal.io › Signing requests:
//! `Base64(HMAC-SHA256(secret UTF-8 bytes, METHOD + base URL without query +
//! Content-Type (non-GET) + X-MSS-CUSTOM-DATE + user key (not on the exchange)))`.

use axum::{
    body::Body,
    http::{Method, Request},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{TestApp, TestResponse};

/// The instant every Portal.io test freezes the clock at (the docs' example date).
pub const NOW: &str = "2026-04-06T00:22:19Z";
pub const DATE: &str = "Mon, 06 Apr 2026 00:22:19 GMT";
pub const UNAUTHORIZED: &str = r#""You are not authorized. Your request signature (hash) is invalid.""#;
pub const FORM: &str = "application/x-www-form-urlencoded";
/// Fixture: Alex, Admin of Brightwire (account 1001), every flag on.
pub const ALEX: &str = "alex@brightwire.example";

/// `Base64(HMAC-SHA256(key, message))`.
pub fn hmac_b64(key: &[u8], message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(message.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

/// The docs' canonical message.
pub fn canonical(method: &str, url: &str, content_type: Option<&str>, date: &str, user_key: Option<&str>) -> String {
    let mut m = format!("{method}{url}");
    if method != "GET" {
        m.push_str(content_type.unwrap_or(""));
    }
    m.push_str(date);
    if let Some(k) = user_key {
        m.push_str(k);
    }
    m
}

/// A client: app credentials, a user key, and where it sends.
#[derive(Clone)]
pub struct Client {
    pub app_id: String,
    pub secret: String,
    pub user_key: String,
    /// `scheme://host[:port]` + prefix as the client signs it.
    pub base: String,
    /// The path prefix it sends to (`/portalio`, or "" at a host name or dedicated port).
    pub prefix: String,
    /// The `Host` header it sends.
    pub host: String,
}

/// One request to build, with knobs for sending it wrong.
pub struct Call<'a> {
    pub method: Method,
    pub path: &'a str,
    pub content_type: Option<&'a str>,
    pub body: String,
    pub date: String,
    /// The message actually signed (defaults to the docs' canonical message).
    pub message: Option<String>,
    pub signature: Option<String>,
    pub skip: Vec<&'a str>,
    pub extra: Vec<(&'a str, String)>,
    pub user_key: Option<String>,
}

impl<'a> Call<'a> {
    pub fn new(method: Method, path: &'a str) -> Self {
        Self {
            method,
            path,
            content_type: None,
            body: String::new(),
            date: DATE.to_owned(),
            message: None,
            signature: None,
            skip: Vec::new(),
            extra: Vec::new(),
            user_key: None,
        }
    }

    pub fn form(mut self, body: &str) -> Self {
        self.content_type = Some(FORM);
        body.clone_into(&mut self.body);
        self
    }

    #[allow(clippy::needless_pass_by_value)] // reads as `.json(json!({..}))` at call sites
    pub fn json(mut self, body: Value) -> Self {
        self.content_type = Some("application/json");
        self.body = body.to_string();
        self
    }
}

impl Client {
    /// The fixture app and the user named `username`, sending to the `/portalio` prefix.
    pub async fn fixture(app: &TestApp, username: &str) -> Self {
        let creds = app.get("/_emulator/credentials").await.json;
        let portalio = &creds["portalio"];
        let user = portalio["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|a| a["users"].as_array().unwrap().iter())
            .find(|u| u["username"] == username)
            .unwrap_or_else(|| panic!("no fixture user {username}"));
        Self {
            app_id: portalio["apps"][0]["app_id"].as_str().unwrap().to_owned(),
            secret: portalio["apps"][0]["secret_key"].as_str().unwrap().to_owned(),
            user_key: user["user_key"].as_str().unwrap().to_owned(),
            base: "http://localhost:8080/portalio".to_owned(),
            prefix: "/portalio".to_owned(),
            host: "localhost:8080".to_owned(),
        }
    }

    /// Alex of Brightwire (every flag on), with the clock frozen at [`NOW`].
    pub async fn alex(app: &TestApp) -> Self {
        app.freeze_at(NOW).await;
        Self::fixture(app, ALEX).await
    }

    /// A fresh dealer account from the control plane, with its own app.
    pub async fn fresh(app: &TestApp, body: Value) -> (Self, Value) {
        let r = app.admin(Method::POST, "/_emulator/portalio/accounts", Some(body)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let client = Self {
            app_id: r.json["app_id"].as_str().unwrap().to_owned(),
            secret: r.json["secret_key"].as_str().unwrap().to_owned(),
            user_key: r.json["users"][0]["user_key"].as_str().unwrap().to_owned(),
            base: "http://localhost:8080/portalio".to_owned(),
            prefix: "/portalio".to_owned(),
            host: "localhost:8080".to_owned(),
        };
        (client, r.json)
    }

    pub fn request(&self, call: Call<'_>) -> Request<Body> {
        let exchange = call.path.starts_with("/authenticate/apikeyexchange");
        let user_key =
            call.user_key.clone().unwrap_or_else(|| if exchange { String::new() } else { self.user_key.clone() });
        let path_only = call.path.split('?').next().unwrap();
        let url = format!("{}{path_only}", self.base);
        let message = call.message.clone().unwrap_or_else(|| {
            canonical(
                call.method.as_str(),
                &url,
                call.content_type,
                &call.date,
                (!exchange).then_some(user_key.as_str()),
            )
        });
        let signature = call.signature.clone().unwrap_or_else(|| hmac_b64(self.secret.as_bytes(), &message));
        let mut builder = Request::builder().method(call.method.clone()).uri(format!("{}{}", self.prefix, call.path));
        let headers = [
            ("host", self.host.clone()),
            ("accept", "application/json".to_owned()),
            ("x-mss-api-appid", self.app_id.clone()),
            ("x-mss-api-userkey", user_key),
            ("x-mss-custom-date", call.date.clone()),
            ("x-mss-signature", signature),
        ];
        for (name, value) in headers {
            if !call.skip.iter().any(|s| s.eq_ignore_ascii_case(name)) {
                builder = builder.header(name, value);
            }
        }
        if let Some(ct) = call.content_type {
            builder = builder.header("content-type", ct);
        }
        for (name, value) in &call.extra {
            builder = builder.header(*name, value.as_str());
        }
        builder.body(Body::from(call.body)).unwrap()
    }

    pub async fn send(&self, app: &TestApp, call: Call<'_>) -> TestResponse {
        app.send(self.request(call)).await
    }

    pub async fn get(&self, app: &TestApp, path: &str) -> TestResponse {
        self.send(app, Call::new(Method::GET, path)).await
    }

    pub async fn post_form(&self, app: &TestApp, path: &str, body: &str) -> TestResponse {
        self.send(app, Call::new(Method::POST, path).form(body)).await
    }

    pub async fn delete(&self, app: &TestApp, path: &str) -> TestResponse {
        self.send(app, Call::new(Method::DELETE, path)).await
    }
}

/// The explain reason (before the `;`).
pub fn reason(r: &TestResponse) -> String {
    r.header("x-emulator-explain").unwrap_or_default().split(';').next().unwrap_or_default().to_owned()
}

/// `{"message": text}`.
pub fn message(text: &str) -> String {
    json!({ "message": text }).to_string()
}
