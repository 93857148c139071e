//! Portal.io's errors (reference §3.7, §4; CONTRACT §5.1). Every authentication
//! failure is the documented 401 bare JSON string; every other error is
//! `{"message":"<what went wrong>"}`. Why we refused goes to the explain header and
//! the journal through a [`Denial`], never into the body.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;

use crate::{journal::Denial, vendor::FrameError};

/// Documented: the body of every 401 (reference §3.7).
pub const UNAUTHORIZED_BODY: &str = "You are not authorized. Your request signature (hash) is invalid.";
/// INFERRED wording of the 402 (CONTRACT §5.1 fixes it).
pub const SUBSCRIPTION_REQUIRED: &str = "An active Portal.io subscription is required.";
/// INFERRED wording of the catalog 403.
pub const CATALOG_FORBIDDEN: &str =
    "Catalog access is not enabled for this account. Contact your Portal.io representative.";

/// The `{"message"}` body of every error but the 401.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PortalioErrorBody, example = json!({"message": "An area named 'Living Room' already exists on this proposal."}))]
pub struct ErrorBody {
    pub message: String,
}

/// The 401 body: a bare JSON string.
#[derive(utoipa::ToSchema)]
#[schema(as = PortalioUnauthorized, example = json!(UNAUTHORIZED_BODY))]
pub struct UnauthorizedBody(pub String);

/// Every way a Portal.io request can fail.
#[derive(Debug, thiserror::Error)]
pub enum PortalioError {
    /// 401; `reason` is the explain reason (`missing_header:X-MSS-SIGNATURE`, …).
    #[error("{detail}")]
    Unauthorized { reason: String, detail: String },
    /// 402: the user's subscription is inactive.
    #[error("{0}")]
    PaymentRequired(String),
    /// 403; `message` for the client, `detail` for us.
    #[error("{detail}")]
    Forbidden { message: String, detail: String },
    #[error("{detail}")]
    NotFound { message: String, detail: String },
    /// 400: validation; `message` for the client, `detail` for us (the same unless set).
    #[error("{detail}")]
    BadRequest { message: String, detail: String },
    /// 409: a terminal state, or a location before a contact.
    #[error("{detail}")]
    Conflict { message: String, detail: String },
    #[error("the body exceeds --max-body-bytes")]
    PayloadTooLarge,
    #[error("internal error: {0}")]
    Internal(String),
}

impl PortalioError {
    pub fn not_found(message: impl Into<String>, detail: impl Into<String>) -> Self {
        PortalioError::NotFound { message: message.into(), detail: detail.into() }
    }

    pub fn conflict(message: impl Into<String>, detail: impl Into<String>) -> Self {
        PortalioError::Conflict { message: message.into(), detail: detail.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        let message = message.into();
        PortalioError::BadRequest { detail: message.clone(), message }
    }

    /// Replaces the explain detail of a 400.
    #[must_use]
    pub fn with_detail(self, detail: impl Into<String>) -> Self {
        match self {
            PortalioError::BadRequest { message, .. } => PortalioError::BadRequest { message, detail: detail.into() },
            other => other,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            PortalioError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            PortalioError::PaymentRequired(_) => StatusCode::PAYMENT_REQUIRED,
            PortalioError::Forbidden { .. } => StatusCode::FORBIDDEN,
            PortalioError::NotFound { .. } => StatusCode::NOT_FOUND,
            PortalioError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            PortalioError::Conflict { .. } => StatusCode::CONFLICT,
            PortalioError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            PortalioError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The vendor's wording, for the client (the 401 has its own body).
    pub fn message(&self) -> String {
        match self {
            PortalioError::Unauthorized { .. } => UNAUTHORIZED_BODY.to_owned(),
            PortalioError::PaymentRequired(_) => SUBSCRIPTION_REQUIRED.to_owned(),
            PortalioError::Forbidden { message, .. }
            | PortalioError::NotFound { message, .. }
            | PortalioError::Conflict { message, .. }
            | PortalioError::BadRequest { message, .. } => message.clone(),
            PortalioError::PayloadTooLarge => "The request body is too large.".to_owned(),
            PortalioError::Internal(_) => "An unexpected error occurred.".to_owned(),
        }
    }

    /// The explain reason.
    pub fn reason(&self) -> String {
        match self {
            PortalioError::Unauthorized { reason, .. } => reason.clone(),
            PortalioError::PaymentRequired(_) => "subscription_inactive".to_owned(),
            PortalioError::Forbidden { .. } => "forbidden".to_owned(),
            PortalioError::NotFound { .. } => "not_found".to_owned(),
            PortalioError::BadRequest { .. } => "validation".to_owned(),
            PortalioError::Conflict { .. } => "conflict".to_owned(),
            PortalioError::PayloadTooLarge => "payload_too_large".to_owned(),
            PortalioError::Internal(_) => "internal_error".to_owned(),
        }
    }
}

impl IntoResponse for PortalioError {
    fn into_response(self) -> Response {
        let mut response = match &self {
            PortalioError::Unauthorized { .. } => (self.status(), Json(UNAUTHORIZED_BODY)).into_response(),
            _ => (self.status(), Json(ErrorBody { message: self.message() })).into_response(),
        };
        response.extensions_mut().insert(Denial::new(self.reason(), self.to_string()));
        response
    }
}

/// A frame error in Portal.io's shape.
pub fn frame_error(error: FrameError) -> Response {
    let plain =
        |status: StatusCode, message: &str| (status, Json(ErrorBody { message: message.to_owned() })).into_response();
    let error = match error {
        FrameError::NotFound => PortalioError::not_found("The requested resource was not found.", "no such route"),
        FrameError::PayloadTooLarge => PortalioError::PayloadTooLarge,
        FrameError::Internal => PortalioError::Internal("a handler panicked".into()),
        FrameError::UriTooLong => return plain(StatusCode::URI_TOO_LONG, "The request URI is too long."),
        FrameError::HeadersTooLarge => {
            return plain(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "The request headers are too large.");
        }
    };
    let mut response = error.into_response();
    response.extensions_mut().remove::<Denial>();
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn the_401_is_a_bare_json_string() {
        let error = PortalioError::Unauthorized { reason: "unknown_app_id".into(), detail: "x".into() };
        let response = error.into_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&bytes[..], br#""You are not authorized. Your request signature (hash) is invalid.""#);
    }
}
