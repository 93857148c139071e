//! Holm's error body everywhere: `{"error":{"code":"…","message":"…"}}` (CONTRACT §5.3).

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::vendor::FrameError;

/// A frame error in Holm's shape.
pub fn frame_error(error: FrameError) -> Response {
    let (status, code, message) = match error {
        FrameError::NotFound => (StatusCode::NOT_FOUND, "not_found", "Not found."),
        FrameError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "invalid_request", "Request body too large."),
        FrameError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "Internal server error."),
        FrameError::UriTooLong => (StatusCode::URI_TOO_LONG, "invalid_request", "Request URI too long."),
        FrameError::HeadersTooLarge => {
            (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "invalid_request", "Request headers too large.")
        }
    };
    (status, Json(json!({ "error": { "code": code, "message": message } }))).into_response()
}
