//! Holm Security Partner Portal (`reference/holm.md`, CONTRACT §5.3).
//!
//! Until the Holm issue lands this vendor holds its fixture organizations and
//! keys (hashed; raw values only for `/_emulator/credentials`) and answers every
//! path with its own 404 shape: no endpoint is emulated yet, so none pretends to be.

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

pub use state::HolmState;

use crate::{
    Vendor,
    routing::route_not_found,
    vendor::{EmulatedVendor, FrameError},
};

impl EmulatedVendor for HolmState {
    fn vendor(&self) -> Vendor {
        Vendor::Holm
    }

    fn api(self: Arc<Self>) -> OpenApiRouter {
        OpenApiRouter::new().fallback(not_found).with_state(self)
    }

    fn admin(self: Arc<Self>) -> OpenApiRouter {
        OpenApiRouter::new()
    }

    fn reset(&self) {
        HolmState::reset(self);
    }

    fn credentials(&self) -> Value {
        HolmState::credentials(self)
    }

    fn counts(&self) -> Value {
        HolmState::counts(self)
    }

    fn frame_error(&self, error: FrameError) -> Response {
        error::frame_error(error)
    }
}

async fn not_found(State(state): State<Arc<HolmState>>, method: Method, uri: Uri) -> Response {
    route_not_found(state.as_ref(), &method, &uri)
}
