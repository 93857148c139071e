//! Propal authentication (docs.propal.io/api-reference/authentication).
//!
//! Order of checks for every routed request (CONTRACT §5.2): the `Authorization`
//! header must be `Bearer pp_live_<base64url>` (else 401); its SHA-256 must name a
//! stored key (401) that is neither revoked nor expired on the emulator clock
//! (401); then the organization's sliding-hour budget (429, see [`super::limits`]);
//! then, in the handler, the route's scope (403); then the resource (404) and the
//! body (400). Raw keys are never stored: only their hashes.

use std::{collections::BTreeSet, fmt, str::FromStr, sync::Arc};

use axum::{
    extract::{FromRequestParts, Request, State},
    http::{HeaderMap, HeaderValue, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{
    error::{AuthFailure, PropalError},
    input::path_id,
    limits::Admission,
    state::{KeyRecord, Org, PropalState, Record, Store},
};
use crate::{
    journal::{Denial, Trail},
    routing::Mount,
};

/// A Propal key as presented: `pp_live_` + base64url. Only [`ApiKey::parse`] builds one.
pub struct ApiKey(String);

/// The documented fixed prefix.
pub const KEY_PREFIX: &str = "pp_live_";

impl ApiKey {
    pub fn parse(raw: &str) -> Option<Self> {
        let rest = raw.strip_prefix(KEY_PREFIX)?;
        let base64url = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
        (!rest.is_empty() && rest.bytes().all(base64url)).then(|| Self(raw.to_owned()))
    }

    /// Propal stores the SHA-256 of a key, never the key itself. So do we.
    pub fn hash(&self) -> KeyHash {
        KeyHash(hex::encode(Sha256::digest(self.0.as_bytes())))
    }
}

/// SHA-256 of a key, lowercase hex: the only form a key is kept in.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct KeyHash(pub String);

impl KeyHash {
    /// The first 12 hex digits, safe to log.
    pub fn short(&self) -> &str {
        &self.0[..self.0.len().min(12)]
    }
}

macro_rules! scopes {
    ($($variant:ident => $text:literal),+ $(,)?) => {
        /// The 20 documented scopes, `{resource}:{action}`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Scope { $($variant),+ }

        impl Scope {
            pub const ALL: &'static [Scope] = &[$(Scope::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Scope::$variant => $text),+ }
            }
        }

        impl utoipa::PartialSchema for Scope {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for Scope {
            fn name() -> std::borrow::Cow<'static, str> {
                "PropalScope".into()
            }
        }
    };
}

scopes! {
    ProposalsRead => "proposals:read", ProposalsWrite => "proposals:write", ProposalsDelete => "proposals:delete",
    LeadsRead => "leads:read", LeadsWrite => "leads:write", LeadsDelete => "leads:delete",
    ProductsRead => "products:read", ProductsWrite => "products:write", ProductsDelete => "products:delete",
    TemplatesRead => "templates:read", TemplatesWrite => "templates:write", TemplatesDelete => "templates:delete",
    ThemesRead => "themes:read", ThemesWrite => "themes:write", ThemesDelete => "themes:delete",
    MediaRead => "media:read", MediaWrite => "media:write", MediaDelete => "media:delete",
    MetricsRead => "metrics:read",
    OrganizationRead => "organization:read",
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL.iter().copied().find(|scope| scope.as_str() == s).ok_or_else(|| format!("unknown scope `{s}`"))
    }
}

impl Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::json_path::parse_str(deserializer)
    }
}

/// The authenticated caller of a request: its key, organization and store snapshot.
#[derive(Clone)]
pub struct Caller {
    pub key: Arc<KeyRecord>,
    pub org: Arc<Org>,
    pub store: Arc<Store>,
    pub scopes: BTreeSet<Scope>,
    /// The emulator clock, read once at the edge.
    pub now: Timestamp,
    pub trail: Trail,
}

impl Caller {
    /// 403 unless the key holds `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), PropalError> {
        if self.scopes.contains(&scope) {
            self.trail.pass("scope", format!("key holds {scope}"));
            Ok(())
        } else {
            let held: Vec<&str> = self.scopes.iter().map(|s| s.as_str()).collect();
            self.trail.fail("scope", format!("needs {scope}; key holds [{}]", held.join(", ")));
            Err(PropalError::MissingScope(scope))
        }
    }
}

impl Caller {
    /// The scope check, then the path id and its record in this organization: the
    /// documented 403-before-404 order of every by-id route, in one place.
    pub fn record_id<R: Record>(&self, scope: Scope, raw_id: &str) -> Result<Uuid, PropalError> {
        self.require(scope)?;
        let id = path_id(raw_id, R::NOT_FOUND)?;
        self.org.data().find::<R>(id)?;
        Ok(id)
    }

    /// [`Caller::record_id`], answering a copy of the record.
    pub fn record<R: Record + Clone>(&self, scope: Scope, raw_id: &str) -> Result<R, PropalError> {
        self.require(scope)?;
        let id = path_id(raw_id, R::NOT_FOUND)?;
        self.org.data().find::<R>(id).cloned()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = PropalError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| PropalError::Internal("route without authenticate".into()))
    }
}

/// Finds the stored key for an `Authorization` header, or says why not.
pub fn find_key(store: &Store, headers: &HeaderMap, now: Timestamp) -> Result<Arc<KeyRecord>, PropalError> {
    let unauthorized = |failure, detail: String| PropalError::Unauthorized { failure, detail };
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(unauthorized(AuthFailure::MissingHeader, "no Authorization header".into()));
    };
    let value = value.to_str().map_err(|_| unauthorized(AuthFailure::MalformedKey, "header is not ASCII".into()))?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        let detail = format!("scheme `{}` instead of Bearer", scheme.chars().take(20).collect::<String>());
        return Err(unauthorized(AuthFailure::WrongScheme, detail));
    }
    let key = ApiKey::parse(token.trim()).ok_or_else(|| {
        unauthorized(AuthFailure::MalformedKey, "the key is not pp_live_ followed by base64url characters".into())
    })?;
    let hash = key.hash();
    let record = store
        .key_by_hash(&hash)
        .ok_or_else(|| unauthorized(AuthFailure::UnknownKey, format!("no key has SHA-256 {}...", hash.short())))?;
    let meta = record.meta();
    if let Some(at) = meta.revoked_at {
        return Err(unauthorized(
            AuthFailure::RevokedKey,
            format!("key {} ({}) was revoked at {at}", record.prefix, record.id),
        ));
    }
    if let Some(at) = meta.expires_at.filter(|at| *at <= now) {
        return Err(unauthorized(
            AuthFailure::ExpiredKey,
            format!("key {} ({}) expired at {at}", record.prefix, record.id),
        ));
    }
    Ok(record)
}

/// Route middleware: authenticate, count against the organization's budget, and put
/// the `X-RateLimit-*` headers on whatever the handler answers.
pub async fn authenticate(State(state): State<Arc<PropalState>>, mut request: Request, next: Next) -> Response {
    let now = state.clock.now();
    let store = state.store();
    let trail = request.extensions().get::<Trail>().cloned().unwrap_or_default();
    let key = match find_key(&store, request.headers(), now) {
        Ok(key) => key,
        Err(error) => {
            trail.fail("api_key", error.to_string());
            return error.into_response();
        }
    };
    trail.pass("api_key", format!("key {} ({}) of organization {}", key.prefix, key.id, key.organization_id));
    let Some(org) = store.org(key.organization_id) else {
        let error = PropalError::Unauthorized {
            failure: AuthFailure::UnknownKey,
            detail: "the key's organization is gone".into(),
        };
        return error.into_response();
    };
    trail.set_account(org.id.to_string());
    let limit = state.settings.propal_rate_limit;
    // `--propal-rate-limit 0`: no limit, no window, no rate headers (load tests).
    let admission = (limit > 0).then(|| org.window.lock().unwrap().admit(now, limit));
    if let Some(Admission::Refused { retry_after_secs, .. }) = admission {
        let detail = format!(
            "organization {} used {limit} of {limit} requests in the sliding hour; next slot in {retry_after_secs} s",
            org.id
        );
        trail.fail("rate_limit", detail.clone());
        let response = PropalError::RateLimited { retry_after_secs, detail }.into_response();
        return with_rate_headers(response, limit, admission);
    }
    match admission {
        Some(admission) => {
            trail.pass("rate_limit", format!("{} of {limit} left in the sliding hour", admission.remaining()));
        }
        None => trail.pass("rate_limit", "off (--propal-rate-limit 0)"),
    }
    key.touch(now);
    // The frame leaves the declared body size to us, so that it comes after the key check.
    if let Some(too_large) = declared_too_large(&request) {
        trail.fail("body_size", too_large.clone());
        let mut response = PropalError::PayloadTooLarge.into_response();
        response.extensions_mut().insert(Denial::new("payload_too_large", too_large));
        return with_rate_headers(response, limit, admission);
    }
    let scopes = key.meta().scopes.clone();
    request.extensions_mut().insert(Caller { key: Arc::clone(&key), org: Arc::clone(&org), store, scopes, now, trail });
    let response = next.run(request).await;
    with_rate_headers(response, limit, admission)
}

/// The `X-RateLimit-*` headers of an authenticated answer (docs: rate limiting); none
/// when the limit is off.
fn with_rate_headers(mut response: Response, limit: u32, admission: Option<Admission>) -> Response {
    let Some(admission) = admission else { return response };
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(admission.remaining()));
    headers.insert("x-ratelimit-reset", HeaderValue::from(admission.reset_unix()));
    response
}

/// Why a declared `Content-Length` is over the frame's limit, if it is.
fn declared_too_large(request: &Request) -> Option<String> {
    let limit = request.extensions().get::<Mount>()?.max_body_bytes;
    let length: u64 = request.headers().get(header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()?;
    (length > limit as u64).then(|| format!("body of {length} bytes exceeds --max-body-bytes {limit}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_only_the_documented_format() {
        assert!(ApiKey::parse("pp_live_abcDEF123-_").is_some());
        assert!(ApiKey::parse("pp_live_").is_none());
        assert!(ApiKey::parse("pp_test_abc").is_none());
        assert!(ApiKey::parse("pp_live_abc+/=").is_none());
    }

    #[test]
    fn hash_is_sha256_hex_of_the_whole_key() {
        let hash = ApiKey::parse("pp_live_test").unwrap().hash();
        // sha256("pp_live_test") computed independently with coreutils' sha256sum.
        assert_eq!(hash.0, "426542299418d5977591f37e51bd2fea125526631da0e1e24d6327256806a36a");
    }

    #[test]
    fn there_are_twenty_scopes_and_they_round_trip() {
        assert_eq!(Scope::ALL.len(), 20);
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>().unwrap(), *scope);
        }
        assert!("proposals:admin".parse::<Scope>().is_err());
    }
}

/// Property tests: any `Authorization` value is parsed without panicking and refused
/// with a 401 unless it is a stored, live key; a key parses exactly when it is
/// `pp_live_` + base64url.
#[cfg(test)]
mod proptests {
    use axum::http::StatusCode;
    use proptest::prelude::*;

    use super::*;
    use crate::{clock::Clock, fixtures::FixtureSet, scheduler::Scheduler, vendor::VendorContext};

    fn store() -> Arc<Store> {
        static STORE: std::sync::LazyLock<Arc<Store>> = std::sync::LazyLock::new(build);
        Arc::clone(&STORE)
    }

    fn build() -> Arc<Store> {
        let fixtures = FixtureSet::embedded();
        let clock = Clock::default();
        let context =
            VendorContext { clock: clock.clone(), scheduler: Scheduler::new(clock), fixtures: &fixtures, seed: None };
        PropalState::new(&context, &crate::Config::for_tests().vendors.propal).unwrap().store()
    }

    proptest! {
        #![proptest_config(crate::testing::cases(256))]

        #[test]
        fn keys_parse_exactly_when_prefixed_base64url(text in prop_oneof![".{0,40}", "pp_live_[A-Za-z0-9_+/=-]{0,30}"]) {
            let expected = text.strip_prefix(KEY_PREFIX).is_some_and(|rest| {
                !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
            prop_assert_eq!(ApiKey::parse(&text).is_some(), expected);
        }

        #[test]
        fn any_authorization_header_is_a_401_unless_it_names_a_live_key(
            value in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..60),
                "(Bearer|bearer|BEARER|Basic|) {0,2}pp_live_[A-Za-z0-9_-]{0,30} ?".prop_map(String::into_bytes),
            ],
            seconds in 0i64..4_000_000_000,
        ) {
            let store = store();
            let now = Timestamp::from_second(seconds).unwrap();
            let mut headers = HeaderMap::new();
            if let Ok(value) = HeaderValue::from_bytes(&value) {
                headers.insert(header::AUTHORIZATION, value);
            }
            if let Err(error) = find_key(&store, &headers, now) {
                prop_assert_eq!(error.status(), StatusCode::UNAUTHORIZED);
            }
        }
    }
}
