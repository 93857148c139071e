//! `GET /_emulator/journal` (newest first, filtered by vendor, status, limit),
//! `GET /_emulator/journal/{request_id}` and `DELETE /_emulator/journal`.

use axum::{
    Json,
    extract::{Path, Query, State},
    http::StatusCode,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    dto::JournalQuery,
    error::{EmulatorError, EmulatorErrorBody},
};
use crate::{
    Vendor,
    app::AppState,
    journal::{Entry, Filter},
};

/// The journal, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct JournalPage {
    pub entries: Vec<Entry>,
    /// How many entries the ring keeps (`--journal-capacity`).
    pub capacity: usize,
}

/// Journaled vendor requests, newest first, filtered by vendor, status and limit.
#[utoipa::path(get, path = "/_emulator/journal", tag = "control plane", params(JournalQuery),
    responses(
        (status = 200, description = "Matching entries, newest first", body = JournalPage),
        (status = 400, description = "A bad filter", body = EmulatorErrorBody),
    ))]
pub async fn list_journal(
    State(state): State<AppState>,
    query: Result<Query<JournalQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<JournalPage>, EmulatorError> {
    let Query(query) = query.map_err(|e| EmulatorError::BadRequest(e.body_text()))?;
    let vendor = query.vendor.as_deref().map(str::parse::<Vendor>).transpose().map_err(EmulatorError::BadRequest)?;
    let entries = state.journal.list(&Filter { vendor, status: query.status, limit: query.limit });
    let entries = entries.iter().map(|entry| Entry::clone(entry)).collect();
    Ok(Json(JournalPage { entries, capacity: state.journal.capacity() }))
}

/// One journaled request with its decision trail.
#[utoipa::path(get, path = "/_emulator/journal/{request_id}", tag = "control plane",
    params(("request_id" = String, Path, description = "The `X-Emulator-Request-Id` of the request")),
    responses(
        (status = 200, description = "The entry", body = Entry),
        (status = 404, description = "Evicted, or never made", body = EmulatorErrorBody),
    ))]
pub async fn get_journal_entry(
    State(state): State<AppState>,
    Path(request_id): Path<String>,
) -> Result<Json<Entry>, EmulatorError> {
    state
        .journal
        .get(&request_id)
        .map(|entry| Json(Entry::clone(&entry)))
        .ok_or_else(|| EmulatorError::NotFound(format!("no journal entry {request_id} (evicted, or never made)")))
}

/// Empty the journal.
#[utoipa::path(delete, path = "/_emulator/journal", tag = "control plane",
    responses((status = 204, description = "Emptied")))]
pub async fn clear_journal(State(state): State<AppState>) -> StatusCode {
    state.journal.clear();
    StatusCode::NO_CONTENT
}
