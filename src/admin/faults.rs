//! `/_emulator/faults`: create, list, read, delete and clear fault rules (see
//! [`crate::faults`]).

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{AdminJson, EmulatorError, EmulatorErrorBody};
use crate::{
    app::AppState,
    faults::{FaultRule, FaultSpec},
};

/// Every fault rule, oldest first (the first live match fires).
#[derive(Debug, Serialize, ToSchema)]
pub struct FaultList {
    pub faults: Vec<FaultRule>,
}

/// Add a fault rule: a status in the vendor's error shape, a delay, a reset connection or a truncated head.
#[utoipa::path(post, path = "/_emulator/faults", tag = "control plane",
    request_body(content = FaultSpec, description = "Which requests, and what happens to them"),
    responses(
        (status = 201, description = "The rule, in force", body = FaultRule),
        (status = 400, description = "A bad rule", body = EmulatorErrorBody),
        (status = 415, description = "A declared Content-Type that is not JSON", body = EmulatorErrorBody),
    ))]
pub async fn create_fault(
    State(state): State<AppState>,
    AdminJson(spec): AdminJson<FaultSpec>,
) -> Result<(StatusCode, Json<FaultRule>), EmulatorError> {
    let rule = state.faults.add(spec).map_err(EmulatorError::BadRequest)?;
    Ok((StatusCode::CREATED, Json(rule)))
}

/// Every fault rule, with how often each fired.
#[utoipa::path(get, path = "/_emulator/faults", tag = "control plane",
    responses((status = 200, description = "The rules, oldest first", body = FaultList)))]
pub async fn list_faults(State(state): State<AppState>) -> Json<FaultList> {
    Json(FaultList { faults: state.faults.list() })
}

/// Remove every fault rule.
#[utoipa::path(delete, path = "/_emulator/faults", tag = "control plane",
    responses((status = 204, description = "No rules left")))]
pub async fn clear_faults(State(state): State<AppState>) -> StatusCode {
    state.faults.clear();
    StatusCode::NO_CONTENT
}

/// One fault rule.
#[utoipa::path(get, path = "/_emulator/faults/{id}", tag = "control plane",
    params(("id" = String, Path, description = "`fault_<n>`")),
    responses(
        (status = 200, description = "The rule", body = FaultRule),
        (status = 404, description = "No such rule", body = EmulatorErrorBody),
    ))]
pub async fn get_fault(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<FaultRule>, EmulatorError> {
    state.faults.get(&id).map(Json).ok_or_else(|| EmulatorError::NotFound(format!("no fault rule {id}")))
}

/// Remove one fault rule.
#[utoipa::path(delete, path = "/_emulator/faults/{id}", tag = "control plane",
    params(("id" = String, Path, description = "`fault_<n>`")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such rule", body = EmulatorErrorBody),
    ))]
pub async fn delete_fault(State(state): State<AppState>, Path(id): Path<String>) -> Result<StatusCode, EmulatorError> {
    if state.faults.remove(&id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(EmulatorError::NotFound(format!("no fault rule {id}")))
    }
}
