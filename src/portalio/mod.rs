//! Portal.io (`reference/portalio.md`, CONTRACT §5.1).
//!
//! Until the Portal.io issue lands this vendor holds its fixture accounts and
//! apps (so `/_emulator/credentials` is real) and answers every path with its own
//! 404 shape: no endpoint is emulated yet, so none pretends to be.

pub mod error;
pub mod model;
mod state;

use std::sync::Arc;

use axum::{
    Router,
    http::{Method, Uri},
};

pub use state::PortalioState;

use crate::{Vendor, routing::route_not_found, vendor::RouteDoc};

/// The routes served today (none yet).
pub const ROUTES: &[RouteDoc] = &[];

/// Portal.io's router, at the vendor's root path.
pub fn router(state: Arc<PortalioState>) -> Router {
    Router::new()
        .fallback(|method: Method, uri: Uri| async move { route_not_found(Vendor::Portalio, &method, &uri) })
        .with_state(state)
}
