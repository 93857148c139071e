//! `GET /_emulator/state` (export: the whole state, or one vendor's, as fixture
//! files: one JSON document, or a tar archive of a fixtures directory) and
//! `POST /_emulator/state` (restore either form: every vendor in it swapped in at
//! once, like a reset; nothing changes when any file is refused). See
//! [`crate::snapshot`].

use axum::{
    Json,
    body::Bytes,
    extract::{FromRequest, Query, Request, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
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
    /// `json` (the default): one state document; `tar`: a tar archive of a fixtures
    /// directory (`<vendor>/<file>.json`) that unpacks into a `--fixtures DIR`.
    pub format: Option<ExportFormat>,
}

/// The two forms of an export.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    #[default]
    Json,
    Tar,
}

/// The content type of a state archive.
const TAR: &str = "application/x-tar";

/// A fixtures directory as a tar archive: `<vendor>/<file>.json` entries.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FixturesArchive(pub Vec<u8>);

impl IntoResponse for FixturesArchive {
    fn into_response(self) -> Response {
        let headers =
            [(header::CONTENT_TYPE, TAR), (header::CONTENT_DISPOSITION, "attachment; filename=\"fixtures.tar\"")];
        (headers, self.0).into_response()
    }
}

/// Which vendors were restored.
#[derive(Debug, Serialize, ToSchema)]
pub struct StateRestored {
    pub restored: Vec<Vendor>,
}

/// Export the state as fixture files: one document (`--fixtures FILE` or `POST` loads it back) or, with `format=tar`, a fixtures directory as a tar archive (`--fixtures DIR` or `POST` loads it back).
#[utoipa::path(get, path = "/_emulator/state", tag = "control plane", params(StateQuery),
    responses(
        (status = 200, description = "The state document, or with `format=tar` the fixtures directory as a tar archive",
            content((StateDocument = "application/json"), (FixturesArchive = "application/x-tar"))),
        (status = 400, description = "An unknown vendor or format", body = EmulatorErrorBody),
    ))]
pub async fn export_state(
    State(state): State<AppState>,
    query: Result<Query<StateQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, EmulatorError> {
    let Query(query) = query.map_err(|e| EmulatorError::BadRequest(e.body_text()))?;
    let only = query.vendor.as_deref().map(str::parse::<Vendor>).transpose().map_err(EmulatorError::BadRequest)?;
    let vendors = state.vendors.iter().filter(|v| only.is_none_or(|o| v.vendor() == o)).map(AsRef::as_ref);
    let document = StateDocument::export(vendors);
    Ok(match query.format.unwrap_or_default() {
        ExportFormat::Json => Json(document).into_response(),
        ExportFormat::Tar => FixturesArchive(document.to_tar()).into_response(),
    })
}

/// A state to restore: a JSON state document (as [`AdminJson`] reads any control-plane
/// body), or with `Content-Type: application/x-tar` a fixtures directory as a tar archive.
pub struct StateBody(pub StateDocument);

impl<S: Send + Sync> FromRequest<S> for StateBody {
    type Rejection = EmulatorError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_tar = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(';').next().unwrap_or_default().trim().eq_ignore_ascii_case(TAR));
        if !is_tar {
            return AdminJson::from_request(request, state).await.map(|AdminJson(document)| Self(document));
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|e| match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => EmulatorError::PayloadTooLarge(e.body_text()),
            _ => EmulatorError::BadRequest(e.body_text()),
        })?;
        StateDocument::from_tar("body", &bytes)
            .map(Self)
            .map_err(|e| EmulatorError::BadRequest(crate::snapshot::locate(e).to_string()))
    }
}

/// Restore a state document: each vendor in it replaced whole, at once; the others, the clock, the journal and fault rules untouched.
#[utoipa::path(post, path = "/_emulator/state", tag = "control plane",
    request_body(description = "An export (all vendors or some): a state document, or a fixtures directory as a tar archive",
        content((StateDocument = "application/json"), (FixturesArchive = "application/x-tar"))),
    responses(
        (status = 200, description = "Restored", body = StateRestored),
        (status = 400, description = "A file of the document is refused (its vendor, file and JSON path named); nothing changed", body = EmulatorErrorBody),
        (status = 413, description = "Larger than 256 MiB", body = EmulatorErrorBody),
        (status = 415, description = "A declared Content-Type that is neither JSON nor application/x-tar", body = EmulatorErrorBody),
    ))]
pub async fn restore_state(
    State(state): State<AppState>,
    StateBody(document): StateBody,
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
