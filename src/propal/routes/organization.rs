//! `GET /v1/organization` (scope `organization:read`): the key's organization.

use axum::Json;
use serde_json::{Value, json};

use crate::propal::{
    auth::{Caller, Scope},
    error::PropalError,
    model::ms,
};

/// INFERRED: a bare object `{id, name, created_at}`, like the other single-object GETs.
pub async fn get_organization(caller: Caller) -> Result<Json<Value>, PropalError> {
    caller.require(Scope::OrganizationRead)?;
    let org = &caller.org;
    Ok(Json(json!({ "id": org.id, "name": org.name, "created_at": ms::format(org.created_at) })))
}
