//! What fault injection asks of Propal: its error body for an injected status, and
//! the organization a request acts for, read from its key without spending budget.

use axum::{
    Json,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};

use super::{
    PropalState,
    auth::find_key,
    error::{ErrorBody, ErrorCode, ErrorObject},
};

/// `{"error":{"code","message"}}` with the documented code closest to the status:
/// Propal documents six codes and no other, so a 5xx is `internal_error`.
pub fn fault_error(status: StatusCode) -> Response {
    let (code, message) = match status.as_u16() {
        401 => (ErrorCode::Unauthorized, "Invalid API key."),
        403 => (ErrorCode::Forbidden, "Forbidden."),
        404 => (ErrorCode::NotFound, "Not found."),
        429 => (ErrorCode::RateLimitExceeded, "Rate limit exceeded."),
        500..=599 => (ErrorCode::InternalError, "Internal server error."),
        _ => (ErrorCode::ValidationError, "Invalid request."),
    };
    let body = ErrorBody { error: ErrorObject { code, message: message.to_owned(), details: None } };
    (status, Json(body)).into_response()
}

/// The organization of the request's key, when the key would be admitted.
pub fn tenant(state: &PropalState, headers: &HeaderMap) -> Option<String> {
    let store = state.store();
    match find_key(&store, headers, state.clock.now()) {
        Ok(record) => Some(record.organization_id.to_string()),
        Err(_) => None,
    }
}
