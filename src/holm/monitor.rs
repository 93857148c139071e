//! Holm on the monitor page: organizations (create a fresh one, enable or disable
//! API access), live sessions (key, IP lock, time left, rate budget; invalidate) and
//! a ready-made session request for each fixture key that accepts any origin.

use serde_json::json;

use crate::admin::ui::{Action, Example, Panels, Row, Table, shell_quote};

use super::state::HolmState;

pub fn panels(holm: &HolmState, base_url: &str) -> Panels {
    let now = holm.clock.now();
    let limit = holm.settings.holm_requests_per_second;
    let (mut organizations, mut sessions) = (Vec::new(), Vec::new());
    for org in holm.store().all_orgs() {
        let inner = org.lock();
        let enabled = inner.org_key.is_some();
        let access = if enabled {
            Action::new("Disable API access", "DELETE", format!("/organizations/{}/org-key", org.id)).confirmed()
        } else {
            Action::new("Enable API access", "POST", format!("/organizations/{}/enable", org.id))
        };
        let live_keys = inner.keys.iter().filter(|k| k.revoked_at.is_none()).count();
        organizations.push(Row {
            cells: vec![
                org.id.clone(),
                org.name.clone(),
                if enabled { "on".into() } else { "off".into() },
                format!("{live_keys} live of {}", inner.keys.len()),
            ],
            actions: vec![access],
        });
        for session in inner.sessions.iter().filter(|s| s.expires_at > now) {
            let key = inner.key(&session.key_id).map_or_else(|| session.key_id.clone(), |k| k.name.clone());
            let left = session.expires_at.duration_since(now).as_secs();
            let budget = if limit == 0 {
                "unlimited".to_owned()
            } else {
                format!("{} of {limit} left this second", (limit as usize).saturating_sub(session.rate.used(now)))
            };
            sessions.push(Row {
                cells: vec![
                    session.id.clone(),
                    org.id.clone(),
                    key,
                    session.ip.map_or_else(|| "none".to_owned(), |ip| ip.to_string()),
                    format!("{}m {:02}s", left / 60, left % 60),
                    budget,
                ],
                actions: vec![Action::new("Invalidate", "DELETE", format!("/sessions/{}", session.id)).confirmed()],
            });
        }
    }
    let organizations = Table {
        title: "Organizations".into(),
        columns: vec!["id".into(), "name".into(), "API access".into(), "keys".into()],
        rows: organizations,
        create: Some(Action::new("Create a fresh organization", "POST", "/organizations").with_body(json!({}))),
        empty: "No organizations.".into(),
    };
    let sessions = Table {
        title: "Sessions".into(),
        columns: ["id", "organization", "key", "IP lock", "time left", "rate budget"].map(String::from).to_vec(),
        rows: sessions,
        create: None,
        empty: "No live session. Open one with a ready-made request above.".into(),
    };
    Panels { examples: examples(holm, base_url), tables: vec![organizations, sessions] }
}

/// `POST /v1/auth/session` with each live fixture key whose origins are "any".
fn examples(holm: &HolmState, base_url: &str) -> Vec<Example> {
    let credentials = holm.credentials();
    let base_path = credentials["base_path"].as_str().unwrap_or("/holm/v1");
    let mut examples = Vec::new();
    for org in credentials["organizations"].as_array().into_iter().flatten() {
        let Some(org_key) = org["organization_key"].as_str() else { continue };
        for key in org["keys"].as_array().into_iter().flatten() {
            let any_origin = key["allowed_origins"].as_array().is_some_and(Vec::is_empty);
            let (Some(api_key), false, true) = (key["api_key"].as_str(), key["revoked"] == true, any_origin) else {
                continue;
            };
            let body = json!({ "organizer_key": org_key, "api_key": api_key }).to_string();
            examples.push(Example {
                label: format!(
                    "Open a session with the key \"{}\" of {}",
                    key["name"].as_str().unwrap_or_default(),
                    org["organization_id"].as_str().unwrap_or_default()
                ),
                command: format!(
                    "curl -s {} -H 'Content-Type: application/json' -d {}",
                    shell_quote(&format!("{base_url}{base_path}/auth/session")),
                    shell_quote(&body)
                ),
            });
        }
    }
    examples
}
