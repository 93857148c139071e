//! What fault injection asks of Portal.io: its error body for an injected status,
//! and the dealer account a request acts for, read from its user key.

use axum::{
    Json,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};

use super::{
    PortalioState,
    error::{ErrorBody, SUBSCRIPTION_REQUIRED, UNAUTHORIZED_BODY},
};

/// The 401 is Portal.io's bare JSON string; every other status `{"message"}`.
pub fn fault_error(status: StatusCode) -> Response {
    let message = match status.as_u16() {
        401 => return (status, Json(UNAUTHORIZED_BODY)).into_response(),
        402 => SUBSCRIPTION_REQUIRED,
        403 => "You do not have access to this resource.",
        404 => "The requested resource was not found.",
        429 => "Too many requests. Please try again later.",
        503 => "The service is temporarily unavailable. Please try again later.",
        500..=599 => "An unexpected error occurred.",
        _ => "The request is invalid.",
    };
    (status, Json(ErrorBody { message: message.to_owned() })).into_response()
}

/// The account of the `X-MSS-API-USERKEY` user; `None` on the key exchange (no user
/// key yet) and for unknown keys.
pub fn tenant(state: &PortalioState, headers: &HeaderMap) -> Option<String> {
    let user_key = headers.get("x-mss-api-userkey")?.to_str().ok()?.trim();
    let store = state.store();
    let account = store.user_of_key(user_key).map(|(account, _)| account);
    account.map(|id| id.to_string())
}
