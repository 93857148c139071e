//! The control plane under `/_emulator` (CONTRACT §6): JSON in and out, on the
//! main listener only, behind `Authorization: Bearer <--admin-token>` when set.
//! One file per concern; each vendor's own control-plane routes live in its folder
//! and are nested here under `/_emulator/<vendor>`.

mod clock;
pub mod dto;
pub mod error;
mod faults;
mod health;
mod journal;
pub mod openapi;
mod reset;
mod state;
mod tls;
pub mod ui;

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use subtle::ConstantTimeEq;
use utoipa_axum::router::OpenApiRouter;

use crate::documented::routes;

use crate::{app::AppState, config::AdminToken};
pub use error::{EmulatorError, EmulatorErrorBody};

/// The `/_emulator` router and its OpenAPI paths: the frame's routes, then every
/// vendor's under `/_emulator/<vendor>`, all behind the admin token.
pub fn router(state: AppState) -> (Router, utoipa::openapi::OpenApi) {
    let mut documented = OpenApiRouter::new()
        .routes(routes!(health::get_health))
        .routes(routes!(health::get_credentials))
        .routes(routes!(clock::get_clock, clock::move_clock))
        .routes(routes!(reset::reset_all))
        .routes(routes!(reset::reset_vendor))
        .routes(routes!(journal::list_journal, journal::clear_journal))
        .routes(routes!(journal::get_journal_entry))
        .routes(routes!(faults::create_fault, faults::list_faults, faults::clear_faults))
        .routes(routes!(faults::get_fault, faults::delete_fault))
        .routes(routes!(ui::live::live_journal))
        .routes(routes!(ui::page::get_page))
        .routes(routes!(ui::panels::get_panels))
        .routes(routes!(openapi::get_openapi))
        .routes(routes!(openapi::get_vendor_openapi))
        .routes(routes!(tls::get_ca_pem))
        .with_state(state.clone());
    // A state document may be large; every other control-plane body keeps axum's default limit.
    let state_routes = OpenApiRouter::new()
        .routes(routes!(state::export_state, state::restore_state))
        .layer(axum::extract::DefaultBodyLimit::max(state::MAX_STATE_BYTES))
        .with_state(state.clone());
    documented = documented.merge(state_routes);
    for vendor in state.vendors.iter() {
        documented = documented.nest(&format!("/_emulator/{}", vendor.vendor()), Arc::clone(vendor).admin());
    }
    let (served, doc) = documented.split_for_parts();
    let router = served
        .route_layer(middleware::from_fn(crate::routing::tag_matched_route))
        .fallback(|| async { EmulatorError::NotFound("no such control-plane route".into()) })
        .layer(middleware::from_fn(method_not_allowed_as_json))
        .layer(middleware::from_fn(rejections_as_json))
        .layer(middleware::from_fn_with_state(state, require_admin_token));
    (router, doc)
}

/// axum's bare 405, in the control plane's shape (axum adds the `Allow` header after).
async fn method_not_allowed_as_json(request: Request, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let response = next.run(request).await;
    if response.status() != StatusCode::METHOD_NOT_ALLOWED {
        return response;
    }
    let body = EmulatorErrorBody { error: format!("{method} is not served on {path}; the Allow header lists what is") };
    (StatusCode::METHOD_NOT_ALLOWED, Json(body)).into_response()
}

/// axum's plain-text refusals of a request it cannot hand to a handler (a path
/// segment whose percent-escapes are not UTF-8, a query that does not parse), in the
/// control plane's shape, with their status and text.
async fn rejections_as_json(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let plain_text = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !response.status().is_client_error() || !plain_text {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => parts.status.canonical_reason().unwrap_or("refused").to_owned(),
    };
    (parts.status, Json(EmulatorErrorBody { error: text })).into_response()
}

/// The control-plane paths that answer without the admin token: liveness, so a health
/// check needs no secret, the monitor page, which holds no data and asks for the
/// token before it reads any, and the TLS CA certificate, which is public.
pub const OPEN_PATHS: &[&str] = &["/_emulator/health", "/_emulator/ui", "/_emulator/tls/ca.pem"];

/// Refuses every control-plane call without the admin token, when one is configured.
async fn require_admin_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Some(expected) = state
        .config
        .admin_token
        .as_ref()
        .map(AdminToken::expose)
        .filter(|_| !OPEN_PATHS.contains(&request.uri().path()))
    {
        let presented = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !bool::from(presented.as_bytes().ct_eq(expected.as_bytes())) {
            return EmulatorError::Unauthorized.into_response();
        }
    }
    next.run(request).await
}
