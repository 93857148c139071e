//! Portal.io on the monitor page: dealer accounts (create a fresh one, delete), the
//! newest webhook delivery attempts with their outcome and next retry, and, for each
//! account's first user in good standing, a `GET /public/users` signed by the signing
//! oracle at the emulator clock's current instant.

use serde_json::json;

use crate::{
    Vendor,
    admin::ui::{Action, Example, Panels, Row, Table, shell_quote},
};

use super::{
    signature::{self, Described},
    state::PortalioState,
};

pub fn panels(portalio: &PortalioState, base_url: &str) -> Panels {
    let rows = portalio
        .store()
        .all_accounts()
        .iter()
        .map(|account| {
            let data = account.data();
            let users: Vec<&str> = data.users.values().map(|u| u.username.as_str()).collect();
            Row {
                cells: vec![account.id.to_string(), account.name.clone(), users.join(", ")],
                actions: vec![Action::new("Delete", "DELETE", format!("/accounts/{}", account.id)).confirmed()],
            }
        })
        .collect();
    let accounts = Table {
        title: "Dealer accounts".into(),
        columns: vec!["id".into(), "name".into(), "users".into()],
        rows,
        create: Some(Action::new("Create a fresh account", "POST", "/accounts").with_body(json!({}))),
        empty: "No accounts.".into(),
    };
    Panels { examples: examples(portalio, base_url), tables: vec![accounts, deliveries(portalio)] }
}

/// How many delivery attempts the page shows (the control plane's
/// `/webhook-deliveries` lists every one kept).
const DELIVERIES_SHOWN: usize = 50;

/// The newest webhook delivery attempts, one row each.
fn deliveries(portalio: &PortalioState) -> Table {
    let backlog = portalio.webhooks.backlog();
    let rows = portalio
        .webhooks
        .deliveries(None, None, DELIVERIES_SHOWN)
        .into_iter()
        .map(|record| {
            let outcome = match (record.status, &record.error) {
                (Some(status), _) => status.to_string(),
                (None, Some(error)) => error.clone(),
                (None, None) => String::new(),
            };
            let state = serde_json::to_value(record.state).ok().and_then(|v| v.as_str().map(str::to_owned));
            Row {
                cells: vec![
                    record.at.to_string(),
                    record.event,
                    record.subscription_id.to_string(),
                    record.url,
                    record.attempt.to_string(),
                    state.unwrap_or_default(),
                    outcome,
                    record.next_attempt_at.map(|at| at.to_string()).unwrap_or_default(),
                ],
                actions: Vec::new(),
            }
        })
        .collect();
    Table {
        title: format!(
            "Webhook deliveries (newest {DELIVERIES_SHOWN}; {} in flight, {} queued, {} retries scheduled, {} dropped)",
            backlog.in_flight, backlog.queued, backlog.retries_scheduled, backlog.dropped
        ),
        columns: ["at", "event", "subscription", "url", "attempt", "state", "status or error", "next attempt"]
            .map(String::from)
            .to_vec(),
        rows,
        create: None,
        empty: "No delivery yet: subscribe a URL with POST /public/webhook/subscribe and make a change.".into(),
    }
}

/// A signed `GET /public/users` per account, with the first registered app.
fn examples(portalio: &PortalioState, base_url: &str) -> Vec<Example> {
    let store = portalio.store();
    let credentials = portalio.credentials();
    let Some(app_id) = credentials["apps"][0]["app_id"].as_str() else { return Vec::new() };
    let Some(secret) = store.secret_of(app_id) else { return Vec::new() };
    let date = signature::imf_fixdate(portalio.clock.now());
    let path = "/public/users";
    let addressed = format!("{base_url}{}{path}", Vendor::Portalio.prefix());
    let signed_url = portalio
        .settings
        .portalio_public_base_url
        .as_deref()
        .map_or_else(|| addressed.clone(), |public| format!("{}{path}", public.trim_end_matches('/')));
    let skew = portalio.settings.portalio_max_skew_seconds;
    store
        .all_accounts()
        .iter()
        .filter_map(|account| {
            let owned = account.data();
            let user = owned.users.values().find(|u| u.email_verified && u.subscription_active)?;
            let described =
                Described { method: "GET", url: &signed_url, content_type: None, date: &date, user_key: Some(&user.user_key) };
            let (_, signed) = signature::sign_described(&described, &secret, portalio.settings.portalio_secret_encoding).ok()?;
            let header = |name: &str, value: &str| format!(" -H {}", shell_quote(&format!("{name}: {value}")));
            Some(Example {
                label: format!(
                    "List the users of account {} ({}) as {}: signed for {date}, valid while the clock stays within {skew} s of it",
                    account.id, account.name, user.username
                ),
                command: format!(
                    "curl -s {}{}{}{}{}{}",
                    shell_quote(&addressed),
                    header(signature::ACCEPT, "application/json"),
                    header(signature::APP_ID, app_id),
                    header(signature::USER_KEY, &user.user_key),
                    header(signature::DATE, &date),
                    header(signature::SIGNATURE, &signed),
                ),
            })
        })
        .collect()
}
