//! `GET /_emulator/journal` (newest first, filtered by vendor, status, limit),
//! `GET /_emulator/journal/{request_id}` and `DELETE /_emulator/journal`.

use axum::{
    Json,
    extract::{Path, Query, State},
    http::StatusCode,
};
use serde_json::{Value, json};

use super::{dto::JournalQuery, error::EmulatorError};
use crate::{
    Vendor,
    app::AppState,
    journal::{Entry, Filter},
};

pub async fn list_journal(
    State(state): State<AppState>,
    query: Result<Query<JournalQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, EmulatorError> {
    let Query(query) = query.map_err(|e| EmulatorError::BadRequest(e.body_text()))?;
    let vendor = query.vendor.as_deref().map(str::parse::<Vendor>).transpose().map_err(EmulatorError::BadRequest)?;
    let entries = state.journal.list(&Filter { vendor, status: query.status, limit: query.limit });
    let entries: Vec<&Entry> = entries.iter().map(AsRef::as_ref).collect();
    Ok(Json(json!({ "entries": entries, "capacity": state.journal.capacity() })))
}

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

pub async fn clear_journal(State(state): State<AppState>) -> StatusCode {
    state.journal.clear();
    StatusCode::NO_CONTENT
}
