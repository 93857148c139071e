//! `GET /_emulator/state` (export: the whole state, or one vendor's, as fixture
//! files) and `POST /_emulator/state` (restore: every vendor in the document swapped
//! in at once, like a reset; nothing changes when any file is refused). See
//! [`crate::snapshot`].

use axum::{
    Json,
    extract::{Query, State},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{AdminJson, EmulatorError, EmulatorErrorBody};
use crate::{Vendor, app::AppState, snapshot::StateDocument};

/// The largest state document `POST /_emulator/state` reads.
pub const MAX_STATE_BYTES: usize = 256 * 1024 * 1024;

/// `GET /_emulator/state` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StateQuery {
    /// Only this vendor (`portalio`, `propal`, `holm`).
    pub vendor: Option<String>,
}

/// Which vendors were restored.
#[derive(Debug, Serialize, ToSchema)]
pub struct StateRestored {
    pub restored: Vec<Vendor>,
}

/// Export the state as fixture files: save it as a file (`--fixtures FILE` or `POST` loads it back).
#[utoipa::path(get, path = "/_emulator/state", tag = "control plane", params(StateQuery),
    responses(
        (status = 200, description = "The state document", body = StateDocument),
        (status = 400, description = "An unknown vendor", body = EmulatorErrorBody),
    ))]
pub async fn export_state(
    State(state): State<AppState>,
    query: Result<Query<StateQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<StateDocument>, EmulatorError> {
    let Query(query) = query.map_err(|e| EmulatorError::BadRequest(e.body_text()))?;
    let only = query.vendor.as_deref().map(str::parse::<Vendor>).transpose().map_err(EmulatorError::BadRequest)?;
    let vendors = state.vendors.iter().filter(|v| only.is_none_or(|o| v.vendor() == o)).map(AsRef::as_ref);
    Ok(Json(StateDocument::export(vendors)))
}

/// Restore a state document: each vendor in it replaced whole, at once; the others, the clock, the journal and fault rules untouched.
#[utoipa::path(post, path = "/_emulator/state", tag = "control plane",
    request_body(content = StateDocument, description = "An export (all vendors or some)"),
    responses(
        (status = 200, description = "Restored", body = StateRestored),
        (status = 400, description = "A file of the document is refused (its vendor, file and JSON path named); nothing changed", body = EmulatorErrorBody),
        (status = 413, description = "Larger than 256 MiB", body = EmulatorErrorBody),
        (status = 415, description = "A declared Content-Type that is not JSON", body = EmulatorErrorBody),
    ))]
pub async fn restore_state(
    State(state): State<AppState>,
    AdminJson(document): AdminJson<StateDocument>,
) -> Result<Json<StateRestored>, EmulatorError> {
    if document.format != crate::snapshot::FORMAT {
        return Err(EmulatorError::BadRequest(format!("unknown format {} (expected 1)", document.format)));
    }
    let prepared = document.prepare("body", &state.vendors).map_err(|e| EmulatorError::BadRequest(e.to_string()))?;
    let mut restored = Vec::new();
    for (vendor, restore) in prepared {
        state.scheduler.cancel(vendor);
        restore.commit();
        restored.push(vendor);
    }
    Ok(Json(StateRestored { restored }))
}
