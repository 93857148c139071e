//! Propal (`reference/propal.md`, CONTRACT §5.2): `Bearer pp_live_…` keys looked
//! up by SHA-256, 20 scopes, a sliding hourly budget per organization, cursor
//! pagination and the 27 REST routes of reference §6.0 (MCP is out of scope).
//!
//! Every route under `/v1` (and any unknown path) passes [`auth::authenticate`] (401, then 429, and the
//! `X-RateLimit-*` headers on whatever follows); each handler's first line is its
//! scope check (403), then the resource (404), then the body (400). The media
//! upload target is a signed URL, so it is outside the key check.

pub mod admin;
pub mod auth;
pub mod config;
pub mod error;
pub mod input;
pub mod limits;
pub mod model;
pub mod pagination;
mod routes;
pub mod state;

use std::sync::Arc;

use axum::{
    extract::State,
    http::{Method, Uri},
    middleware,
    response::Response,
    routing::{delete, get, post, put},
};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;

pub use state::PropalState;

use crate::{
    Vendor,
    routing::route_not_found,
    vendor::{EmulatedVendor, FrameError},
};
use routes::{leads, media, metrics, organization, products, proposals, templates, themes};

impl EmulatedVendor for PropalState {
    fn vendor(&self) -> Vendor {
        Vendor::Propal
    }

    /// Every `/v1` route and every unknown path behind [`auth::authenticate`], so
    /// authentication comes first for any path (401 → 429 → 403 → 404 → 400); the
    /// signed upload URL is its own credential: no API key, no rate budget.
    fn api(self: Arc<Self>) -> OpenApiRouter {
        let authenticated = OpenApiRouter::new()
            .route("/v1/proposals", get(proposals::list_proposals).post(proposals::create_proposal))
            .route(
                "/v1/proposals/{id}",
                get(proposals::get_proposal).patch(proposals::update_proposal).delete(proposals::delete_proposal),
            )
            .route("/v1/proposals/{id}/publish", post(proposals::publish_proposal))
            .route("/v1/leads", get(leads::list_leads).post(leads::create_lead))
            .route("/v1/leads/{id}", get(leads::get_lead).patch(leads::update_lead).delete(leads::delete_lead))
            .route("/v1/organization", get(organization::get_organization))
            .route("/v1/products", get(products::list_products).post(products::create_product))
            .route(
                "/v1/products/{id}",
                get(products::get_product).patch(products::update_product).delete(products::delete_product),
            )
            .route("/v1/templates", get(templates::list_templates).post(templates::create_template))
            .route("/v1/templates/{id}", get(templates::get_template).delete(templates::delete_template))
            .route("/v1/themes", get(themes::list_themes).post(themes::create_theme))
            .route("/v1/themes/{id}", get(themes::get_theme).patch(themes::update_theme).delete(themes::delete_theme))
            .route("/v1/media/files", get(media::list_media_files).post(media::create_media_file))
            .route("/v1/media/files/{id}", delete(media::delete_media_file))
            .route("/v1/metrics/overview", get(metrics::overview))
            .route("/v1/metrics/pipeline", get(metrics::pipeline))
            .route("/v1/metrics/conversion", get(metrics::conversion))
            .route("/v1/metrics/sales", get(metrics::sales))
            .route("/v1/metrics/team-performance", get(metrics::team_performance))
            .route("/v1/metrics/proposal-timing", get(metrics::proposal_timing))
            .route("/v1/metrics/rejection-reasons", get(metrics::rejection_reasons))
            .fallback(not_found)
            .layer(middleware::from_fn_with_state(Arc::clone(&self), auth::authenticate));
        let signed_upload =
            OpenApiRouter::new().route("/storage/v1/upload/{org_id}/{token}", put(media::upload_media_bytes));
        authenticated.merge(signed_upload).with_state(self)
    }

    fn admin(self: Arc<Self>) -> OpenApiRouter {
        admin::routes(self)
    }

    fn reset(&self) {
        PropalState::reset(self);
    }

    fn credentials(&self) -> Value {
        PropalState::credentials(self)
    }

    fn counts(&self) -> Value {
        PropalState::counts(self)
    }

    fn frame_error(&self, error: FrameError) -> Response {
        error::frame_error(error)
    }
}

async fn not_found(State(state): State<Arc<PropalState>>, method: Method, uri: Uri) -> Response {
    route_not_found(state.as_ref(), &method, &uri)
}
