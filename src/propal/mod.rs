//! Propal (`reference/propal.md`, CONTRACT §5.2): `Bearer pp_live_…` keys looked
//! up by SHA-256, 20 scopes, a sliding hourly budget per organization, cursor
//! pagination and the 27 REST routes of reference §6.0 (MCP is out of scope).
//!
//! Every route in [`ROUTES`] passes [`auth::authenticate`] (401, then 429, and the
//! `X-RateLimit-*` headers on whatever follows); each handler's first line is its
//! scope check (403), then the resource (404), then the body (400). The media
//! upload target is a signed URL, so it is outside the key check.

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
    Router,
    http::{Method, Uri},
    middleware,
    routing::{delete, get, post, put},
};

pub use state::PropalState;

use crate::{Vendor, routing::route_not_found, vendor::RouteDoc};
use routes::{leads, media, metrics, organization, products, proposals, templates, themes};

/// The emulated routes with their scopes, as the OpenAPI document lists them.
pub const ROUTES: &[RouteDoc] = &[
    RouteDoc::scoped("GET", "/v1/proposals", "proposals:read", "List proposals (status filter)"),
    RouteDoc::scoped("POST", "/v1/proposals", "proposals:write", "Create a proposal from a template"),
    RouteDoc::scoped("GET", "/v1/proposals/{id}", "proposals:read", "Get a proposal"),
    RouteDoc::scoped("PATCH", "/v1/proposals/{id}", "proposals:write", "Update proposal metadata"),
    RouteDoc::scoped("DELETE", "/v1/proposals/{id}", "proposals:delete", "Delete a proposal"),
    RouteDoc::scoped("POST", "/v1/proposals/{id}/publish", "proposals:write", "Publish a proposal"),
    RouteDoc::scoped("GET", "/v1/leads", "leads:read", "List leads (search on name and e-mail)"),
    RouteDoc::scoped("POST", "/v1/leads", "leads:write", "Create a lead"),
    RouteDoc::scoped("GET", "/v1/leads/{id}", "leads:read", "Get a lead"),
    RouteDoc::scoped("PATCH", "/v1/leads/{id}", "leads:write", "Update a lead"),
    RouteDoc::scoped("DELETE", "/v1/leads/{id}", "leads:delete", "Delete a lead"),
    RouteDoc::scoped("GET", "/v1/organization", "organization:read", "The key's organization"),
    RouteDoc::scoped("GET", "/v1/products", "products:read", "List catalog products (search on name)"),
    RouteDoc::scoped("POST", "/v1/products", "products:write", "Create a product"),
    RouteDoc::scoped("GET", "/v1/products/{id}", "products:read", "Get a product"),
    RouteDoc::scoped("PATCH", "/v1/products/{id}", "products:write", "Update a product"),
    RouteDoc::scoped("DELETE", "/v1/products/{id}", "products:delete", "Delete a product"),
    RouteDoc::scoped("GET", "/v1/templates", "templates:read", "List templates (the organization's and global ones)"),
    RouteDoc::scoped("POST", "/v1/templates", "templates:write", "Create a template from a proposal"),
    RouteDoc::scoped("GET", "/v1/templates/{id}", "templates:read", "Get a template"),
    RouteDoc::scoped("DELETE", "/v1/templates/{id}", "templates:delete", "Delete one of the organization's templates"),
    RouteDoc::scoped("GET", "/v1/themes", "themes:read", "List themes"),
    RouteDoc::scoped("POST", "/v1/themes", "themes:write", "Create a theme"),
    RouteDoc::scoped("GET", "/v1/themes/{id}", "themes:read", "Get a theme"),
    RouteDoc::scoped("PATCH", "/v1/themes/{id}", "themes:write", "Update a theme"),
    RouteDoc::scoped("DELETE", "/v1/themes/{id}", "themes:delete", "Delete a theme not used by any proposal"),
    RouteDoc::scoped("POST", "/v1/media/files", "media:write", "Request a signed upload URL for a media file"),
    RouteDoc::scoped("GET", "/v1/media/files", "media:read", "List media files (folder filter)"),
    RouteDoc::scoped("DELETE", "/v1/media/files/{id}", "media:delete", "Delete a media file"),
    RouteDoc::scoped("GET", "/v1/metrics/overview", "metrics:read", "Global KPIs: proposals, value, conversion"),
    RouteDoc::scoped("GET", "/v1/metrics/pipeline", "metrics:read", "Proposals and value by deal status"),
    RouteDoc::scoped("GET", "/v1/metrics/conversion", "metrics:read", "Conversion rate and funnel"),
    RouteDoc::scoped("GET", "/v1/metrics/sales", "metrics:read", "Approved sales by period"),
    RouteDoc::scoped("GET", "/v1/metrics/team-performance", "metrics:read", "Performance per organization member"),
    RouteDoc::scoped("GET", "/v1/metrics/proposal-timing", "metrics:read", "Average hours to first view and to close"),
    RouteDoc::scoped("GET", "/v1/metrics/rejection-reasons", "metrics:read", "Rejection reasons of denied proposals"),
];

/// Propal's router, at the vendor's root path.
pub fn router(state: Arc<PropalState>) -> Router {
    let api = Router::new()
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
        .route_layer(middleware::from_fn_with_state(Arc::clone(&state), auth::authenticate))
        // The signed upload URL is its own credential: no API key, no rate budget.
        .route("/storage/v1/upload/{org_id}/{token}", put(media::upload_media_bytes));
    api.fallback(not_found).method_not_allowed_fallback(not_found).with_state(state)
}

async fn not_found(method: Method, uri: Uri) -> axum::response::Response {
    route_not_found(Vendor::Propal, &method, &uri)
}
