//! Portal.io (`reference/portalio.md`, CONTRACT §5.1): every request signed with
//! HMAC-SHA256 (`X-MSS-*` headers), the user-key exchange, proposals with areas,
//! options and change orders, people and locations, users, the catalog and webhook
//! subscriptions.
//!
//! Every route passes [`auth::authenticate`] first: the signature (401, with a
//! near-miss diagnosis of signer bugs), then on `/public` routes the user key (401)
//! and the subscription (402); the catalog checks its own access (403). Handlers
//! then look up the record (404; another account's ids are 404, webhook ids 400),
//! the edit lock (409) and the model rules (400).
//!
//! # Layout
//!
//! - [`config`]: the `--portalio-*` flags; [`cli`]: `vendor-emulator sign portalio`.
//! - [`signature`]: the canonical message, HMAC, the verifier and the near-miss diagnosis (pure).
//! - [`auth`]: the middleware that runs the verifier and finds the user; [`auth::Caller`].
//! - [`error`]: the 401 string and the `{"message"}` errors.
//! - [`model`], [`state`]: records, fixtures and the per-account store.
//! - [`input`]: form/JSON bodies and query strings, names case-insensitive.
//! - [`wire`]: response shapes and totals.
//! - [`events`]: webhook event names in both spellings.
//! - [`routes`]: the handlers; [`admin`]: the control plane under `/_emulator/portalio`.

pub mod admin;
pub mod auth;
pub mod cli;
pub mod config;
pub mod error;
pub mod events;
pub mod faults;
pub mod input;
pub mod model;
mod monitor;
pub mod routes;
pub mod signature;
pub mod snapshot;
pub mod state;
pub mod wire;

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
use utoipa_axum::{router::OpenApiRouter, routes};

pub use state::PortalioState;

use crate::{
    Vendor,
    fixtures::{FixtureError, FixtureSet},
    routing::route_not_found,
    vendor::{EmulatedVendor, FrameError, Restore},
};
use routes::{catalog, change_orders, exchange, people, proposals, users, webhooks};

/// Portal.io's OpenAPI document: tags and the signature security scheme.
#[derive(OpenApi)]
#[openapi(
    modifiers(&SignatureScheme),
    tags((name = "portalio", description = "Portal.io public API (HMAC-SHA256 signed requests)"))
)]
pub struct PortalioDoc;

/// Adds `portalio_signature`: the five `X-MSS-*` headers (documented on `X-MSS-SIGNATURE`).
struct SignatureScheme;

impl Modify for SignatureScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "portalio_signature",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-MSS-SIGNATURE",
                "Base64(HMAC-SHA256(Secret Key UTF-8 bytes, METHOD + base URL (no query) + Content-Type (non-GET) + \
                 X-MSS-CUSTOM-DATE + X-MSS-API-USERKEY (not on the exchange))), sent with X-MSS-API-APPID, \
                 X-MSS-API-USERKEY, X-MSS-CUSTOM-DATE (IMF-fixdate) and Accept: application/json",
            ))),
        );
    }
}

impl EmulatedVendor for PortalioState {
    fn vendor(&self) -> Vendor {
        Vendor::Portalio
    }

    /// Every route behind [`auth::authenticate`] (a `route_layer`: unknown paths get
    /// the 404 without a signature, as the frame's routing tests expect).
    fn api(self: Arc<Self>) -> OpenApiRouter {
        OpenApiRouter::with_openapi(PortalioDoc::openapi())
            .routes(routes!(exchange::exchange_api_key))
            .routes(routes!(proposals::list_proposals, proposals::create_proposal))
            .routes(routes!(proposals::get_proposal, proposals::update_proposal))
            .routes(routes!(proposals::update_description))
            .routes(routes!(proposals::update_internal_notes))
            .routes(routes!(proposals::add_area))
            .routes(routes!(proposals::add_area_option))
            .routes(routes!(proposals::update_option_client_description))
            .routes(routes!(proposals::update_option_installer_notes))
            .routes(routes!(proposals::assign_contact))
            .routes(routes!(proposals::assign_location))
            .routes(routes!(change_orders::list_change_orders))
            .routes(routes!(change_orders::get_change_order))
            .routes(routes!(people::list_people, people::create_person))
            .routes(routes!(people::get_person))
            .routes(routes!(people::list_locations, people::create_location))
            .routes(routes!(users::list_users))
            .routes(routes!(catalog::search_catalog))
            .routes(routes!(catalog::list_categories))
            .routes(routes!(catalog::get_catalog_item))
            .routes(routes!(webhooks::subscribe))
            .routes(routes!(webhooks::list_subscriptions))
            .routes(routes!(webhooks::update_subscription))
            .routes(routes!(webhooks::unsubscribe))
            .route_layer(middleware::from_fn_with_state(Arc::clone(&self), auth::authenticate))
            .fallback(not_found)
            .with_state(self)
    }

    fn admin(self: Arc<Self>) -> OpenApiRouter {
        admin::admin(self)
    }

    fn reset(&self) {
        PortalioState::reset(self);
    }

    fn credentials(&self) -> Value {
        PortalioState::credentials(self)
    }

    fn counts(&self) -> Value {
        PortalioState::counts(self)
    }

    fn frame_error(&self, error: FrameError) -> Response {
        error::frame_error(error)
    }

    fn panels(&self, base_url: &str) -> crate::admin::ui::Panels {
        monitor::panels(self, base_url)
    }

    fn fault_error(&self, status: StatusCode, _retry_after_seconds: Option<u64>) -> Response {
        faults::fault_error(status)
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

async fn not_found(State(state): State<Arc<PortalioState>>, method: Method, uri: Uri) -> Response {
    route_not_found(state.as_ref(), &method, &uri)
}
