//! `GET /v1/organization` (scope `organization:read`): the key's organization.

use axum::Json;
use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::propal::{
    auth::{Caller, Scope},
    docs::{Forbidden, Refusals},
    error::PropalError,
    model::ms,
};

/// INFERRED: a bare object `{id, name, created_at}`, like the other single-object GETs.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PropalOrganization)]
pub struct Organization {
    pub id: Uuid,
    pub name: String,
    #[serde(with = "ms")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// The key's organization (a third-party client uses it to check a key).
#[utoipa::path(get, path = "/v1/organization", tag = "propal",
    responses((status = 200, description = "The organization", body = Organization), Refusals, Forbidden),
    security(("propal_key" = ["organization:read"])))]
pub async fn get_organization(caller: Caller) -> Result<Json<Organization>, PropalError> {
    caller.require(Scope::OrganizationRead)?;
    let org = &caller.org;
    Ok(Json(Organization { id: org.id, name: org.name.clone(), created_at: org.created_at }))
}
