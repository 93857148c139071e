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
    routing::{get, post},
};

pub use state::PropalState;

use crate::{Vendor, routing::route_not_found, vendor::RouteDoc};
use routes::{leads, organization, proposals};

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
        .route_layer(middleware::from_fn_with_state(Arc::clone(&state), auth::authenticate));
    api.fallback(not_found).method_not_allowed_fallback(not_found).with_state(state)
}

async fn not_found(method: Method, uri: Uri) -> axum::response::Response {
    route_not_found(Vendor::Propal, &method, &uri)
}
