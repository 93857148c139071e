//! Holm Security Partner Portal (`reference/holm.md`, CONTRACT §5.3).
//!
//! Until the Holm issue lands this vendor holds its fixture organizations and
//! keys (hashed; raw values only for `/_emulator/credentials`) and answers every
//! path with its own 404 shape: no endpoint is emulated yet, so none pretends to be.

pub mod error;
pub mod model;
mod state;

use std::sync::Arc;

use axum::{
    Router,
    http::{Method, Uri},
};

pub use state::HolmState;

use crate::{Vendor, routing::route_not_found, vendor::RouteDoc};

/// The routes served today (none yet).
pub const ROUTES: &[RouteDoc] = &[];

/// Holm's router, at the vendor's root path.
pub fn router(state: Arc<HolmState>) -> Router {
    Router::new()
        .fallback(|method: Method, uri: Uri| async move { route_not_found(Vendor::Holm, &method, &uri) })
        .with_state(state)
}
