//! Propal accounts and keys under `/_emulator/propal` (CONTRACT §6.6). Key
//! management is the Propal dashboard's job, so it lives here: create an
//! organization with a first key in one call (a fresh tenant per test), delete it,
//! create keys (raw value shown once), list them (prefix only), edit scopes or
//! expiry, revoke.

use std::collections::BTreeSet;

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    routing::{delete, patch, post},
};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::error::{AdminJson, EmulatorError};
use crate::{
    app::AppState,
    propal::{
        auth::Scope,
        model::millis,
        state::{Org, PropalState},
    },
    vendor::RouteDoc,
};

/// These routes, as the OpenAPI document lists them.
pub const ROUTES: &[RouteDoc] = &[
    RouteDoc::new("POST", "/_emulator/propal/organizations", "Create a Propal organization with a first key"),
    RouteDoc::new("DELETE", "/_emulator/propal/organizations/{organization_id}", "Delete a Propal organization"),
    RouteDoc::new("POST", "/_emulator/propal/organizations/{organization_id}/keys", "Create a Propal API key"),
    RouteDoc::new("GET", "/_emulator/propal/organizations/{organization_id}/keys", "List a Propal organization's keys"),
    RouteDoc::new("PATCH", "/_emulator/propal/keys/{key_id}", "Edit a Propal key's scopes or expiry"),
    RouteDoc::new("POST", "/_emulator/propal/keys/{key_id}/revoke", "Revoke a Propal key"),
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/_emulator/propal/organizations", post(create_organization))
        .route("/_emulator/propal/organizations/{organization_id}", delete(delete_organization))
        .route("/_emulator/propal/organizations/{organization_id}/keys", post(create_key).get(list_keys))
        .route("/_emulator/propal/keys/{key_id}", patch(update_key))
        .route("/_emulator/propal/keys/{key_id}/revoke", post(revoke_key))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewOrganization {
    name: Option<String>,
    scopes: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKey {
    name: String,
    scopes: Vec<String>,
    expires_at: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyChange {
    scopes: Option<Vec<String>>,
    /// `null` removes the expiry; absent leaves it.
    #[serde(default, deserialize_with = "present")]
    #[allow(clippy::option_option)] // absent, null and a value mean three different things
    expires_at: Option<Option<String>>,
}

/// Tells an explicit `null` from an absent field.
#[allow(clippy::option_option)]
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

async fn create_organization(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), EmulatorError> {
    let input: NewOrganization = if body.iter().all(u8::is_ascii_whitespace) {
        NewOrganization::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| EmulatorError::BadRequest(format!("invalid body: {e}")))?
    };
    let scopes = match input.scopes {
        Some(list) => parse_scopes(&list)?,
        None => Scope::ALL.iter().copied().collect(),
    };
    let propal = &state.propal;
    let store = propal.store();
    let now = millis(propal.clock.now());
    let id = store.ids.uuid();
    let name = input.name.unwrap_or_else(|| format!("Test organization {}", &id.simple().to_string()[..8]));
    store.insert_org(Org::new(id, name.clone(), now, Vec::new()));
    let key = store.create_key(id, "Emulator key".to_owned(), scopes, None, now);
    Ok((StatusCode::CREATED, Json(json!({ "organization_id": id, "name": name, "key": key.to_created_json() }))))
}

async fn delete_organization(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, EmulatorError> {
    let id = parse_id(&id, "organization")?;
    if state.propal.store().remove_org(id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(EmulatorError::NotFound(format!("no Propal organization {id}")))
    }
}

async fn create_key(
    State(state): State<AppState>,
    Path(id): Path<String>,
    AdminJson(input): AdminJson<NewKey>,
) -> Result<(StatusCode, Json<Value>), EmulatorError> {
    let id = parse_id(&id, "organization")?;
    let propal: &PropalState = &state.propal;
    let store = propal.store();
    store.org(id).ok_or_else(|| EmulatorError::NotFound(format!("no Propal organization {id}")))?;
    if input.name.trim().is_empty() {
        return Err(EmulatorError::BadRequest("`name` must not be empty".into()));
    }
    let scopes = parse_scopes(&input.scopes)?;
    let expires_at = input.expires_at.as_deref().map(parse_instant).transpose()?;
    let key = store.create_key(id, input.name, scopes, expires_at, propal.clock.now());
    Ok((StatusCode::CREATED, Json(key.to_created_json())))
}

async fn list_keys(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, EmulatorError> {
    let id = parse_id(&id, "organization")?;
    let store = state.propal.store();
    store.org(id).ok_or_else(|| EmulatorError::NotFound(format!("no Propal organization {id}")))?;
    let keys: Vec<Value> = store.keys_of(id).iter().map(|k| k.to_admin_json()).collect();
    Ok(Json(json!({ "keys": keys })))
}

async fn update_key(
    State(state): State<AppState>,
    Path(id): Path<String>,
    AdminJson(change): AdminJson<KeyChange>,
) -> Result<Json<Value>, EmulatorError> {
    let id = parse_id(&id, "key")?;
    let key =
        state.propal.store().key_by_id(id).ok_or_else(|| EmulatorError::NotFound(format!("no Propal key {id}")))?;
    let scopes = change.scopes.as_deref().map(parse_scopes).transpose()?;
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
    Ok(Json(key.to_admin_json()))
}

async fn revoke_key(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<Value>, EmulatorError> {
    let id = parse_id(&id, "key")?;
    let propal = &state.propal;
    let key = propal.store().key_by_id(id).ok_or_else(|| EmulatorError::NotFound(format!("no Propal key {id}")))?;
    let now = millis(propal.clock.now());
    key.update(|meta| {
        meta.revoked_at.get_or_insert(now);
    });
    Ok(Json(key.to_admin_json()))
}

fn parse_scopes(list: &[String]) -> Result<BTreeSet<Scope>, EmulatorError> {
    list.iter().map(|s| s.parse::<Scope>().map_err(EmulatorError::BadRequest)).collect()
}

fn parse_instant(text: &str) -> Result<Timestamp, EmulatorError> {
    text.parse().map_err(|e| EmulatorError::BadRequest(format!("`expires_at` is not an RFC 3339 instant: {e}")))
}

fn parse_id(text: &str, what: &str) -> Result<Uuid, EmulatorError> {
    Uuid::parse_str(text).map_err(|_| EmulatorError::NotFound(format!("no Propal {what} {text}")))
}
