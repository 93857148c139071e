//! Holm Security Partner Portal (`reference/holm.md`, CONTRACT §5.3): the two-key
//! session model with its limits, and the partner data routes.
//!
//! `POST /v1/auth/session` trades the organization key and an API key for a
//! one-hour `pps_…` session (see [`sessions`] for the order of its checks); every
//! other route passes [`auth::authenticate`] (session, expiry, IP lock, allowed
//! origins), and each handler's first line is `caller.admit(scope)` (scope, then
//! the per-session rate). The routes are the table in [`api`].
//!
//! # Layout
//! - [`config`]: the `--holm-…` flags. [`limits`]: the seed's numbers and the rate window.
//! - [`secret`]: key and token formats, SHA-256 storage, constant-time compare.
//! - [`origin`]: allowed-origin rules and the request's origin. [`scope`]: the four scopes.
//! - [`org`]: one organization's keys and sessions behind one lock. [`state`]: the store and its indexes.
//! - [`sessions`]: opening and checking sessions. [`auth`]: the middleware and [`auth::Caller`].
//! - [`model`]: fixture records. [`data`]: usage, engagement and churn rules. [`periods`]: Stockholm periods.
//! - [`routes`]: the handlers. [`admin`]: the portal's actions under `/_emulator/holm`.
//! - [`error`]: the error body. [`input`]: bodies and queries in that shape.

pub mod accounts;
pub mod admin;
pub mod auth;
pub mod config;
pub mod data;
pub mod error;
pub mod input;
pub mod limits;
pub mod model;
pub mod org;
pub mod origin;
pub mod periods;
mod routes;
pub mod scope;
pub mod secret;
pub mod sessions;
pub mod state;

use std::sync::Arc;

use axum::{
    Router,
    http::{Method, Uri},
    middleware,
};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, SecurityScheme},
};
use utoipa_axum::{router::OpenApiRouter, routes};

pub use state::HolmState;

use crate::{Vendor, routing::route_not_found, vendor::RouteDoc};
use routes::{customers, me, reports, session};

/// The routes for the current frame's OpenAPI listing (the utoipa document in [`api`] is the source).
pub const ROUTES: &[RouteDoc] = &[];

/// Holm's OpenAPI document: the `Authorization: Session <token>` scheme.
#[derive(OpenApi)]
#[openapi(modifiers(&SessionScheme))]
pub struct HolmDoc;

/// Adds the `holm_session` security scheme.
pub struct SessionScheme;

impl Modify for SessionScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = ApiKey::Header(ApiKeyValue::with_description(
            "Authorization",
            "`Session <session_token>` (the `pps_…` token from POST /v1/auth/session)",
        ));
        components.add_security_scheme("holm_session", SecurityScheme::ApiKey(scheme));
    }
}

/// The API at the vendor's root path: every route of the emulator in one table.
pub fn api(state: Arc<HolmState>) -> OpenApiRouter {
    let authenticated = OpenApiRouter::with_openapi(HolmDoc::openapi())
        .routes(routes!(session::delete_session))
        .routes(routes!(me::get_me))
        .routes(routes!(reports::list_mssp_periods))
        .routes(routes!(reports::list_mssp_companies))
        .routes(routes!(reports::get_mssp_usage))
        .routes(routes!(reports::list_reseller_periods))
        .routes(routes!(reports::list_reseller_companies))
        .routes(routes!(reports::get_reseller_usage))
        .routes(routes!(customers::list_customers))
        .routes(routes!(customers::get_customer))
        .routes(routes!(customers::get_engagement))
        .routes(routes!(customers::get_churn_risk))
        .route_layer(middleware::from_fn_with_state(Arc::clone(&state), auth::authenticate));
    // The session creation carries its credentials in the body: no session check.
    OpenApiRouter::with_openapi(HolmDoc::openapi())
        .routes(routes!(session::create_session))
        .merge(authenticated)
        .fallback(not_found)
        .with_state(state)
}

/// Holm's router, at the vendor's root path.
pub fn router(state: Arc<HolmState>) -> Router {
    api(state).split_for_parts().0.method_not_allowed_fallback(not_found)
}

async fn not_found(method: Method, uri: Uri) -> axum::response::Response {
    route_not_found(Vendor::Holm, &method, &uri)
}
