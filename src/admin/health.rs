//! `GET /_emulator/health` and `GET /_emulator/credentials`.

use axum::{Json, extract::State};
use serde_json::{Value, json};

use crate::{Vendor, app::AppState};

/// `{"status":"ok","version","uptime_ms","vendors":[…],"fixtures":{…counts}}`.
pub async fn get_health(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_ms": u64::try_from(state.started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "vendors": Vendor::ALL,
        "fixtures": state.counts(),
    }))
}

/// The raw credentials of the fixtures, so a test can call every vendor at once.
pub async fn get_credentials(State(state): State<AppState>) -> Json<Value> {
    Json(state.credentials())
}
