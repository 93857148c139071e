//! Holm Security Partner Portal (`reference/holm.md`, CONTRACT §5.3): the two-key
//! session model with its limits, and the partner data routes.
//!
//! `POST /v1/auth/session` trades the organization key and an API key for a
//! one-hour `pps_…` session (see [`sessions`] for the order of its checks); every
//! other route passes [`auth::authenticate`] (session, expiry, IP lock, allowed
//! origins), and each handler's first line is `caller.admit(scope)` (scope, then
//! the per-session rate). The routes are the one table in `EmulatedVendor::api` below.
//!
//! # Layout
//! - [`config`]: the `--holm-…` flags. [`limits`]: the seed's numbers and the rate window.
//! - [`secret`]: key and token formats, SHA-256 storage, constant-time compare.
//! - [`origin`]: allowed-origin rules and the request's origin. [`scope`]: the four scopes.
//! - [`org`]: one organization's keys and sessions behind one lock. [`state`]: the store and its indexes.
//! - [`sessions`]: opening and checking sessions. [`auth`]: the middleware and [`auth::Caller`].
//! - [`model`]: fixture records. [`data`]: usage, engagement and churn rules. [`periods`]: Stockholm periods.
//! - `routes`: the handlers. [`admin`]: the portal's actions under `/_emulator/holm`.
//! - [`error`]: the error body. [`input`]: bodies and queries in that shape.
//! - [`harness`]: typed fixture credentials and fresh organizations for [`crate::harness`].

pub mod accounts;
pub mod admin;
pub mod auth;
pub mod config;
pub mod data;
pub mod error;
pub mod faults;
pub mod harness;
pub mod input;
pub mod limits;
pub mod model;
mod monitor;
pub mod org;
pub mod origin;
pub mod periods;
mod routes;
pub mod scope;
pub mod secret;
pub mod sessions;
pub mod snapshot;
pub mod state;

use std::sync::Arc;

use axum::{
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri},
    middleware,
    response::Response,
};
use serde_json::Value;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{ApiKey, ApiKeyValue, SecurityScheme},
};
use utoipa_axum::router::OpenApiRouter;

use crate::documented::routes;

pub use state::HolmState;

use crate::{
    Vendor,
    fixtures::{FixtureError, FixtureSet},
    routing::route_not_found,
    vendor::{EmulatedVendor, FrameError, Restore},
};
use routes::{customers, me, reports, session};

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

impl EmulatedVendor for HolmState {
    fn vendor(&self) -> Vendor {
        Vendor::Holm
    }

    /// Every route of the emulator in one table. The session creation carries its
    /// credentials in the body; every other route passes [`auth::authenticate`].
    /// Unknown paths get Holm's 404 without a session check.
    fn api(self: Arc<Self>) -> OpenApiRouter {
        let authenticated = OpenApiRouter::with_openapi(crate::documented::base(HolmDoc::openapi))
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
            .route_layer(middleware::from_fn_with_state(Arc::clone(&self), auth::authenticate));
        OpenApiRouter::with_openapi(crate::documented::base(HolmDoc::openapi))
            .routes(routes!(session::create_session))
            .merge(authenticated)
            .fallback(not_found)
            .with_state(self)
    }

    fn admin(self: Arc<Self>) -> OpenApiRouter {
        admin::api(self)
    }

    fn reset(&self) {
        HolmState::reset(self);
    }

    fn credentials(&self) -> Value {
        HolmState::credentials(self)
    }

    fn counts(&self) -> Value {
        HolmState::counts(self)
    }

    fn frame_error(&self, error: FrameError) -> Response {
        error::frame_error(error)
    }

    fn panels(&self, base_url: &str) -> crate::admin::ui::Panels {
        monitor::panels(self, base_url)
    }

    fn fault_error(&self, status: StatusCode, retry_after_seconds: Option<u64>) -> Response {
        faults::fault_error(status, retry_after_seconds)
    }

    fn tenant(&self, headers: &HeaderMap) -> Option<String> {
        faults::tenant(self, headers)
    }

    fn snapshot(&self) -> std::collections::BTreeMap<String, Value> {
        snapshot::snapshot(self)
    }

    fn restore(&self, files: &FixtureSet) -> Result<Restore<'_>, FixtureError> {
        snapshot::restore(self, files)
    }
}

async fn not_found(State(state): State<Arc<HolmState>>, method: Method, uri: Uri) -> Response {
    route_not_found(state.as_ref(), &method, &uri)
}
