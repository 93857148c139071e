//! Holm's portal actions under `/_emulator/holm` (CONTRACT §6 item 6), paths
//! relative to that prefix: organizations (a fresh tenant per test, enabling API
//! access, deleting the organization key), API keys (create, list with prefix and
//! "rotation due", edit origins, rotate, revoke) and active sessions (list,
//! invalidate). Errors are `{"error":"<what is wrong>"}`. Raw secrets appear only
//! in the create, enable and rotate answers.

use std::sync::Arc;

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;

use crate::documented::routes;

use super::{
    accounts::{NewKey, SessionRow},
    limits::rotation_due,
    model::{Partnership, PartnershipType},
    org::Key,
    scope::Scope,
    state::HolmState,
};
use crate::admin::error::{AdminJson, EmulatorError, EmulatorErrorBody};

/// `POST /organizations` body; may be empty.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = HolmNewOrganization)]
#[serde(deny_unknown_fields)]
pub struct NewOrganization {
    pub name: Option<String>,
}

/// A new organization with API access on, and its organization key (shown once).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = HolmCreatedOrganization)]
pub struct CreatedOrganization {
    pub organization_id: String,
    pub name: String,
    pub organization_key: String,
    pub partnerships: Vec<Partnership>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HolmOrganizationRow)]
pub struct OrganizationRow {
    pub organization_id: String,
    pub name: String,
    pub api_access_enabled: bool,
    pub partnerships: Vec<Partnership>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HolmOrganizations)]
pub struct Organizations {
    pub organizations: Vec<OrganizationRow>,
}

/// A new organization key (shown once).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HolmOrganizationKey)]
pub struct OrganizationKey {
    pub organization_key: String,
}

/// The key creation form of the portal.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = HolmNewKey)]
#[serde(deny_unknown_fields)]
pub struct NewKeyBody {
    /// At most 100 characters.
    pub name: String,
    /// The partnership ("Portal"); or give `partnership_type`.
    pub partnership_id: Option<String>,
    pub partnership_type: Option<PartnershipType>,
    #[serde(default)]
    pub customers_read: bool,
    /// IPs, CIDR ranges and domains; empty needs `acknowledge_any_origin`.
    pub allowed_origins: Vec<String>,
    #[serde(default)]
    pub acknowledge_any_origin: bool,
}

/// `PATCH /keys/{key_id}`: the only editable setting.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(as = HolmOriginsChange)]
#[serde(deny_unknown_fields)]
pub struct OriginsChange {
    pub allowed_origins: Vec<String>,
    #[serde(default)]
    pub acknowledge_any_origin: bool,
}

/// A key as the keys table shows it (no raw value).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = HolmKey)]
pub struct KeyView {
    pub id: String,
    /// The first 8 characters of the key.
    pub prefix: String,
    pub name: String,
    pub partnership_id: String,
    pub partnership_type: PartnershipType,
    pub scopes: Vec<Scope>,
    pub allowed_origins: Vec<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub rotated_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Timestamp>,
    /// Not rotated (or created) in over 6 months, on the emulator clock.
    pub rotation_due: bool,
}

/// A key with its raw value: the create and rotate answers (shown once).
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = HolmIssuedKey)]
pub struct IssuedKey {
    #[serde(flatten)]
    pub key: KeyView,
    pub api_key: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HolmKeys)]
pub struct Keys {
    pub keys: Vec<KeyView>,
}

/// A row of the Active Sessions table.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HolmSessionRow)]
pub struct SessionView {
    pub id: String,
    pub key_id: String,
    pub key_name: String,
    /// The IP the session is locked to; null when it has no lock.
    pub ip: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<Timestamp>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HolmSessions)]
pub struct Sessions {
    pub sessions: Vec<SessionView>,
}

fn key_view(key: &Key, now: Timestamp) -> KeyView {
    KeyView {
        id: key.id.clone(),
        prefix: key.prefix.clone(),
        name: key.name.clone(),
        partnership_id: key.partnership_id.clone(),
        partnership_type: key.partnership_type,
        scopes: key.scopes(),
        allowed_origins: key.origins.iter().map(ToString::to_string).collect(),
        created_at: key.created_at,
        rotated_at: key.rotated_at,
        revoked_at: key.revoked_at,
        last_used_at: key.last_used_at,
        rotation_due: key.revoked_at.is_none() && rotation_due(key.rotated_at.unwrap_or(key.created_at), now),
    }
}

fn session_view(row: SessionRow) -> SessionView {
    SessionView {
        id: row.id,
        key_id: row.key_id,
        key_name: row.key_name,
        ip: row.ip,
        created_at: row.created_at,
        expires_at: row.expires_at,
        last_used_at: row.last_used_at,
    }
}

/// Creates an organization with an MSSP and a reseller partnership, API access on.
#[utoipa::path(post, path = "/organizations", tag = "holm control plane", request_body(content = Option<NewOrganization>, description = "May be empty"),
    responses((status = 201, body = CreatedOrganization), (status = 400, body = EmulatorErrorBody)))]
pub async fn create_organization(
    State(holm): State<Arc<HolmState>>,
    body: Bytes,
) -> Result<(StatusCode, Json<CreatedOrganization>), EmulatorError> {
    let input: NewOrganization = if body.iter().all(u8::is_ascii_whitespace) {
        NewOrganization::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| EmulatorError::BadRequest(format!("invalid body: {e}")))?
    };
    let (org, organization_key) = holm.store().create_org(input.name);
    let body = CreatedOrganization {
        organization_id: org.id.clone(),
        name: org.name.clone(),
        organization_key,
        partnerships: org.partnerships.clone(),
    };
    Ok((StatusCode::CREATED, Json(body)))
}

/// Every organization.
#[utoipa::path(get, path = "/organizations", tag = "holm control plane", responses((status = 200, body = Organizations)))]
pub async fn list_organizations(State(holm): State<Arc<HolmState>>) -> Json<Organizations> {
    let organizations = holm
        .store()
        .all_orgs()
        .iter()
        .map(|org| OrganizationRow {
            organization_id: org.id.clone(),
            name: org.name.clone(),
            api_access_enabled: org.lock().org_key.is_some(),
            partnerships: org.partnerships.clone(),
        })
        .collect();
    Json(Organizations { organizations })
}

/// "Enable API access": a new organization key.
#[utoipa::path(post, path = "/organizations/{organization_id}/enable", tag = "holm control plane",
    params(("organization_id" = String, Path)),
    responses((status = 201, body = OrganizationKey), (status = 404, body = EmulatorErrorBody), (status = 409, body = EmulatorErrorBody)))]
pub async fn enable_api_access(
    State(holm): State<Arc<HolmState>>,
    Path(organization_id): Path<String>,
) -> Result<(StatusCode, Json<OrganizationKey>), EmulatorError> {
    let organization_key = holm.store().enable_api_access(&organization_id)?;
    Ok((StatusCode::CREATED, Json(OrganizationKey { organization_key })))
}

/// Deletes the organization key: API access off, every key and session gone.
#[utoipa::path(delete, path = "/organizations/{organization_id}/org-key", tag = "holm control plane",
    params(("organization_id" = String, Path)),
    responses((status = 204), (status = 404, body = EmulatorErrorBody), (status = 409, body = EmulatorErrorBody)))]
pub async fn delete_org_key(
    State(holm): State<Arc<HolmState>>,
    Path(organization_id): Path<String>,
) -> Result<StatusCode, EmulatorError> {
    holm.store().delete_org_key(&organization_id)?;
    Ok(StatusCode::NO_CONTENT)
}

/// "Create API key" (the raw key is in this answer only).
#[utoipa::path(post, path = "/organizations/{organization_id}/keys", tag = "holm control plane",
    params(("organization_id" = String, Path)), request_body = NewKeyBody,
    responses((status = 201, body = IssuedKey), (status = 400, body = EmulatorErrorBody), (status = 404, body = EmulatorErrorBody),
        (status = 409, body = EmulatorErrorBody)))]
pub async fn create_key(
    State(holm): State<Arc<HolmState>>,
    Path(organization_id): Path<String>,
    AdminJson(input): AdminJson<NewKeyBody>,
) -> Result<(StatusCode, Json<IssuedKey>), EmulatorError> {
    let now = holm.clock.now();
    let new = NewKey {
        name: input.name,
        partnership_id: input.partnership_id,
        partnership_type: input.partnership_type,
        customers_read: input.customers_read,
        allowed_origins: input.allowed_origins,
        acknowledge_any_origin: input.acknowledge_any_origin,
    };
    let issued = holm.store().create_key(&organization_id, &new, now)?;
    Ok((StatusCode::CREATED, Json(IssuedKey { key: key_view(&issued.key, now), api_key: issued.api_key })))
}

/// The keys table: prefixes only, revoked keys included.
#[utoipa::path(get, path = "/organizations/{organization_id}/keys", tag = "holm control plane",
    params(("organization_id" = String, Path)),
    responses((status = 200, body = Keys), (status = 404, body = EmulatorErrorBody)))]
pub async fn list_keys(
    State(holm): State<Arc<HolmState>>,
    Path(organization_id): Path<String>,
) -> Result<Json<Keys>, EmulatorError> {
    let now = holm.clock.now();
    let keys = holm.store().keys_of(&organization_id)?.iter().map(|k| key_view(k, now)).collect();
    Ok(Json(Keys { keys }))
}

/// Edits a key's allowed origins (effective on the next request).
#[utoipa::path(patch, path = "/keys/{key_id}", tag = "holm control plane",
    params(("key_id" = String, Path)), request_body = OriginsChange,
    responses((status = 200, body = KeyView), (status = 400, body = EmulatorErrorBody), (status = 404, body = EmulatorErrorBody),
        (status = 409, body = EmulatorErrorBody)))]
pub async fn edit_key(
    State(holm): State<Arc<HolmState>>,
    Path(key_id): Path<String>,
    AdminJson(change): AdminJson<OriginsChange>,
) -> Result<Json<KeyView>, EmulatorError> {
    let key = holm.store().edit_origins(&key_id, &change.allowed_origins, change.acknowledge_any_origin)?;
    Ok(Json(key_view(&key, holm.clock.now())))
}

/// Rotates a key: new secret, same settings, its sessions ended.
#[utoipa::path(post, path = "/keys/{key_id}/rotate", tag = "holm control plane",
    params(("key_id" = String, Path)),
    responses((status = 200, body = IssuedKey), (status = 404, body = EmulatorErrorBody), (status = 409, body = EmulatorErrorBody)))]
pub async fn rotate_key(
    State(holm): State<Arc<HolmState>>,
    Path(key_id): Path<String>,
) -> Result<Json<IssuedKey>, EmulatorError> {
    let now = holm.clock.now();
    let issued = holm.store().rotate_key(&key_id, now)?;
    Ok(Json(IssuedKey { key: key_view(&issued.key, now), api_key: issued.api_key }))
}

/// Revokes a key: kept for audit, its sessions ended.
#[utoipa::path(post, path = "/keys/{key_id}/revoke", tag = "holm control plane",
    params(("key_id" = String, Path)),
    responses((status = 200, body = KeyView), (status = 404, body = EmulatorErrorBody)))]
pub async fn revoke_key(
    State(holm): State<Arc<HolmState>>,
    Path(key_id): Path<String>,
) -> Result<Json<KeyView>, EmulatorError> {
    let now = holm.clock.now();
    let key = holm.store().revoke_key(&key_id, now)?;
    Ok(Json(key_view(&key, now)))
}

/// The Active Sessions table: live sessions, oldest first.
#[utoipa::path(get, path = "/organizations/{organization_id}/sessions", tag = "holm control plane",
    params(("organization_id" = String, Path)),
    responses((status = 200, body = Sessions), (status = 404, body = EmulatorErrorBody)))]
pub async fn list_sessions(
    State(holm): State<Arc<HolmState>>,
    Path(organization_id): Path<String>,
) -> Result<Json<Sessions>, EmulatorError> {
    let rows = holm.store().sessions_of(&organization_id, holm.clock.now())?;
    Ok(Json(Sessions { sessions: rows.into_iter().map(session_view).collect() }))
}

/// "Invalidate" a session.
#[utoipa::path(delete, path = "/sessions/{session_id}", tag = "holm control plane",
    params(("session_id" = String, Path)),
    responses((status = 204), (status = 404, body = EmulatorErrorBody)))]
pub async fn invalidate_session(
    State(holm): State<Arc<HolmState>>,
    Path(session_id): Path<String>,
) -> Result<StatusCode, EmulatorError> {
    holm.store().invalidate_session(&session_id, holm.clock.now())?;
    Ok(StatusCode::NO_CONTENT)
}

/// The control-plane routes, relative to `/_emulator/holm`.
pub fn api(state: Arc<HolmState>) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(create_organization, list_organizations))
        .routes(routes!(enable_api_access))
        .routes(routes!(delete_org_key))
        .routes(routes!(create_key, list_keys))
        .routes(routes!(edit_key))
        .routes(routes!(rotate_key))
        .routes(routes!(revoke_key))
        .routes(routes!(list_sessions))
        .routes(routes!(invalidate_session))
        .with_state(state)
}
