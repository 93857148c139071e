//! The control plane under `/_emulator` (CONTRACT §6): JSON in and out, on the
//! main listener only, behind `Authorization: Bearer <--admin-token>` when set.
//! One file per concern; vendor account and key management in `<vendor>.rs`.

mod clock;
pub mod dto;
pub mod error;
mod health;
mod journal;
mod openapi;
mod propal;
mod reset;

use axum::{
    Router,
    extract::{Request, State},
    http::header,
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use subtle::ConstantTimeEq;

use crate::{app::AppState, vendor::RouteDoc};
pub use error::EmulatorError;

/// The frame's control-plane routes, as the OpenAPI document lists them (each vendor's
/// account routes are listed in its own file).
pub const ROUTES: &[RouteDoc] = &[
    RouteDoc::new("GET", "/_emulator/health", "Liveness, version, uptime and fixture counts"),
    RouteDoc::new("GET", "/_emulator/credentials", "The raw test credentials of the fixtures"),
    RouteDoc::new("GET", "/_emulator/clock", "The emulator clock"),
    RouteDoc::new("POST", "/_emulator/clock", "Freeze, set, advance or resume the clock"),
    RouteDoc::new("POST", "/_emulator/reset", "Every vendor back to its fixtures, atomically"),
    RouteDoc::new("POST", "/_emulator/reset/{vendor}", "One vendor back to its fixtures"),
    RouteDoc::new("GET", "/_emulator/journal", "Journaled requests, newest first (vendor, status, limit)"),
    RouteDoc::new("DELETE", "/_emulator/journal", "Empty the journal"),
    RouteDoc::new("GET", "/_emulator/journal/{request_id}", "One journaled request with its decision trail"),
    RouteDoc::new("GET", "/_emulator/openapi.json", "This document"),
];

/// The `/_emulator` router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/_emulator/health", get(health::get_health))
        .route("/_emulator/credentials", get(health::get_credentials))
        .route("/_emulator/clock", get(clock::get_clock).post(clock::move_clock))
        .route("/_emulator/reset", post(reset::reset_all))
        .route("/_emulator/reset/{vendor}", post(reset::reset_vendor))
        .route("/_emulator/journal", get(journal::list_journal).delete(journal::clear_journal))
        .route("/_emulator/journal/{request_id}", get(journal::get_journal_entry))
        .route("/_emulator/openapi.json", get(openapi::get_openapi))
        .merge(propal::routes())
        .nest_service(
            "/_emulator/portalio",
            crate::portalio::admin::admin(std::sync::Arc::clone(&state.portalio)).split_for_parts().0,
        )
        .fallback(|| async { EmulatorError::NotFound("no such control-plane route".into()) })
        .layer(middleware::from_fn_with_state(state.clone(), require_admin_token))
        .with_state(state)
}

/// Refuses every control-plane call without the admin token, when one is configured.
async fn require_admin_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Some(expected) = state.config.admin_token.as_deref() {
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
