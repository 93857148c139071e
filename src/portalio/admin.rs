//! The Portal.io control plane under `/_emulator/portalio` (CONTRACT §6.6): create a
//! dealer account with its own app and users in one call (a fresh tenant per test),
//! delete it, rotate a user key, set a proposal's status (how a client "accepts"
//! one), and the signing oracle that shows the canonical string and signature a
//! correct client sends.

use std::sync::Arc;

use axum::{
    Json,
    body::Bytes,
    extract::{Path, Query, State},
    http::StatusCode,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;

use crate::documented::routes;

use super::{
    delivery::log::DeliveryRecord,
    events,
    model::{App, OrderStatus, PaymentStatus, Status, User},
    notify,
    routes::zapier::{ZapierOrder, ZapierPayment, order_payload, payment_payload},
    signature::{Described, imf_fixdate, parse_imf_fixdate, sign_described},
    state::{Account, AccountData, PortalioState},
    wire::{ProposalDetail, proposal_detail, seconds},
};
use crate::admin::error::{AdminJson, EmulatorError, EmulatorErrorBody};

/// The control-plane routes, relative to `/_emulator/portalio`.
pub fn admin(state: Arc<PortalioState>) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(create_account))
        .routes(routes!(delete_account))
        .routes(routes!(rotate_user_key))
        .routes(routes!(set_proposal_status))
        .routes(routes!(sign_request))
        .routes(routes!(list_webhook_deliveries))
        .routes(routes!(set_payment_status))
        .routes(routes!(set_order_status))
        .with_state(state)
}

/// One user of a new account; every field has a default.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PortalioAdminNewUser)]
pub struct NewUser {
    pub username: Option<String>,
    pub password: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Default true.
    pub email_verified: Option<bool>,
    /// Default true.
    pub subscription_active: Option<bool>,
    /// Default true.
    pub catalog_access: Option<bool>,
    /// Default "Admin".
    pub permission_group: Option<String>,
}

/// `POST /_emulator/portalio/accounts` body.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PortalioAdminNewAccount)]
pub struct NewAccount {
    pub name: Option<String>,
    /// Default: one verified, subscribed user with catalog access.
    pub users: Option<Vec<NewUser>>,
}

/// A created user with its raw credentials.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = PortalioAdminCreatedUser)]
pub struct CreatedUser {
    pub id: u64,
    pub username: String,
    pub password: String,
    pub user_key: String,
}

/// The created account, its fresh app and users (also the harness's typed tenant).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = PortalioAdminCreatedAccount)]
pub struct CreatedAccount {
    pub account_id: u64,
    pub name: String,
    pub app_id: String,
    pub secret_key: String,
    pub users: Vec<CreatedUser>,
}

#[utoipa::path(
    post, path = "/accounts", tag = "emulator",
    summary = "Create a Portal.io dealer account with its own app and users",
    request_body(content = NewAccount, content_type = "application/json"),
    responses((status = 201, body = CreatedAccount), (status = 400, body = EmulatorErrorBody))
)]
async fn create_account(
    State(state): State<Arc<PortalioState>>,
    body: Bytes,
) -> Result<(StatusCode, Json<CreatedAccount>), EmulatorError> {
    let input: NewAccount = if body.iter().all(u8::is_ascii_whitespace) {
        NewAccount::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| EmulatorError::BadRequest(format!("invalid body: {e}")))?
    };
    let store = state.store();
    let account_id = store.next_id();
    let name = input.name.unwrap_or_else(|| format!("Test Dealer {account_id}"));
    let specs = input.users.unwrap_or_else(|| vec![NewUser::default()]);
    let mut data = AccountData::default();
    let mut created = Vec::new();
    for (n, spec) in specs.into_iter().enumerate() {
        let id = store.next_id();
        let username = spec.username.unwrap_or_else(|| format!("user{n}.{account_id}@dealer.example"));
        let taken = store
            .all_accounts()
            .iter()
            .any(|a| a.data().users.values().any(|u| u.username.eq_ignore_ascii_case(&username)))
            || data.users.values().any(|u| u.username.eq_ignore_ascii_case(&username));
        if taken {
            return Err(EmulatorError::BadRequest(format!("username `{username}` is already taken")));
        }
        let user = User {
            id,
            username: username.clone(),
            password: spec.password.unwrap_or_else(|| format!("Pass-{}", store.ids.hex(6))),
            user_key: store.new_user_key(),
            first_name: spec.first_name.unwrap_or_else(|| "Test".to_owned()),
            last_name: spec.last_name.unwrap_or_else(|| format!("User {n}")),
            email_verified: spec.email_verified.unwrap_or(true),
            subscription_active: spec.subscription_active.unwrap_or(true),
            catalog_access: spec.catalog_access.unwrap_or(true),
            permission_group: spec.permission_group.unwrap_or_else(|| "Admin".to_owned()),
        };
        created.push(CreatedUser {
            id,
            username: user.username.clone(),
            password: user.password.clone(),
            user_key: user.user_key.clone(),
        });
        data.users.insert(id, user);
    }
    let app = App {
        app_id: store.ids.uuid().to_string().to_ascii_uppercase(),
        secret_key: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, store.ids.bytes(32)),
        name: format!("App of {name}"),
    };
    for user in data.users.values() {
        store.index_user_key(&user.user_key, account_id, user.id);
    }
    store.accounts.insert(account_id, Arc::new(Account::new(account_id, name.clone(), data)));
    store.apps.insert(app.app_id.clone(), app.clone());
    Ok((
        StatusCode::CREATED,
        Json(CreatedAccount { account_id, name, app_id: app.app_id, secret_key: app.secret_key, users: created }),
    ))
}

fn parse_id(raw: &str, what: &str) -> Result<u64, EmulatorError> {
    raw.parse().map_err(|_| EmulatorError::NotFound(format!("no Portal.io {what} {raw}")))
}

#[utoipa::path(
    delete, path = "/accounts/{account_id}", tag = "emulator", summary = "Delete a Portal.io dealer account",
    params(("account_id" = u64, Path)),
    responses((status = 204), (status = 404, body = EmulatorErrorBody))
)]
async fn delete_account(
    State(state): State<Arc<PortalioState>>,
    Path(id): Path<String>,
) -> Result<StatusCode, EmulatorError> {
    let id = parse_id(&id, "account")?;
    let store = state.store();
    let (_, account) =
        store.accounts.remove(&id).ok_or_else(|| EmulatorError::NotFound(format!("no Portal.io account {id}")))?;
    for user in account.data().users.values() {
        store.unindex_user_key(&user.user_key);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The new user key.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PortalioAdminUserKey)]
pub struct RotatedKey {
    pub user_key: String,
}

#[utoipa::path(
    post, path = "/users/{user_id}/rotate-key", tag = "emulator",
    summary = "Give a Portal.io user a new user key (the old one stops working)",
    params(("user_id" = u64, Path)),
    responses((status = 200, body = RotatedKey), (status = 404, body = EmulatorErrorBody))
)]
async fn rotate_user_key(
    State(state): State<Arc<PortalioState>>,
    Path(id): Path<String>,
) -> Result<Json<RotatedKey>, EmulatorError> {
    let id = parse_id(&id, "user")?;
    let store = state.store();
    let account = store
        .all_accounts()
        .into_iter()
        .find(|a| a.data().users.contains_key(&id))
        .ok_or_else(|| EmulatorError::NotFound(format!("no Portal.io user {id}")))?;
    let key = store.new_user_key();
    let mut data = account.data();
    let user = data.users.get_mut(&id).ok_or_else(|| EmulatorError::NotFound(format!("no Portal.io user {id}")))?;
    store.unindex_user_key(&user.user_key);
    user.user_key.clone_from(&key);
    store.index_user_key(&key, account.id, id);
    Ok(Json(RotatedKey { user_key: key }))
}

/// `{"status":"Accepted"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PortalioAdminStatus)]
pub struct NewStatus {
    pub status: String,
}

#[utoipa::path(
    post, path = "/proposals/{proposal_id}/status", tag = "emulator",
    summary = "Set a Portal.io proposal's or change order's status (as the client or UI would)",
    params(("proposal_id" = u64, Path)),
    request_body(content = NewStatus, content_type = "application/json"),
    responses(
        (status = 200, body = ProposalDetail),
        (status = 400, body = EmulatorErrorBody), (status = 404, body = EmulatorErrorBody)
    )
)]
async fn set_proposal_status(
    State(state): State<Arc<PortalioState>>,
    Path(id): Path<String>,
    AdminJson(input): AdminJson<NewStatus>,
) -> Result<Json<ProposalDetail>, EmulatorError> {
    let id = parse_id(&id, "proposal")?;
    let status = Status::parse(&input.status).filter(|s| *s != Status::Undefined).ok_or_else(|| {
        EmulatorError::BadRequest(format!(
            "`{}` is not a status (Draft, Submitted, ViewedByClient, Accepted, Declined, Delayed, Completed, EmailFailed, Expired)",
            input.status
        ))
    })?;
    let store = state.store();
    let account = store
        .all_accounts()
        .into_iter()
        .find(|a| a.data().proposals.contains_key(&id))
        .ok_or_else(|| EmulatorError::NotFound(format!("no Portal.io proposal {id}")))?;
    let now = seconds(state.clock.now());
    let mut data = account.data();
    let proposal =
        data.proposals.get_mut(&id).ok_or_else(|| EmulatorError::NotFound(format!("no Portal.io proposal {id}")))?;
    proposal.last_modified_date = now;
    match status {
        Status::Submitted => proposal.last_submitted_date = Some(now),
        Status::ViewedByClient => proposal.client_last_opened_date = Some(now),
        Status::Accepted | Status::Declined => proposal.client_last_decision_date = Some(now),
        Status::Completed => proposal.last_completed_date = Some(now),
        _ => {}
    }
    let changed = proposal.status != status;
    proposal.status = status;
    let proposal = proposal.clone();
    let detail = proposal_detail(&store, &data, (account.id, &account.name), &proposal);
    if changed {
        notify::fire(&state, &data, "ProposalStatusChanged", serde_json::json!(detail));
    }
    Ok(Json(detail))
}

/// `POST /_emulator/portalio/sign` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PortalioAdminSignRequest)]
pub struct SignRequest {
    pub method: String,
    /// The absolute URL the client sends to (its query is not signed).
    pub url: String,
    pub content_type: Option<String>,
    /// IMF-fixdate; defaults to the emulator clock.
    pub date: Option<String>,
    pub user_key: Option<String>,
    /// The secret to sign with, or `app_id` to use a registered app's.
    pub secret_key: Option<String>,
    pub app_id: Option<String>,
}

/// What a correct client sends.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PortalioAdminSignature)]
pub struct Signed {
    pub canonical_string: String,
    pub signature: String,
    pub date: String,
}

#[utoipa::path(
    post, path = "/sign", tag = "emulator",
    summary = "The Portal.io canonical string and signature for a described request",
    request_body(content = SignRequest, content_type = "application/json"),
    responses((status = 200, body = Signed), (status = 400, body = EmulatorErrorBody))
)]
async fn sign_request(
    State(state): State<Arc<PortalioState>>,
    AdminJson(input): AdminJson<SignRequest>,
) -> Result<Json<Signed>, EmulatorError> {
    let secret = match (input.secret_key, input.app_id) {
        (Some(secret), _) => secret,
        (None, Some(app_id)) => state
            .store()
            .secret_of(&app_id)
            .ok_or_else(|| EmulatorError::BadRequest(format!("no registered app `{app_id}`")))?,
        (None, None) => return Err(EmulatorError::BadRequest("give `secret_key` or `app_id`".into())),
    };
    let date = input.date.unwrap_or_else(|| imf_fixdate(state.clock.now()));
    if parse_imf_fixdate(&date).is_none() {
        return Err(EmulatorError::BadRequest(format!(
            "`{date}` is not an IMF-fixdate such as `Mon, 06 Apr 2026 00:22:19 GMT`"
        )));
    }
    let described = Described {
        method: &input.method,
        url: &input.url,
        content_type: input.content_type.as_deref(),
        date: &date,
        user_key: input.user_key.as_deref(),
    };
    let (canonical_string, signature) = sign_described(&described, &secret, state.settings.portalio_secret_encoding)
        .map_err(EmulatorError::BadRequest)?;
    Ok(Json(Signed { canonical_string, signature, date }))
}

/// `GET /_emulator/portalio/webhook-deliveries` query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// Only this subscription's attempts.
    pub subscription_id: Option<u64>,
    /// Only this event, PascalCase or dot-notation.
    pub event: Option<String>,
    /// At most this many (newest first); default all that are kept.
    pub limit: Option<usize>,
}

/// The delivery log, newest first, and the delivery backlog.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PortalioAdminDeliveries)]
pub struct Deliveries {
    pub deliveries: Vec<DeliveryRecord>,
    /// Attempts sent and not yet answered.
    pub in_flight: u64,
    /// Attempts waiting in the subscriptions' queues now.
    pub queued: usize,
    /// Retries scheduled on the emulator clock now.
    pub retries_scheduled: usize,
    /// Attempts dropped because a subscription's queue was full, since start or reset.
    pub dropped: u64,
}

#[utoipa::path(
    get, path = "/webhook-deliveries", tag = "emulator",
    summary = "Every Portal.io webhook delivery attempt (newest first, bounded by --portalio-webhook-log-capacity)",
    params(DeliveriesQuery),
    responses((status = 200, body = Deliveries), (status = 400, body = EmulatorErrorBody))
)]
async fn list_webhook_deliveries(
    State(state): State<Arc<PortalioState>>,
    query: Result<Query<DeliveriesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Deliveries>, EmulatorError> {
    let Query(query) = query.map_err(|e| EmulatorError::BadRequest(format!("invalid query: {}", e.body_text())))?;
    let event = match query.event.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        None => None,
        Some(name) => Some(
            events::dot_name(name)
                .ok_or_else(|| EmulatorError::BadRequest(format!("`{name}` is not an event name")))?,
        ),
    };
    let deliveries = state.webhooks.deliveries(query.subscription_id, event, query.limit.unwrap_or(usize::MAX));
    let backlog = state.webhooks.backlog();
    Ok(Json(Deliveries {
        deliveries,
        in_flight: backlog.in_flight,
        queued: backlog.queued,
        retries_scheduled: backlog.retries_scheduled,
        dropped: backlog.dropped,
    }))
}

#[utoipa::path(
    post, path = "/payments/{payment_id}/status", tag = "emulator",
    summary = "Set a Portal.io payment's status (fires PaymentStatusChange)",
    params(("payment_id" = u64, Path)),
    request_body(content = NewStatus, content_type = "application/json"),
    responses(
        (status = 200, body = ZapierPayment),
        (status = 400, body = EmulatorErrorBody), (status = 404, body = EmulatorErrorBody)
    )
)]
async fn set_payment_status(
    State(state): State<Arc<PortalioState>>,
    Path(id): Path<String>,
    AdminJson(input): AdminJson<NewStatus>,
) -> Result<Json<ZapierPayment>, EmulatorError> {
    let id = parse_id(&id, "payment")?;
    let status = PaymentStatus::parse(&input.status).filter(|s| *s != PaymentStatus::Undefined).ok_or_else(|| {
        EmulatorError::BadRequest(format!(
            "`{}` is not a payment status (Draft, Submitted, Viewed, Paid, Declined, Refunded)",
            input.status
        ))
    })?;
    let account = state
        .store()
        .all_accounts()
        .into_iter()
        .find(|a| a.data().payments.contains_key(&id))
        .ok_or_else(|| EmulatorError::NotFound(format!("no Portal.io payment {id}")))?;
    let now = seconds(state.clock.now());
    let mut data = account.data();
    let payment =
        data.payments.get_mut(&id).ok_or_else(|| EmulatorError::NotFound(format!("no Portal.io payment {id}")))?;
    let changed = payment.status != status;
    payment.status = status;
    payment.modified_date = now;
    match status {
        PaymentStatus::Submitted => payment.initiated_payment_date = payment.initiated_payment_date.or(Some(now)),
        PaymentStatus::Paid => payment.paid_date = Some(now),
        _ => {}
    }
    let payload = payment_payload(&data, &data.payments[&id], now);
    if changed {
        notify::fire(&state, &data, "PaymentStatusChange", serde_json::json!(payload));
    }
    Ok(Json(payload))
}

#[utoipa::path(
    post, path = "/orders/{order_id}/status", tag = "emulator",
    summary = "Set a Portal.io order's status (fires OrderStatusChange)",
    params(("order_id" = u64, Path)),
    request_body(content = NewStatus, content_type = "application/json"),
    responses(
        (status = 200, body = ZapierOrder),
        (status = 400, body = EmulatorErrorBody), (status = 404, body = EmulatorErrorBody)
    )
)]
async fn set_order_status(
    State(state): State<Arc<PortalioState>>,
    Path(id): Path<String>,
    AdminJson(input): AdminJson<NewStatus>,
) -> Result<Json<ZapierOrder>, EmulatorError> {
    let id = parse_id(&id, "order")?;
    let status = OrderStatus::parse(&input.status).filter(|s| *s != OrderStatus::Undefined).ok_or_else(|| {
        EmulatorError::BadRequest(format!(
            "`{}` is not an order status (Draft, Submitted, ViewedBySupplier, Accepted, Received, EmailFailed)",
            input.status
        ))
    })?;
    let account = state
        .store()
        .all_accounts()
        .into_iter()
        .find(|a| a.data().orders.contains_key(&id))
        .ok_or_else(|| EmulatorError::NotFound(format!("no Portal.io order {id}")))?;
    let now = seconds(state.clock.now());
    let mut data = account.data();
    let order = data.orders.get_mut(&id).ok_or_else(|| EmulatorError::NotFound(format!("no Portal.io order {id}")))?;
    let changed = order.status != status;
    order.status = status;
    order.modified_date = now;
    for supplier in &mut order.order_suppliers {
        supplier.status = status;
    }
    let payload = order_payload(&data.orders[&id]);
    if changed {
        notify::fire(&state, &data, "OrderStatusChange", serde_json::json!(payload));
    }
    Ok(Json(payload))
}
