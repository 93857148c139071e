//! Request and response bodies of the control plane (snake_case, CONTRACT §6).

use serde::{Deserialize, Serialize};

/// `GET /_emulator/clock` and the answer to `POST /_emulator/clock`.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClockView {
    /// RFC 3339, UTC, milliseconds.
    pub now: String,
    pub frozen: bool,
}

/// `POST /_emulator/clock`: exactly one of the four fields.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockCommand {
    pub freeze: Option<bool>,
    pub set: Option<String>,
    pub advance_seconds: Option<f64>,
    pub resume: Option<bool>,
}

/// `GET /_emulator/journal` query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JournalQuery {
    /// `portalio`, `propal` or `holm`.
    pub vendor: Option<String>,
    /// Only entries answered with this status.
    pub status: Option<u16>,
    /// At most this many entries.
    pub limit: Option<usize>,
}
