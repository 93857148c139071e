//! Portal.io's error bodies. The 401 body is the documented bare JSON string;
//! other errors use `{"message":"<what went wrong>"}` (CONTRACT §5.1).

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::vendor::FrameError;

/// A frame error in Portal.io's shape.
pub fn frame_error(error: FrameError) -> Response {
    let (status, message) = match error {
        FrameError::NotFound => (StatusCode::NOT_FOUND, "The requested resource was not found."),
        FrameError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "The request body is too large."),
        FrameError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "An unexpected error occurred."),
        FrameError::UriTooLong => (StatusCode::URI_TOO_LONG, "The request URI is too long."),
        FrameError::HeadersTooLarge => {
            (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "The request headers are too large.")
        }
    };
    (status, Json(json!({ "message": message }))).into_response()
}
