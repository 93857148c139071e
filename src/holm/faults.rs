//! What fault injection asks of Holm: its error body for an injected status, and
//! the organization a request acts for, read from its session token.

use axum::{
    Json,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{
    HolmState,
    error::{HolmErrorBody, HolmErrorDetail},
    secret::{SESSION_TOKEN_PREFIX, SecretHash, well_formed},
};

/// `{"error":{"code","message"}}` with the contract's code closest to the status; a
/// 429 carries `retry_after_ms` like a real one.
pub fn fault_error(status: StatusCode, retry_after_seconds: Option<u64>) -> Response {
    let (code, message) = match status.as_u16() {
        401 => ("invalid_session", "Invalid or missing session token."),
        403 => ("insufficient_scope", "API key is missing the required scope."),
        404 => ("not_found", "Not found."),
        409 => ("session_limit_reached", "Maximum number of active sessions reached."),
        429 => ("rate_limited", "Too many requests."),
        500..=599 => ("internal_error", "Internal server error."),
        _ => ("invalid_request", "Invalid request."),
    };
    let retry_after_ms = (status == StatusCode::TOO_MANY_REQUESTS).then(|| retry_after_seconds.unwrap_or(1) * 1000);
    let body =
        HolmErrorBody { error: HolmErrorDetail { code: code.to_owned(), message: message.to_owned() }, retry_after_ms };
    (status, Json(body)).into_response()
}

/// The organization of the `Authorization: Session <token>` session, live or not;
/// `None` for the session creation (its keys are in the body) and unknown tokens.
pub fn tenant(state: &HolmState, headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("session") || !well_formed(token, SESSION_TOKEN_PREFIX) {
        return None;
    }
    let store = state.store();
    store.tokens.get(&SecretHash::of(token).0).map(|e| e.value().clone())
}
