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
        serde_json::from_slice(text).map(AdminJson).map_err(|e| EmulatorError::BadRequest(invalid_body(text, &e)))
    }
}

/// `invalid body: scopes[0]: unknown scope …`: the JSON path of the value at fault (none
/// for the body as a whole), then serde_json's reason and position.
fn invalid_body(text: &[u8], error: &serde_json::Error) -> String {
    let path = crate::json_path::at(&String::from_utf8_lossy(text), error.line(), error.column());
    match path.strip_prefix('$').map(|rest| rest.strip_prefix('.').unwrap_or(rest)) {
        Some(rest) if !rest.is_empty() => format!("invalid body: {rest}: {error}"),
        _ => format!("invalid body: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::invalid_body;

    fn message(text: &str) -> String {
        let error = serde_json::from_str::<std::collections::BTreeMap<String, Vec<u8>>>(text).unwrap_err();
        invalid_body(text.as_bytes(), &error)
    }

    #[test]
    fn a_body_error_names_the_value_at_fault_or_none_for_the_whole_body() {
        assert!(
            message(r#"{"a": [1, "x"]}"#).starts_with("invalid body: a[1]: invalid type: string"),
            "{}",
            message(r#"{"a": [1, "x"]}"#)
        );
        assert!(message(r#"{"a": []} x"#).starts_with("invalid body: trailing characters"));
        assert!(message("[1]").starts_with("invalid body: invalid type: sequence"));
    }
}
