//! Webhook subscriptions (reference §5.7.1–5.7.4): create, list, update (patch
//! semantics, at least one field), delete. Unknown or another account's
//! subscription ids are 400, not 404 (documented). The secret is returned on
//! create and update, not by the list (CONTRACT §5.1). Delivery is part 2.
//!
//! URL rules: an absolute http(s) URL by default, so tests can receive locally;
//! `--portalio-strict-webhook-urls` enforces the documented https-only, publicly
//! routable rule.

use std::net::IpAddr;

use axum::{Json, extract::Path, http::Uri};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::portalio::{
    auth::Caller,
    error::{ErrorBody, PortalioError, UnauthorizedBody},
    events,
    input::{Form, boolean, one_or_many, optional},
    model::Subscription,
    wire::{SubscriptionOut, seconds, subscription_out},
};

/// INFERRED: the longest URL and description.
const MAX_URL: usize = 2048;
const MAX_DESCRIPTION: usize = 500;

/// `POST /public/webhook/subscribe` form.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(as = PortalioSubscribeForm)]
pub struct SubscribeForm {
    /// Required: where events are POSTed.
    pub url: Option<String>,
    /// Required: event names, comma-separated or repeated, PascalCase or dot-notation.
    #[serde(default, deserialize_with = "one_or_many")]
    pub events: Vec<String>,
    pub description: Option<String>,
}

/// `POST /public/webhook/subscription/{SubscriptionId}` form: give at least one field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
#[schema(as = PortalioUpdateSubscriptionForm)]
pub struct UpdateSubscriptionForm {
    pub url: Option<String>,
    /// Replaces the list.
    #[serde(default, deserialize_with = "one_or_many")]
    pub events: Vec<String>,
    #[schema(value_type = Option<bool>)]
    pub enabled: Option<String>,
    pub description: Option<String>,
}

/// `{"success":true,"subscriptionId":n}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioUnsubscribed)]
pub struct Unsubscribed {
    pub success: bool,
    pub subscription_id: u64,
}

fn check_url(raw: &str, strict: bool) -> Result<String, PortalioError> {
    let url = raw.trim();
    optional("Url", Some(url.to_owned()), MAX_URL)?;
    let invalid = || PortalioError::bad_request(format!("The Url '{url}' is not a valid absolute http(s) URL."));
    let uri: Uri = url.parse().map_err(|_| invalid())?;
    let scheme = uri.scheme_str().ok_or_else(invalid)?.to_ascii_lowercase();
    let host = uri.host().filter(|h| !h.is_empty()).ok_or_else(invalid)?;
    if scheme != "https" && scheme != "http" {
        return Err(invalid());
    }
    if strict {
        if scheme != "https" {
            return Err(PortalioError::bad_request("The Url must use https."));
        }
        if !is_public(host) {
            return Err(PortalioError::bad_request(
                "The Url must resolve to a publicly routable host (private, loopback and link-local addresses are rejected).",
            ));
        }
    }
    Ok(url.to_owned())
}

/// Loopback, private and link-local hosts are not public (names other than `localhost` are taken as public).
fn is_public(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost") {
        return false;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => !(ip.is_loopback() || ip.is_private() || ip.is_link_local() || ip.is_unspecified()),
        Ok(IpAddr::V6(ip)) => {
            let first = ip.segments()[0];
            !(ip.is_loopback() || ip.is_unspecified() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80)
        }
        Err(_) => true,
    }
}

fn check_events(raw: &[String]) -> Result<Vec<String>, PortalioError> {
    let mut out: Vec<String> = Vec::new();
    for name in raw {
        let known = events::canonical(name).ok_or_else(|| {
            PortalioError::bad_request(format!(
                "Unknown event name '{name}'. Valid events: {}.",
                events::EVENTS.iter().map(|(p, _)| *p).collect::<Vec<_>>().join(", ")
            ))
        })?;
        if !out.iter().any(|e| e == known) {
            out.push(known.to_owned());
        }
    }
    Ok(out)
}

#[utoipa::path(
    post, path = "/public/webhook/subscribe", tag = "portalio", summary = "Subscribe to webhook events",
    request_body(content = SubscribeForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 413, body = ErrorBody, description = "Body larger than --max-body-bytes"),
        (status = 200, body = SubscriptionOut, description = "The subscription, with its secretKey"),
        (status = 400, body = ErrorBody, description = "Bad URL or unknown event"),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn subscribe(
    caller: Caller,
    Form(form): Form<SubscribeForm>,
) -> Result<Json<SubscriptionOut>, PortalioError> {
    let strict = caller.state.settings.portalio_strict_webhook_urls;
    let url = match form.url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        None => return Err(PortalioError::bad_request("The Url field is required.")),
        Some(url) => check_url(url, strict)?,
    };
    if form.events.is_empty() {
        return Err(PortalioError::bad_request("The Events field is required."));
    }
    let events = check_events(&form.events)?;
    let description = optional("Description", form.description, MAX_DESCRIPTION)?;
    let subscription = Subscription {
        account_id: caller.account.id,
        subscription_id: caller.store.next_id(),
        url,
        description,
        enabled: true,
        secret_key: format!("whsec_{}", caller.store.ids.base64url(24)),
        events,
        created_date: seconds(caller.now),
    };
    let out = subscription_out(&subscription, true);
    caller.account.data().subscriptions.insert(subscription.subscription_id, subscription);
    caller.trail.pass("subscribe", format!("subscription {}", out.subscription_id));
    Ok(Json(out))
}

#[utoipa::path(
    get, path = "/public/webhook/subscriptions", tag = "portalio", summary = "List webhook subscriptions (bare array)",
    responses(
        (status = 200, body = Vec<SubscriptionOut>),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn list_subscriptions(caller: Caller) -> Json<Vec<SubscriptionOut>> {
    let data = caller.account.data();
    Json(data.subscriptions.values().map(|s| subscription_out(s, false)).collect())
}

fn subscription_id(raw: &str) -> Result<u64, PortalioError> {
    raw.trim().parse::<u64>().map_err(|_| PortalioError::bad_request(format!("Subscription '{raw}' was not found.")))
}

fn missing(caller: &Caller, id: u64) -> PortalioError {
    let other = caller
        .store
        .all_accounts()
        .iter()
        .any(|a| a.id != caller.account.id && a.data().subscriptions.contains_key(&id));
    let why = if other { "belongs to another account" } else { "does not exist" };
    PortalioError::bad_request(format!("Subscription '{id}' was not found."))
        .with_detail(format!("subscription {id} {why}"))
}

#[utoipa::path(
    post, path = "/public/webhook/subscription/{SubscriptionId}", tag = "portalio",
    summary = "Update a subscription (fields left out keep their value)",
    params(("SubscriptionId" = i64, Path)),
    request_body(content = UpdateSubscriptionForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 413, body = ErrorBody, description = "Body larger than --max-body-bytes"),
        (status = 200, body = SubscriptionOut),
        (status = 400, body = ErrorBody, description = "Unknown subscription, bad URL or event, or no field given"),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn update_subscription(
    caller: Caller,
    Path(id): Path<String>,
    Form(form): Form<UpdateSubscriptionForm>,
) -> Result<Json<SubscriptionOut>, PortalioError> {
    let id = subscription_id(&id)?;
    let strict = caller.state.settings.portalio_strict_webhook_urls;
    if form.url.is_none() && form.events.is_empty() && form.enabled.is_none() && form.description.is_none() {
        if !caller.account.data().subscriptions.contains_key(&id) {
            return Err(missing(&caller, id));
        }
        return Err(PortalioError::bad_request("At least one of Url, Events, Enabled or Description is required."));
    }
    let url = form.url.as_deref().filter(|u| !u.trim().is_empty()).map(|u| check_url(u, strict)).transpose()?;
    let events = if form.events.is_empty() { None } else { Some(check_events(&form.events)?) };
    let enabled = boolean("Enabled", form.enabled.as_deref())?;
    let description = optional("Description", form.description, MAX_DESCRIPTION)?;
    let mut data = caller.account.data();
    let Some(subscription) = data.subscriptions.get_mut(&id) else {
        drop(data);
        return Err(missing(&caller, id));
    };
    if let Some(url) = url {
        subscription.url = url;
    }
    if let Some(events) = events {
        subscription.events = events;
    }
    if let Some(enabled) = enabled {
        subscription.enabled = enabled;
    }
    if let Some(description) = description {
        subscription.description = Some(description);
    }
    Ok(Json(subscription_out(subscription, true)))
}

#[utoipa::path(
    delete, path = "/public/webhook/unsubscribe/{SubscriptionId}", tag = "portalio", summary = "Delete a subscription",
    params(("SubscriptionId" = i64, Path)),
    responses(
        (status = 200, body = Unsubscribed),
        (status = 400, body = ErrorBody, description = "No such subscription for the account (400, not 404)"),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn unsubscribe(caller: Caller, Path(id): Path<String>) -> Result<Json<Unsubscribed>, PortalioError> {
    let id = subscription_id(&id)?;
    let removed = caller.account.data().subscriptions.remove(&id);
    if removed.is_none() {
        return Err(missing(&caller, id));
    }
    Ok(Json(Unsubscribed { success: true, subscription_id: id }))
}
