//! Authentication of every Portal.io request (reference §3, CONTRACT §5.1).
//!
//! Order of checks: the signature ([`super::signature::verify`]: headers, Accept,
//! app id, date and skew, HMAC) → 401; on every route but the key exchange, the
//! user key names a user (401) whose e-mail is verified (401) and whose
//! subscription is active (402). The catalog's own 403 is checked by its handlers.
//! Each check appends a step to the request's decision [`Trail`].

use std::sync::Arc;

use axum::{
    extract::{FromRequestParts, Request, State},
    http::request::Parts,
    middleware::Next,
    response::{IntoResponse, Response},
};
use jiff::Timestamp;
use subtle::ConstantTimeEq;

use super::{
    error::PortalioError,
    model::User,
    signature::{self, Target},
    state::{Account, PortalioState, Store},
};
use crate::{
    Vendor,
    journal::{Redact, Trail},
    routing::Mount,
};

/// The key-exchange path: its user key is empty and not signed.
pub const EXCHANGE_PATH: &str = "/authenticate/apikeyexchange";

/// The authenticated caller of a `/public` route.
#[derive(Clone)]
pub struct Caller {
    pub account: Arc<Account>,
    pub user: User,
    pub store: Arc<Store>,
    pub state: Arc<PortalioState>,
    /// The emulator clock, read once at the edge.
    pub now: Timestamp,
    pub trail: Trail,
}

/// A request to the key exchange whose signature holds.
#[derive(Clone)]
pub struct SignedExchange {
    pub app_id: String,
    pub store: Arc<Store>,
    pub now: Timestamp,
    pub trail: Trail,
}

macro_rules! from_extensions {
    ($ty:ty) => {
        impl<S: Send + Sync> FromRequestParts<S> for $ty {
            type Rejection = PortalioError;

            async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
                parts
                    .extensions
                    .get::<$ty>()
                    .cloned()
                    .ok_or_else(|| PortalioError::Internal(concat!("route without ", stringify!($ty)).into()))
            }
        }
    };
}
from_extensions!(Caller);
from_extensions!(SignedExchange);

/// How the client addressed this request, for the canonical URL.
pub fn target(state: &PortalioState, parts: &Parts) -> Target {
    let headers = &parts.headers;
    // The frame always sets the mount; a router used bare is at the root of plain http.
    let mount = parts.extensions.get::<Mount>();
    let prefix = mount.map_or("", |m| m.prefix);
    let addressed = mount.map_or_else(
        || format!("http://{}", headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or("localhost")),
        |m| m.public_base(headers),
    );
    let (scheme, rest) = addressed.split_once("://").unwrap_or(("http", addressed.as_str()));
    let host = rest.strip_suffix(prefix).unwrap_or(rest);
    let raw_host =
        headers.contains_key("x-forwarded-host").then(|| headers.get("host").and_then(|v| v.to_str().ok())).flatten();
    let public = state.settings.portalio_public_base_url.as_deref();
    let base = public.map_or_else(|| addressed.clone(), |b| b.trim_end_matches('/').to_owned());
    let path = parts.uri.path().to_owned();
    Target {
        method: parts.method.as_str().to_owned(),
        alt_bases: signature::alternative_bases(scheme, host, prefix, raw_host, public, Vendor::Portalio.real_hosts()),
        base,
        exchange: path == EXCHANGE_PATH,
        path,
        query: parts.uri.query().map(str::to_owned),
    }
}

/// Route middleware: the signature, then (outside the exchange) the user.
pub async fn authenticate(State(state): State<Arc<PortalioState>>, request: Request, next: Next) -> Response {
    let now = state.clock.now();
    let store = state.store();
    let (parts, body) = request.into_parts();
    let trail = parts.extensions.get::<Trail>().cloned().unwrap_or_default();
    let target = target(&state, &parts);
    // The exchange carries the password in its query: the journal writes `[redacted]` in its place.
    let redact = target.exchange.then(|| exchange_password(parts.uri.query())).flatten();
    let mut response = check_and_run(&state, parts, body, &target, now, store, trail, next).await;
    if let Some(password) = redact {
        response.extensions_mut().insert(Redact(password));
    }
    response
}

/// The raw (still percent-encoded) `Password` value of the exchange's query.
fn exchange_password(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| name.eq_ignore_ascii_case("password"))
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

#[allow(clippy::too_many_arguments)]
async fn check_and_run(
    state: &Arc<PortalioState>,
    mut parts: Parts,
    body: axum::body::Body,
    target: &Target,
    now: Timestamp,
    store: Arc<Store>,
    trail: Trail,
    next: Next,
) -> Response {
    let verified = match signature::verify(target, &parts.headers, |id| store.secret_of(id), &state.settings, now) {
        Ok(verified) => verified,
        Err(refusal) => {
            for (step, detail) in &refusal.passed {
                trail.pass(step, detail.clone());
            }
            match refusal.compared.clone() {
                Some(compared) => trail.fail_compared("signature", refusal.report.clone(), *compared),
                None => trail.fail("signature", refusal.report.clone()),
            }
            return PortalioError::Unauthorized { reason: refusal.failure.reason(), detail: refusal.detail }
                .into_response();
        }
    };
    for (step, detail) in &verified.passed {
        trail.pass(step, detail.clone());
    }
    if target.exchange {
        parts.extensions.insert(SignedExchange { app_id: verified.app_id, store, now, trail });
        return next.run(Request::from_parts(parts, body)).await;
    }
    match find_user(&store, &verified.user_key, &trail) {
        Ok((account, user)) => {
            parts.extensions.insert(Caller { account, user, store, state: Arc::clone(state), now, trail });
            next.run(Request::from_parts(parts, body)).await
        }
        Err(error) => error.into_response(),
    }
}

/// The user a user key names: known (401), verified (401), subscribed (402).
fn find_user(store: &Store, user_key: &str, trail: &Trail) -> Result<(Arc<Account>, User), PortalioError> {
    let unauthorized = |reason: &str, detail: String| {
        trail.fail("user_key", detail.clone());
        PortalioError::Unauthorized { reason: reason.to_owned(), detail }
    };
    if user_key.is_empty() {
        return Err(unauthorized(
            "unknown_user_key",
            "X-MSS-API-USERKEY is empty; only GET /authenticate/apikeyexchange takes an empty user key".into(),
        ));
    }
    let found = store.user_of_key(user_key);
    let Some((account_id, user_id)) = found else {
        let shown: String = user_key.chars().take(6).collect();
        return Err(unauthorized("unknown_user_key", format!("no user has the user key `{shown}...`")));
    };
    let account = store
        .account(account_id)
        .ok_or_else(|| unauthorized("unknown_user_key", format!("the user key's account {account_id} was deleted")))?;
    let user = account.data().users.get(&user_id).cloned();
    let Some(user) = user.filter(|u| bool::from(u.user_key.as_bytes().ct_eq(user_key.as_bytes()))) else {
        return Err(unauthorized("unknown_user_key", "the user key was rotated or its user deleted".into()));
    };
    trail.set_account(account_id.to_string());
    if !user.email_verified {
        return Err(unauthorized(
            "email_not_verified",
            format!("user {} ({}) has not verified their e-mail address", user.id, user.username),
        ));
    }
    trail.pass("user_key", format!("user {} ({}) of account {account_id}", user.id, user.username));
    if !user.subscription_active {
        let detail = format!("the subscription of user {} ({}) is inactive or expired", user.id, user.username);
        trail.fail("subscription", detail.clone());
        return Err(PortalioError::PaymentRequired(detail));
    }
    trail.pass("subscription", "active");
    Ok((account, user))
}

impl Caller {
    /// 403 unless the user has catalog access (reference §2: enabled separately by the rep).
    pub fn require_catalog(&self) -> Result<(), PortalioError> {
        if self.user.catalog_access {
            self.trail.pass("catalog_access", "enabled");
            Ok(())
        } else {
            let detail = format!("user {} has no catalog access", self.user.id);
            self.trail.fail("catalog_access", detail.clone());
            Err(PortalioError::Forbidden { message: super::error::CATALOG_FORBIDDEN.to_owned(), detail })
        }
    }
}
