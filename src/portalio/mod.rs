//! Portal.io (`reference/portalio.md`, CONTRACT §5.1): every request signed with
//! HMAC-SHA256 (`X-MSS-*` headers), the user-key exchange, proposals with areas,
//! options and change orders, people and locations, users, the catalog, webhook
//! subscriptions with signed and retried deliveries, the AI Builder and the Zapier triggers.
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
//! - [`events`]: webhook event names in both spellings; [`notify`]: which subscriptions get an event.
//! - [`delivery`]: the queues, workers, retries, signature and log of webhook deliveries.
//! - [`ai`]: AI Builder records, clock-driven progress and the deterministic outline.
//! - [`routes`]: the handlers; [`admin`]: the control plane under `/_emulator/portalio`.
//! - [`harness`]: typed fixture credentials and fresh accounts for [`crate::harness`].

pub mod admin;
pub mod ai;
pub mod auth;
pub mod cli;
pub mod config;
pub mod delivery;
pub mod error;
pub mod events;
pub mod faults;
pub mod harness;
pub mod input;
pub mod model;
mod monitor;
pub mod notify;
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
use utoipa_axum::router::OpenApiRouter;

use crate::documented::routes;

pub use state::PortalioState;

use crate::{
    Vendor,
    fixtures::{FixtureError, FixtureSet},
    routing::route_not_found,
    vendor::{EmulatedVendor, FrameError, Restore},
};
use routes::{ai as ai_routes, catalog, change_orders, exchange, people, proposals, users, webhooks, zapier};

/// Portal.io's OpenAPI document: tags and the signature security scheme.
#[derive(OpenApi)]
#[openapi(
    modifiers(&SignatureScheme, &WebhookPayloads),
    components(schemas(
        wire::ProposalDetail, wire::ContactDetail, routes::zapier::ZapierPayment, routes::zapier::ZapierOrder,
        routes::ai::OutlineOut, routes::ai::BuildOut
    )),
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

/// Adds the OpenAPI 3.1 `webhooks`: one POST per event, its signed envelope and `data` schema.
struct WebhookPayloads;

impl Modify for WebhookPayloads {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let payloads = [
            (
                "ProposalStatusChanged",
                "PortalioProposal",
                "The full proposal: its status changed, or an AI build finished",
            ),
            ("ProposalOutlineStatusChanged", "PortalioAiOutline", "An AI outline finished (Completed or Failed)"),
            ("ProposalBuildStatusChanged", "PortalioAiBuildStatusBody", "An AI build finished (Completed or Failed)"),
            ("PersonModification", "PortalioContact", "A contact was created or updated, with its primary location"),
            ("PaymentStatusChange", "PortalioZapierPayment", "A payment's status changed"),
            ("OrderStatusChange", "PortalioZapierOrder", "An order's status changed"),
        ];
        let mut webhooks = serde_json::Map::new();
        for (event, schema, summary) in payloads {
            let kind = events::dot_name(event).expect("every documented event has a dot name");
            webhooks.insert(
                event.to_owned(),
                serde_json::json!({ "post": {
                    "operationId": format!("portalio.webhook.{event}"),
                    "summary": summary,
                    "description": "POSTed to every enabled subscription for the event. Verify `X-Webhook-Signature`: \
                        v1 = hex(HMAC-SHA256(key = the subscription's secretKey, t + \".\" + raw body)); reject a t \
                        more than 5 minutes old. The envelope id is the same on every retry.",
                    "parameters": [{
                        "name": "X-Webhook-Signature", "in": "header", "required": true,
                        "schema": { "type": "string", "pattern": "^t=[0-9]+,v1=[0-9a-f]{64}$" },
                        "example": "t=1710000000,v1=5f2b3e7a9d1c4f8e6b2a3c9d7f4e1a6b5c3d2f7e9a1b4c6d8e0f2a3b5c7d9e1"
                    }],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object",
                        "required": ["id", "type", "created", "data"],
                        "properties": {
                            "id": { "type": "string", "pattern": "^evt_" },
                            "type": { "type": "string", "const": kind },
                            "created": { "type": "string", "format": "date-time" },
                            "data": { "$ref": format!("#/components/schemas/{schema}") }
                        }
                    }}}},
                    "responses": { "2XX": {
                        "description": "Any 2xx acknowledges; anything else (or no answer) is retried after 1 min, 5 min, 30 min, 2 h and 12 h"
                    }}
                }}),
            );
        }
        openapi
            .extensions
            .get_or_insert_with(Default::default)
            .insert("webhooks".to_owned(), serde_json::Value::Object(webhooks));
    }
}

impl EmulatedVendor for PortalioState {
    fn vendor(&self) -> Vendor {
        Vendor::Portalio
    }

    /// Every route behind [`auth::authenticate`] (a `route_layer`: unknown paths get
    /// the 404 without a signature, as the frame's routing tests expect).
    fn api(self: Arc<Self>) -> OpenApiRouter {
        OpenApiRouter::with_openapi(crate::documented::base(PortalioDoc::openapi))
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
            .routes(routes!(ai_routes::upload_content, ai_routes::list_content))
            .routes(routes!(ai_routes::delete_content))
            .routes(routes!(ai_routes::generate_outline, ai_routes::get_outline))
            .routes(routes!(ai_routes::build_proposal))
            .routes(routes!(ai_routes::api_upload_content, ai_routes::api_list_content))
            .routes(routes!(ai_routes::api_delete_content))
            .routes(routes!(ai_routes::api_generate_outline, ai_routes::api_get_outline))
            .routes(routes!(ai_routes::api_build_proposal))
            .routes(routes!(zapier::proposal_trigger))
            .routes(routes!(zapier::payment_trigger))
            .routes(routes!(zapier::order_trigger))
            .routes(routes!(zapier::person_trigger))
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
