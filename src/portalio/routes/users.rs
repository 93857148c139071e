//! `GET /public/users` (reference §5.5): the account's active users; a user's `id`
//! is the `SalesPersonId` of proposals.

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::portalio::{
    auth::Caller,
    error::{ErrorBody, PortalioError, UnauthorizedBody},
};

/// One user.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioUser)]
pub struct UserOut {
    pub id: u64,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub permission_group: String,
}

/// `{"users":[…],"usersCount":n}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioUserList)]
pub struct UserList {
    pub users: Vec<UserOut>,
    pub users_count: usize,
}

#[utoipa::path(
    get, path = "/public/users", tag = "portalio", summary = "List the account's users",
    responses(
        (status = 200, body = UserList),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn list_users(caller: Caller) -> Result<Json<UserList>, PortalioError> {
    let data = caller.account.data();
    let users: Vec<UserOut> = data
        .users
        .values()
        .map(|u| UserOut {
            id: u.id,
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
            email: u.username.clone(),
            permission_group: u.permission_group.clone(),
        })
        .collect();
    Ok(Json(UserList { users_count: users.len(), users }))
}
