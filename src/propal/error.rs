//! Propal's errors: `{"error":{"code","message","details"?}}` with the six
//! documented codes only (docs.propal.io/api-reference/errors). The client sees
//! Propal's fixed text; why we refused goes to the explain header and journal.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use serde_json::json;

use super::auth::Scope;
use crate::{journal::Denial, vendor::FrameError};

/// One field-level problem of a `validation_error`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Detail {
    pub field: String,
    pub message: String,
}

impl Detail {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Why an API key was refused; each has its explain reason (CONTRACT §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthFailure {
    MissingHeader,
    WrongScheme,
    MalformedKey,
    UnknownKey,
    RevokedKey,
    ExpiredKey,
}

impl AuthFailure {
    pub fn reason(self) -> &'static str {
        match self {
            AuthFailure::MissingHeader => "missing_header",
            AuthFailure::WrongScheme => "wrong_scheme",
            AuthFailure::MalformedKey => "malformed_key",
            AuthFailure::UnknownKey => "unknown_key",
            AuthFailure::RevokedKey => "revoked_key",
            AuthFailure::ExpiredKey => "expired_key",
        }
    }
}

/// Every way a Propal request can fail.
#[derive(Debug, thiserror::Error)]
pub enum PropalError {
    /// 401; the string says what exactly, for the explain header.
    #[error("{detail}")]
    Unauthorized { failure: AuthFailure, detail: String },
    /// 429; `Retry-After` is added with the rate headers.
    #[error("{detail}")]
    RateLimited { retry_after_secs: u64, detail: String },
    #[error("the key lacks scope {0}")]
    MissingScope(Scope),
    /// 404; `what` is the client text ("Proposal not found."), `detail` ours.
    #[error("{detail}")]
    NotFound { what: &'static str, detail: String },
    #[error("{message}")]
    Validation { message: String, details: Vec<Detail> },
    #[error("the body exceeds --max-body-bytes")]
    PayloadTooLarge,
    #[error("internal error: {0}")]
    Internal(String),
}

impl PropalError {
    pub fn not_found(what: &'static str, detail: impl Into<String>) -> Self {
        PropalError::NotFound { what, detail: detail.into() }
    }

    /// A `validation_error` with the top message derived from the first detail,
    /// in the docs' wording ("The field 'title' is required.").
    pub fn validation(details: Vec<Detail>) -> Self {
        let message = match details.first() {
            Some(d) if d.message == "Required" => format!("The field '{}' is required.", d.field),
            Some(d) => format!("The field '{}' is invalid: {}", d.field, d.message),
            None => "Invalid request.".to_owned(),
        };
        PropalError::Validation { message, details }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            PropalError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            PropalError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            PropalError::MissingScope(_) => StatusCode::FORBIDDEN,
            PropalError::NotFound { .. } => StatusCode::NOT_FOUND,
            PropalError::Validation { .. } => StatusCode::BAD_REQUEST,
            PropalError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            PropalError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            PropalError::Unauthorized { .. } => "unauthorized",
            PropalError::RateLimited { .. } => "rate_limit_exceeded",
            PropalError::MissingScope(_) => "forbidden",
            PropalError::NotFound { .. } => "not_found",
            // INFERRED: Propal documents no 413 code; an oversized body is invalid input.
            PropalError::Validation { .. } | PropalError::PayloadTooLarge => "validation_error",
            PropalError::Internal(_) => "internal_error",
        }
    }

    /// The vendor's wording, for the client.
    pub fn message(&self) -> String {
        match self {
            PropalError::Unauthorized { .. } => "Invalid API key.".to_owned(),
            PropalError::RateLimited { .. } => "Rate limit exceeded.".to_owned(),
            PropalError::MissingScope(scope) => format!("API key missing required scope: {scope}"),
            PropalError::NotFound { what, .. } => (*what).to_owned(),
            PropalError::Validation { message, .. } => message.clone(),
            PropalError::PayloadTooLarge => "Request body too large.".to_owned(),
            PropalError::Internal(_) => "Internal server error.".to_owned(),
        }
    }

    /// The explain reason.
    fn reason(&self) -> &'static str {
        match self {
            PropalError::Unauthorized { failure, .. } => failure.reason(),
            PropalError::RateLimited { .. } => "rate_limited",
            PropalError::MissingScope(_) => "missing_scope",
            PropalError::NotFound { .. } => "not_found",
            PropalError::Validation { .. } => "validation_error",
            PropalError::PayloadTooLarge => "payload_too_large",
            PropalError::Internal(_) => "internal_error",
        }
    }
}

impl IntoResponse for PropalError {
    fn into_response(self) -> Response {
        let mut error = json!({ "code": self.code(), "message": self.message() });
        if let PropalError::Validation { details, .. } = &self {
            error["details"] = json!(details);
        }
        let mut response = (self.status(), Json(json!({ "error": error }))).into_response();
        if let PropalError::RateLimited { retry_after_secs, .. } = &self {
            response.headers_mut().insert("retry-after", (*retry_after_secs).into());
        }
        response.extensions_mut().insert(Denial::new(self.reason(), self.to_string()));
        response
    }
}

/// A frame error in Propal's shape.
pub fn frame_error(error: FrameError) -> Response {
    let error = match error {
        FrameError::NotFound => PropalError::not_found("Not found.", "no such route"),
        FrameError::PayloadTooLarge => PropalError::PayloadTooLarge,
        FrameError::Internal => PropalError::Internal("a handler panicked".into()),
        // INFERRED: Propal documents no code for an oversized request head; like an
        // oversized body, it is invalid input.
        FrameError::UriTooLong => return head_too_large(StatusCode::URI_TOO_LONG, "Request URI too long."),
        FrameError::HeadersTooLarge => {
            return head_too_large(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "Request headers too large.");
        }
    };
    let mut response = error.into_response();
    response.extensions_mut().remove::<Denial>();
    response
}

fn head_too_large(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": { "code": "validation_error", "message": message } }))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_message_follows_the_docs_example() {
        let error = PropalError::validation(vec![Detail::new("title", "Required")]);
        assert_eq!(error.message(), "The field 'title' is required.");
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn missing_scope_message_names_the_scope() {
        assert_eq!(
            PropalError::MissingScope(Scope::ProposalsWrite).message(),
            "API key missing required scope: proposals:write"
        );
    }
}
