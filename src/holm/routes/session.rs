//! `POST /v1/auth/session` and `DELETE /v1/auth/session` (seed: "How API keys work").

use std::sync::Arc;

use axum::{
    Json,
    extract::{Request, State},
    http::StatusCode,
};
use serde::{Deserialize, Serialize};

use crate::{
    holm::{
        auth::{Caller, client_origin},
        error::{HolmError, HolmErrorBody},
        input::HolmJson,
        sessions::Credentials,
        state::HolmState,
    },
    journal::Trail,
};

/// The two keys (documented field names).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = HolmSessionRequest)]
pub struct SessionRequest {
    /// The organization key, `hsp_org_…`.
    pub organizer_key: String,
    /// The API key, `hsp_…`.
    pub api_key: String,
}

/// A new session. `warning` only when it was created without an IP lock.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HolmSession)]
pub struct SessionCreated {
    /// `pps_…`; send it as `Authorization: Session <token>`.
    pub session_token: String,
    /// RFC 3339, UTC: one hour after creation.
    pub expires_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// Opens a session with the organization key and an API key.
#[utoipa::path(
    post, path = "/v1/auth/session", tag = "holm",
    request_body = SessionRequest,
    responses(
        (status = 201, description = "Session created", body = SessionCreated),
        (status = 400, description = "invalid_request", body = HolmErrorBody),
        (status = 401, description = "invalid_credentials", body = HolmErrorBody),
        (status = 403, description = "origin_not_allowed", body = HolmErrorBody),
        (status = 409, description = "session_limit_reached", body = HolmErrorBody),
        (status = 413, description = "invalid_request (body too large)", body = HolmErrorBody),
    )
)]
pub async fn create_session(
    State(state): State<Arc<HolmState>>,
    trail: Trail,
    request: Request,
) -> Result<(StatusCode, Json<SessionCreated>), HolmError> {
    let now = state.clock.now();
    let origin = client_origin(&state, request.headers(), request.extensions());
    let HolmJson(input) = HolmJson::<SessionRequest>::from_request_body(request).await?;
    let credentials = Credentials { organizer_key: &input.organizer_key, api_key: &input.api_key };
    let store = state.store();
    let opened = store.open_session(&credentials, &origin, now, state.settings.holm_session_cap_policy, &trail)?;
    let body = SessionCreated {
        session_token: opened.token,
        expires_at: opened.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        warning: opened.warning.map(str::to_owned),
    };
    Ok((StatusCode::CREATED, Json(body)))
}

/// Ends the caller's session.
#[utoipa::path(
    delete, path = "/v1/auth/session", tag = "holm",
    responses(
        (status = 204, description = "Session ended"),
        (status = 401, description = "invalid_session, session_expired or session_ip_mismatch", body = HolmErrorBody),
        (status = 403, description = "origin_not_allowed", body = HolmErrorBody),
        (status = 429, description = "rate_limited", body = HolmErrorBody),
    ),
    security(("holm_session" = []))
)]
pub async fn delete_session(caller: Caller) -> Result<StatusCode, HolmError> {
    caller.admit_unscoped()?;
    caller.store.end_session(&caller.session.org, &caller.session.session_id);
    caller.trail.pass("session", format!("session {} ended", caller.session.session_id));
    Ok(StatusCode::NO_CONTENT)
}
