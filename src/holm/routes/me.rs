//! `GET /v1/me` (scope `me:read`): partner identity, API key name, active scopes (S5).

use axum::Json;
use serde::Serialize;

use crate::holm::{
    auth::Caller,
    error::{HolmError, HolmErrorBody},
    model::PartnershipType,
    scope::Scope,
};

/// INFERRED shape (reference §7.3).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HolmMe)]
pub struct Me {
    pub partner: MePartner,
    pub partnership: MePartnership,
    pub api_key: MeKey,
    pub scopes: Vec<Scope>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HolmMePartner)]
pub struct MePartner {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HolmMePartnership)]
pub struct MePartnership {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: PartnershipType,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HolmMeKey)]
pub struct MeKey {
    pub name: String,
    /// The first 8 characters, as the portal shows.
    pub prefix: String,
}

/// Who the session acts for.
#[utoipa::path(
    get, path = "/v1/me", tag = "holm",
    responses(
        (status = 200, description = "Partner identity, key name and scopes", body = Me),
        (status = 401, description = "invalid_session, session_expired or session_ip_mismatch", body = HolmErrorBody),
        (status = 403, description = "origin_not_allowed", body = HolmErrorBody),
        (status = 429, description = "rate_limited", body = HolmErrorBody),
    ),
    security(("holm_session" = []))
)]
pub async fn get_me(caller: Caller) -> Result<Json<Me>, HolmError> {
    caller.admit(Scope::MeRead)?;
    let org = &caller.session.org;
    let key = &caller.session.key;
    Ok(Json(Me {
        partner: MePartner { id: org.id.clone(), name: org.name.clone() },
        partnership: MePartnership { id: key.partnership_id.clone(), kind: key.partnership_type },
        api_key: MeKey { name: key.name.clone(), prefix: key.prefix.clone() },
        scopes: key.scopes(),
    }))
}
