//! The session check in front of every route but `POST /v1/auth/session`, and the
//! [`Caller`] a handler receives.
//!
//! Order (CONTRACT §5.3, our reading of the seed): the middleware checks the
//! session, its expiry, its IP lock and the key's allowed origins (401/403); a
//! handler's first line is `caller.admit(scope)`, which checks the scope (403) and
//! then spends the session's rate budget (429). So requests refused by any rule do
//! not use the budget; a request that passes them is counted whatever the handler
//! answers afterwards (400 for a bad query, 404 for an unknown id).

use std::sync::Arc;

use axum::{
    extract::{FromRequestParts, Request, State},
    http::request::Parts,
    middleware::Next,
    response::{IntoResponse, Response},
};
use jiff::Timestamp;

use super::{
    error::HolmError,
    origin::ClientOrigin,
    scope::Scope,
    sessions::Authenticated,
    state::{HolmState, Store},
};
use crate::journal::{Trail, peer_ip};

/// The authenticated caller of a request.
#[derive(Clone)]
pub struct Caller {
    pub session: Authenticated,
    pub store: Arc<Store>,
    /// The emulator clock, read once at the edge.
    pub now: Timestamp,
    pub trail: Trail,
    /// `--holm-requests-per-second`.
    rate_limit: u32,
}

impl Caller {
    /// 403 unless the key holds `scope`; then the session's rate rule (429).
    pub fn admit(&self, scope: Scope) -> Result<(), HolmError> {
        let scopes = self.session.key.scopes();
        if scopes.contains(&scope) {
            self.trail.pass("scope", format!("key holds {scope}"));
        } else {
            let held: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
            let detail = format!("needs {scope}; key {} holds [{}]", self.session.key.id, held.join(", "));
            self.trail.fail("scope", detail.clone());
            return Err(HolmError::InsufficientScope { scope, detail });
        }
        self.admit_unscoped()
    }

    /// The rate rule alone, for a route every key may call (`DELETE /v1/auth/session`).
    pub fn admit_unscoped(&self) -> Result<(), HolmError> {
        self.store.admit(&self.session.org, &self.session.session_id, self.now, self.rate_limit, &self.trail)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = HolmError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| HolmError::Internal("route without authenticate".into()))
    }
}

/// The client origin of a request under this emulator's settings.
pub fn client_origin(
    state: &HolmState,
    parts_headers: &axum::http::HeaderMap,
    extensions: &axum::http::Extensions,
) -> ClientOrigin {
    ClientOrigin::of_request(parts_headers, peer_ip(extensions), state.settings.holm_ignore_socket_ip)
}

/// Route middleware: the session checks; on success the handler gets a [`Caller`].
pub async fn authenticate(State(state): State<Arc<HolmState>>, mut request: Request, next: Next) -> Response {
    let now = state.clock.now();
    let store = state.store();
    let trail = request.extensions().get::<Trail>().cloned().unwrap_or_default();
    let origin = client_origin(&state, request.headers(), request.extensions());
    match store.authenticate(request.headers(), &origin, now, &trail) {
        Ok(session) => {
            let rate_limit = state.settings.holm_requests_per_second;
            request.extensions_mut().insert(Caller { session, store, now, trail, rate_limit });
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}
