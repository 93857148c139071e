//! `GET /authenticate/apikeyexchange` (reference §5.1, §3.4): a signed request with
//! an empty user key trades a user's e-mail and password for their User API Key in
//! `meta.apiKey`. Wrong password, unknown user and unverified e-mail are the same
//! 401; the key is stable per user until the control plane rotates it.

use axum::Json;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use utoipa::{IntoParams, ToSchema};

use crate::portalio::{
    auth::SignedExchange,
    error::{ErrorBody, PortalioError},
    input::{Query, check_len},
};

/// Documented: `UserName` is at most 256 characters.
const MAX_USER_NAME: usize = 256;

/// The exchange's query; names match case-insensitively (`Username` works too).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "PascalCase")]
#[into_params(parameter_in = Query)]
pub struct ExchangeQuery {
    /// The user's e-mail address (max 256).
    pub user_name: Option<String>,
    pub password: Option<String>,
}

/// `meta` of the exchange answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioExchangeMeta)]
pub struct ExchangeMeta {
    /// The User API Key: send it as `X-MSS-API-USERKEY` and sign it on every later request.
    pub api_key: String,
}

/// The exchange answer (reference §5.1; INFERRED key names for permissions and provider).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioExchangeResponse)]
pub struct ExchangeResponse {
    pub user_id: String,
    pub session_id: String,
    pub user_name: String,
    pub display_name: String,
    /// For Portal.io's session API; not used by the signed API.
    pub bearer_token: String,
    pub refresh_token: String,
    #[schema(format = DateTime)]
    pub refresh_token_expiry: String,
    pub profile_url: String,
    pub roles: Vec<String>,
    pub permissions: Vec<String>,
    pub authentication_provider: String,
    pub meta: ExchangeMeta,
}

/// INFERRED: the bearer session's refresh token lives 30 days.
const REFRESH_DAYS: i64 = 30;

#[utoipa::path(
    get, path = "/authenticate/apikeyexchange", tag = "portalio",
    summary = "Exchange a username and password for the User API Key",
    params(ExchangeQuery),
    responses(
        (status = 200, body = ExchangeResponse),
        (status = 400, body = ErrorBody, description = "UserName or Password missing"),
        (status = 401, body = crate::portalio::error::UnauthorizedBody,
            description = "Bad signature or headers, wrong credentials, or unverified e-mail"),
    ),
    security(("portalio_signature" = []))
)]
pub async fn exchange_api_key(
    signed: SignedExchange,
    Query(query): Query<ExchangeQuery>,
) -> Result<Json<ExchangeResponse>, PortalioError> {
    let trail = &signed.trail;
    let (Some(user_name), Some(password)) = (query.user_name, query.password) else {
        trail.fail("credentials", "UserName or Password is missing from the query string");
        return Err(PortalioError::bad_request("The UserName and Password query parameters are required."));
    };
    check_len("UserName", &user_name, MAX_USER_NAME)?;
    let refused = |reason: &str, detail: String| {
        trail.fail("credentials", detail.clone());
        PortalioError::Unauthorized { reason: reason.to_owned(), detail }
    };
    let found = signed.store.all_accounts().into_iter().find_map(|account| {
        let data = account.data();
        data.users.values().find(|u| u.username.eq_ignore_ascii_case(user_name.trim())).map(|u| (account.id, u.clone()))
    });
    let Some((account_id, user)) = found else {
        return Err(refused("bad_credentials", format!("no user is named `{user_name}`")));
    };
    if !bool::from(user.password.as_bytes().ct_eq(password.as_bytes())) {
        return Err(refused("bad_credentials", format!("wrong password for `{}`", user.username)));
    }
    trail.set_account(account_id.to_string());
    if !user.email_verified {
        return Err(refused(
            "email_not_verified",
            format!("`{}` has not verified their e-mail address", user.username),
        ));
    }
    trail.pass("credentials", format!("user {} ({}) of account {account_id}", user.id, user.username));
    let ids = &signed.store.ids;
    let expiry = signed.now + jiff::SignedDuration::from_hours(24 * REFRESH_DAYS);
    Ok(Json(ExchangeResponse {
        user_id: user.id.to_string(),
        session_id: ids.uuid().to_string(),
        user_name: user.username.clone(),
        display_name: format!("{} {}", user.first_name, user.last_name),
        bearer_token: ids.base64url(32),
        refresh_token: ids.base64url(32),
        refresh_token_expiry: expiry.to_string(),
        profile_url: format!("https://sandbox.portal.io/profile/{}", user.id),
        roles: vec![user.permission_group.clone()],
        permissions: permissions(&user.permission_group, user.catalog_access),
        authentication_provider: "Portal.io".to_owned(),
        meta: ExchangeMeta { api_key: user.user_key },
    }))
}

/// INFERRED permission names per group.
fn permissions(group: &str, catalog: bool) -> Vec<String> {
    let mut out = vec!["Proposals.View", "Proposals.Edit", "People.View", "People.Edit"];
    if group.eq_ignore_ascii_case("Admin") {
        out.extend(["Users.View", "Webhooks.Manage"]);
    }
    if catalog {
        out.push("Catalog.View");
    }
    out.into_iter().map(str::to_owned).collect()
}
