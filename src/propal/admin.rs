//! Propal accounts and keys under `/_emulator/propal` (CONTRACT §6.6). Key
//! management is the Propal dashboard's job, so it lives here: create an
//! organization with a first key in one call (a fresh tenant per test), delete it,
//! create keys (raw value shown once), list them (prefix only), edit scopes or
//! expiry, revoke.

use std::{collections::BTreeSet, sync::Arc};

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use crate::documented::routes;
use uuid::Uuid;

use super::{
    auth::Scope,
    model::millis,
    state::{CreatedKey, KeyView, Org, PropalState},
};
use crate::admin::error::{AdminJson, EmulatorError, EmulatorErrorBody};

/// The routes, relative to `/_emulator/propal`.
pub fn routes(state: Arc<PropalState>) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(create_organization))
        .routes(routes!(delete_organization))
        .routes(routes!(create_key, list_keys))
        .routes(routes!(update_key))
        .routes(routes!(revoke_key))
        .with_state(state)
}

/// `POST /organizations`: every field optional, an empty body allowed.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PropalNewOrganization)]
struct NewOrganization {
    /// Defaults to `Test organization <8 hex>`.
    name: Option<String>,
    /// The first key's scopes; every scope when absent.
    scopes: Option<Vec<Scope>>,
}

/// `POST /organizations/{organization_id}/keys`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PropalNewKey)]
struct NewKey {
    name: String,
    scopes: Vec<Scope>,
    /// RFC 3339; absent: never expires.
    expires_at: Option<String>,
}

/// `PATCH /keys/{key_id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PropalKeyChange)]
struct KeyChange {
    scopes: Option<Vec<Scope>>,
    /// RFC 3339; `null` removes the expiry; absent leaves it.
    #[serde(default, deserialize_with = "present")]
    #[allow(clippy::option_option)] // absent, null and a value mean three different things
    #[schema(value_type = Option<String>)]
    expires_at: Option<Option<String>>,
}

/// A fresh organization and its first key (also the harness's typed tenant).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = PropalCreatedOrganization)]
pub struct CreatedOrganization {
    pub organization_id: Uuid,
    pub name: String,
    pub key: CreatedKey,
}

/// An organization's keys, oldest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PropalKeyList)]
struct KeyList {
    keys: Vec<KeyView>,
}

/// Tells an explicit `null` from an absent field.
#[allow(clippy::option_option)]
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

/// Create a Propal organization with a first key (a fresh tenant per test).
#[utoipa::path(post, path = "/organizations", tag = "propal control plane",
    request_body(content = NewOrganization, description = "May be empty"),
    responses(
        (status = 201, description = "Created, with the raw key shown once", body = CreatedOrganization),
        (status = 400, description = "Malformed body, unknown field or scope", body = EmulatorErrorBody),
        (status = 415, description = "A declared Content-Type that is not JSON", body = EmulatorErrorBody),
    ))]
async fn create_organization(
    State(propal): State<Arc<PropalState>>,
    AdminJson(input): AdminJson<NewOrganization>,
) -> Result<(StatusCode, Json<CreatedOrganization>), EmulatorError> {
    let scopes = input.scopes.map_or_else(|| Scope::ALL.iter().copied().collect(), BTreeSet::from_iter);
    let store = propal.store();
    let now = millis(propal.clock.now());
    let id = store.ids.uuid();
    let name = input.name.unwrap_or_else(|| format!("Test organization {}", &id.simple().to_string()[..8]));
    store.insert_org(Org::new(id, name.clone(), now, Vec::new()));
    let key = store.create_key(id, "Emulator key".to_owned(), scopes, None, now);
    Ok((StatusCode::CREATED, Json(CreatedOrganization { organization_id: id, name, key: key.view() })))
}

/// Delete a Propal organization, its data and its keys.
#[utoipa::path(delete, path = "/organizations/{organization_id}", tag = "propal control plane",
    params(("organization_id" = String, Path, description = "The organization's UUID")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such organization", body = EmulatorErrorBody),
    ))]
async fn delete_organization(
    State(propal): State<Arc<PropalState>>,
    Path(id): Path<String>,
) -> Result<StatusCode, EmulatorError> {
    let id = parse_id(&id, "organization")?;
    if propal.store().remove_org(id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(EmulatorError::NotFound(format!("no Propal organization {id}")))
    }
}

/// Create a Propal API key; its raw value is in this answer only.
#[utoipa::path(post, path = "/organizations/{organization_id}/keys", tag = "propal control plane",
    params(("organization_id" = String, Path, description = "The organization's UUID")),
    request_body = NewKey,
    responses(
        (status = 201, description = "Created, with the raw key shown once", body = CreatedKey),
        (status = 400, description = "Malformed body, unknown field or scope, empty name", body = EmulatorErrorBody),
        (status = 404, description = "No such organization", body = EmulatorErrorBody),
        (status = 415, description = "A declared Content-Type that is not JSON", body = EmulatorErrorBody),
    ))]
async fn create_key(
    State(propal): State<Arc<PropalState>>,
    Path(id): Path<String>,
    AdminJson(input): AdminJson<NewKey>,
) -> Result<(StatusCode, Json<CreatedKey>), EmulatorError> {
    let id = parse_id(&id, "organization")?;
    let store = propal.store();
    store.org(id).ok_or_else(|| EmulatorError::NotFound(format!("no Propal organization {id}")))?;
    if input.name.trim().is_empty() {
        return Err(EmulatorError::BadRequest("`name` must not be empty".into()));
    }
    let scopes = input.scopes.into_iter().collect();
    let expires_at = input.expires_at.as_deref().map(parse_instant).transpose()?;
    let key = store.create_key(id, input.name, scopes, expires_at, propal.clock.now());
    Ok((StatusCode::CREATED, Json(key.view())))
}

/// List a Propal organization's keys (prefixes, never raw values).
#[utoipa::path(get, path = "/organizations/{organization_id}/keys", tag = "propal control plane",
    params(("organization_id" = String, Path, description = "The organization's UUID")),
    responses(
        (status = 200, description = "The keys, oldest first", body = KeyList),
        (status = 404, description = "No such organization", body = EmulatorErrorBody),
    ))]
async fn list_keys(
    State(propal): State<Arc<PropalState>>,
    Path(id): Path<String>,
) -> Result<Json<KeyList>, EmulatorError> {
    let id = parse_id(&id, "organization")?;
    let store = propal.store();
    store.org(id).ok_or_else(|| EmulatorError::NotFound(format!("no Propal organization {id}")))?;
    Ok(Json(KeyList { keys: store.keys_of(id).iter().map(|k| k.view()).collect() }))
}

/// Edit a Propal key's scopes or expiry.
#[utoipa::path(patch, path = "/keys/{key_id}", tag = "propal control plane",
    params(("key_id" = String, Path, description = "The key's UUID")),
    request_body = KeyChange,
    responses(
        (status = 200, description = "The key as changed", body = KeyView),
        (status = 400, description = "Malformed body, unknown field or scope", body = EmulatorErrorBody),
        (status = 404, description = "No such key", body = EmulatorErrorBody),
        (status = 415, description = "A declared Content-Type that is not JSON", body = EmulatorErrorBody),
    ))]
async fn update_key(
    State(propal): State<Arc<PropalState>>,
    Path(id): Path<String>,
    AdminJson(change): AdminJson<KeyChange>,
) -> Result<Json<KeyView>, EmulatorError> {
    let id = parse_id(&id, "key")?;
    let key = propal.store().key_by_id(id).ok_or_else(|| EmulatorError::NotFound(format!("no Propal key {id}")))?;
    let scopes: Option<BTreeSet<Scope>> = change.scopes.map(BTreeSet::from_iter);
    let expires_at = match change.expires_at {
        None => None,
        Some(None) => Some(None),
        Some(Some(text)) => Some(Some(parse_instant(&text)?)),
    };
    key.update(|meta| {
        if let Some(scopes) = scopes {
            meta.scopes = scopes;
        }
        if let Some(expires_at) = expires_at {
            meta.expires_at = expires_at;
        }
    });
    Ok(Json(key.view()))
}

/// Revoke a Propal key: every later request with it answers 401.
#[utoipa::path(post, path = "/keys/{key_id}/revoke", tag = "propal control plane",
    params(("key_id" = String, Path, description = "The key's UUID")),
    responses(
        (status = 200, description = "The key, revoked", body = KeyView),
        (status = 404, description = "No such key", body = EmulatorErrorBody),
    ))]
async fn revoke_key(
    State(propal): State<Arc<PropalState>>,
    Path(id): Path<String>,
) -> Result<Json<KeyView>, EmulatorError> {
    let id = parse_id(&id, "key")?;
    let key = propal.store().key_by_id(id).ok_or_else(|| EmulatorError::NotFound(format!("no Propal key {id}")))?;
    let now = millis(propal.clock.now());
    key.update(|meta| {
        meta.revoked_at.get_or_insert(now);
    });
    Ok(Json(key.view()))
}

fn parse_instant(text: &str) -> Result<Timestamp, EmulatorError> {
    text.parse().map_err(|e| EmulatorError::BadRequest(format!("`expires_at` is not an RFC 3339 instant: {e}")))
}

fn parse_id(text: &str, what: &str) -> Result<Uuid, EmulatorError> {
    Uuid::parse_str(text).map_err(|_| EmulatorError::NotFound(format!("no Propal {what} {text}")))
}
