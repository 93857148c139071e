//! Errors of the control plane: `{"error":"<what is wrong>"}` with a fitting
//! status (CONTRACT §6.6), and the JSON extractor that reports bad bodies that way.

use axum::{
    Json,
    extract::{FromRequest, rejection::JsonRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
};

use crate::journal::Denial;

/// Every control-plane error body: `{"error":"<what is wrong>"}`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct EmulatorErrorBody {
    /// What is wrong, in a sentence.
    pub error: String,
}

/// A control-plane refusal.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("admin token required")]
    Unauthorized,
}

impl EmulatorError {
    pub fn status(&self) -> StatusCode {
        match self {
            EmulatorError::BadRequest(_) => StatusCode::BAD_REQUEST,
            EmulatorError::NotFound(_) => StatusCode::NOT_FOUND,
            EmulatorError::Conflict(_) => StatusCode::CONFLICT,
            EmulatorError::Unauthorized => StatusCode::UNAUTHORIZED,
        }
    }
}

impl IntoResponse for EmulatorError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(EmulatorErrorBody { error: self.to_string() })).into_response();
        if matches!(self, EmulatorError::Unauthorized) {
            let denial =
                Denial::new("admin_token", "this emulator runs with --admin-token; send Authorization: Bearer <token>");
            response.extensions_mut().insert(denial);
        }
        response
    }
}

impl From<JsonRejection> for EmulatorError {
    fn from(rejection: JsonRejection) -> Self {
        EmulatorError::BadRequest(rejection.body_text())
    }
}

/// `Json` whose rejection is an [`EmulatorError`].
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(EmulatorError))]
pub struct AdminJson<T>(pub T);
