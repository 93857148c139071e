//! Errors of the control plane: `{"error":"<what is wrong>"}` with a fitting
//! status (CONTRACT §6.6), and the JSON extractor that reports bad bodies that way.

use axum::{
    Json,
    body::Bytes,
    extract::{FromRequest, Request},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::de::DeserializeOwned;

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
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    PayloadTooLarge(String),
}

impl EmulatorError {
    pub fn status(&self) -> StatusCode {
        match self {
            EmulatorError::BadRequest(_) => StatusCode::BAD_REQUEST,
            EmulatorError::NotFound(_) => StatusCode::NOT_FOUND,
            EmulatorError::Conflict(_) => StatusCode::CONFLICT,
            EmulatorError::Unauthorized => StatusCode::UNAUTHORIZED,
            EmulatorError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            EmulatorError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
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

/// A control-plane JSON body. Accepted with `Content-Type: application/json` (or any
/// `+json` type), without a `Content-Type`, or with `application/x-www-form-urlencoded`
/// (what `curl -d` sends); any other declared type is refused with 415. An empty
/// body reads as `{}`; a bad one answers 400 naming the field.
#[derive(Debug)]
pub struct AdminJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for AdminJson<T> {
    type Rejection = EmulatorError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let declared = request
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or_default().split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
        if let Some(kind) = declared
            && !(kind == "application/json"
                || kind == "application/x-www-form-urlencoded"
                || (kind.starts_with("application/") && kind.ends_with("+json")))
        {
            return Err(EmulatorError::UnsupportedMediaType(format!(
                "the body must be JSON (Content-Type: application/json, or none), not `{kind}`"
            )));
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|e| match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => EmulatorError::PayloadTooLarge(e.body_text()),
            _ => EmulatorError::BadRequest(e.body_text()),
        })?;
        let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { &bytes };
        serde_json::from_slice(text).map(AdminJson).map_err(|e| {
            let path = crate::json_path::at(&String::from_utf8_lossy(text), e.line(), e.column());
            let path = path.strip_prefix("$.").unwrap_or(".");
            EmulatorError::BadRequest(format!("invalid body: {path}: {e}"))
        })
    }
}
