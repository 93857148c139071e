//! `GET /_emulator/health` and `GET /_emulator/credentials`.

use axum::{Json, extract::State};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::{Vendor, app::AppState};

/// The health answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` while the process serves.
    pub status: &'static str,
    pub version: &'static str,
    /// Wall time since the process started.
    pub uptime_ms: u64,
    pub vendors: Vec<Vendor>,
    /// Record counts per vendor.
    #[schema(value_type = Object)]
    pub fixtures: Value,
}

/// Liveness, version, uptime and record counts.
#[utoipa::path(get, path = "/_emulator/health", tag = "control plane",
    responses((status = 200, description = "Serving", body = Health)))]
pub async fn get_health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        uptime_ms: u64::try_from(state.started.elapsed().as_millis()).unwrap_or(u64::MAX),
        vendors: state.vendors.iter().map(|v| v.vendor()).collect(),
        fixtures: state.counts(),
    })
}

/// The raw credentials of the fixtures, per vendor, so a test can call every vendor at once.
#[utoipa::path(get, path = "/_emulator/credentials", tag = "control plane",
    responses((status = 200, description = "Raw fixture credentials keyed by vendor", body = Object)))]
pub async fn get_credentials(State(state): State<AppState>) -> Json<Value> {
    Json(state.credentials())
}
