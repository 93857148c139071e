//! Portal.io (`reference/portalio.md`, CONTRACT §5.1).
//!
//! Until the Portal.io issue lands this vendor holds its fixture accounts and
//! apps (so `/_emulator/credentials` is real) and answers every path with its own
//! 404 shape: no endpoint is emulated yet, so none pretends to be.

pub mod config;
pub mod error;
pub mod model;
mod state;

use std::sync::Arc;

use axum::{
    extract::State,
    http::{Method, Uri},
    response::Response,
};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;

pub use state::PortalioState;

use crate::{
    Vendor,
    routing::route_not_found,
    vendor::{EmulatedVendor, FrameError},
};

impl EmulatedVendor for PortalioState {
    fn vendor(&self) -> Vendor {
        Vendor::Portalio
    }

    fn api(self: Arc<Self>) -> OpenApiRouter {
        OpenApiRouter::new().fallback(not_found).with_state(self)
    }

    fn admin(self: Arc<Self>) -> OpenApiRouter {
        OpenApiRouter::new()
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
}

async fn not_found(State(state): State<Arc<PortalioState>>, method: Method, uri: Uri) -> Response {
    route_not_found(state.as_ref(), &method, &uri)
}
