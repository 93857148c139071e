//! Holm's error body everywhere: `{"error":{"code":"…","message":"…"}}`, and on a
//! 429 a top-level `retry_after_ms` plus `Retry-After` (CONTRACT §5.3).
//!
//! Holm documents no error texts, so the messages are ours (INFERRED) but fixed per
//! code: the client sees the same words for every cause of one code, while why the
//! emulator refused (which rule, which IPs, which key) goes to the
//! `X-Emulator-Explain` header and the journal through a [`Denial`].

use axum::{
    Json,
    http::{HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Serialize;

use super::scope::Scope;
use crate::{journal::Denial, vendor::FrameError};

/// The error body, as documented in the OpenAPI document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HolmErrorBody {
    pub error: HolmErrorDetail,
    /// Only on 429: milliseconds until this session may send its next request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

/// `code` is one of the contract's codes; `message` a fixed text per code.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HolmErrorDetail {
    pub code: String,
    pub message: String,
}

/// Every way a Holm request can fail. `reason` is the explain reason (the rule that
/// refused), `detail` one line saying why, for the explain header and the journal.
#[derive(Debug, thiserror::Error)]
pub enum HolmError {
    /// 400; the message says which input is wrong (nothing secret in it).
    #[error("{message}")]
    InvalidRequest { message: String },
    #[error("{detail}")]
    InvalidCredentials { reason: &'static str, detail: String },
    #[error("{detail}")]
    InvalidSession { reason: &'static str, detail: String },
    #[error("{detail}")]
    SessionExpired { detail: String },
    #[error("session is locked to IP {locked}; this request came from {from}")]
    SessionIpMismatch { locked: String, from: String },
    #[error("{detail}")]
    OriginNotAllowed { reason: &'static str, detail: String },
    #[error("{detail}")]
    InsufficientScope { scope: Scope, detail: String },
    /// 404; `what` is the client text ("Customer not found.").
    #[error("{detail}")]
    NotFound { what: &'static str, detail: String },
    #[error("{detail}")]
    SessionLimit { detail: String },
    #[error("{detail}")]
    RateLimited { retry_after_ms: u64, detail: String },
    #[error("the body exceeds --max-body-bytes")]
    PayloadTooLarge,
    #[error("the request line is too long")]
    UriTooLong,
    #[error("the request headers are too large")]
    HeadersTooLarge,
    #[error("internal error: {0}")]
    Internal(String),
}

impl HolmError {
    pub fn invalid_request(message: impl Into<String>) -> Self {
        HolmError::InvalidRequest { message: message.into() }
    }

    pub fn not_found(what: &'static str, detail: impl Into<String>) -> Self {
        HolmError::NotFound { what, detail: detail.into() }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            HolmError::InvalidRequest { .. } => StatusCode::BAD_REQUEST,
            HolmError::InvalidCredentials { .. }
            | HolmError::InvalidSession { .. }
            | HolmError::SessionExpired { .. }
            | HolmError::SessionIpMismatch { .. } => StatusCode::UNAUTHORIZED,
            HolmError::OriginNotAllowed { .. } | HolmError::InsufficientScope { .. } => StatusCode::FORBIDDEN,
            HolmError::NotFound { .. } => StatusCode::NOT_FOUND,
            HolmError::SessionLimit { .. } => StatusCode::CONFLICT,
            HolmError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            HolmError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            HolmError::UriTooLong => StatusCode::URI_TOO_LONG,
            HolmError::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            HolmError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The contract's error code.
    pub fn code(&self) -> &'static str {
        match self {
            // INFERRED: Holm documents no 413/414/431 code; oversized input is an invalid request.
            HolmError::InvalidRequest { .. }
            | HolmError::PayloadTooLarge
            | HolmError::UriTooLong
            | HolmError::HeadersTooLarge => "invalid_request",
            HolmError::InvalidCredentials { .. } => "invalid_credentials",
            HolmError::InvalidSession { .. } => "invalid_session",
            HolmError::SessionExpired { .. } => "session_expired",
            HolmError::SessionIpMismatch { .. } => "session_ip_mismatch",
            HolmError::OriginNotAllowed { .. } => "origin_not_allowed",
            HolmError::InsufficientScope { .. } => "insufficient_scope",
            HolmError::NotFound { .. } => "not_found",
            HolmError::SessionLimit { .. } => "session_limit_reached",
            HolmError::RateLimited { .. } => "rate_limited",
            HolmError::Internal(_) => "internal_error",
        }
    }

    /// The client's text. INFERRED wording, one per code (plus the missing scope).
    pub fn message(&self) -> String {
        match self {
            HolmError::InvalidRequest { message } => message.clone(),
            HolmError::InvalidCredentials { .. } => "Invalid organization key or API key.".to_owned(),
            HolmError::InvalidSession { .. } => "Invalid or missing session token.".to_owned(),
            HolmError::SessionExpired { .. } => "Session has expired.".to_owned(),
            HolmError::SessionIpMismatch { .. } => "Session is bound to a different IP address.".to_owned(),
            HolmError::OriginNotAllowed { .. } => "Request origin is not allowed for this API key.".to_owned(),
            HolmError::InsufficientScope { scope, .. } => format!("API key is missing the required scope: {scope}"),
            HolmError::NotFound { what, .. } => (*what).to_owned(),
            HolmError::SessionLimit { .. } => "Maximum number of active sessions reached.".to_owned(),
            HolmError::RateLimited { .. } => "Too many requests.".to_owned(),
            HolmError::PayloadTooLarge => "Request body too large.".to_owned(),
            HolmError::UriTooLong => "Request URI too long.".to_owned(),
            HolmError::HeadersTooLarge => "Request headers too large.".to_owned(),
            HolmError::Internal(_) => "Internal server error.".to_owned(),
        }
    }

    /// The explain reason: the rule that refused.
    pub fn reason(&self) -> &'static str {
        match self {
            HolmError::InvalidCredentials { reason, .. }
            | HolmError::InvalidSession { reason, .. }
            | HolmError::OriginNotAllowed { reason, .. } => reason,
            HolmError::InvalidRequest { .. } => "invalid_request",
            HolmError::SessionExpired { .. } => "session_expired",
            HolmError::SessionIpMismatch { .. } => "session_ip_mismatch",
            HolmError::InsufficientScope { .. } => "insufficient_scope",
            HolmError::NotFound { .. } => "not_found",
            HolmError::SessionLimit { .. } => "session_limit_reached",
            HolmError::RateLimited { .. } => "rate_limited",
            HolmError::PayloadTooLarge => "payload_too_large",
            HolmError::UriTooLong => "uri_too_long",
            HolmError::HeadersTooLarge => "headers_too_large",
            HolmError::Internal(_) => "internal_error",
        }
    }

    fn body(&self) -> HolmErrorBody {
        let retry_after_ms = match self {
            HolmError::RateLimited { retry_after_ms, .. } => Some(*retry_after_ms),
            _ => None,
        };
        HolmErrorBody {
            error: HolmErrorDetail { code: self.code().to_owned(), message: self.message() },
            retry_after_ms,
        }
    }
}

impl IntoResponse for HolmError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(self.body())).into_response();
        if let HolmError::RateLimited { retry_after_ms, .. } = &self {
            // INFERRED extra (reference §3.5): whole seconds, rounded up.
            response.headers_mut().insert("retry-after", HeaderValue::from(retry_after_ms.div_ceil(1000).max(1)));
        }
        response.extensions_mut().insert(Denial::new(self.reason(), self.to_string()));
        response
    }
}

/// A frame error in Holm's shape.
pub fn frame_error(error: FrameError) -> Response {
    let error = match error {
        FrameError::NotFound => HolmError::not_found("Not found.", "no such route"),
        FrameError::PayloadTooLarge => HolmError::PayloadTooLarge,
        FrameError::Internal => HolmError::Internal("a handler panicked".into()),
        FrameError::UriTooLong => HolmError::UriTooLong,
        FrameError::HeadersTooLarge => HolmError::HeadersTooLarge,
    };
    let mut response = error.into_response();
    response.extensions_mut().remove::<Denial>();
    response
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    async fn body_of(error: HolmError) -> (StatusCode, String) {
        let response = error.into_response();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn rate_limited_puts_retry_after_ms_at_the_top_level() {
        let (status, body) = body_of(HolmError::RateLimited { retry_after_ms: 742, detail: String::new() }).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(body, r#"{"error":{"code":"rate_limited","message":"Too many requests."},"retry_after_ms":742}"#);
    }

    #[tokio::test]
    async fn an_ip_mismatch_explains_both_addresses() {
        let error = HolmError::SessionIpMismatch { locked: "203.0.113.5".into(), from: "198.51.100.7".into() };
        let response = error.into_response();
        let denial = response.extensions().get::<Denial>().unwrap();
        assert_eq!(denial.reason, "session_ip_mismatch");
        assert!(denial.detail.contains("203.0.113.5") && denial.detail.contains("198.51.100.7"), "{denial:?}");
    }
}
