//! Propal on the monitor page: its organizations (create a fresh one, delete) and a
//! ready-made request for each usable fixture key.

use crate::admin::ui::{Action, Example, Panels, Row, Table, shell_quote};

use super::state::PropalState;

pub fn panels(propal: &PropalState, base_url: &str) -> Panels {
    let store = propal.store();
    let now = propal.clock.now();
    let rows = store
        .all_orgs()
        .iter()
        .map(|org| {
            let keys = store.keys_of(org.id);
            let live = keys
                .iter()
                .filter(|k| {
                    let meta = k.meta();
                    meta.revoked_at.is_none() && meta.expires_at.is_none_or(|at| at > now)
                })
                .count();
            Row {
                cells: vec![
                    org.id.to_string(),
                    org.name.clone(),
                    format!("{live} usable of {}", keys.len()),
                    org.created_at.to_string(),
                ],
                actions: vec![Action::new("Delete", "DELETE", format!("/organizations/{}", org.id)).confirmed()],
            }
        })
        .collect();
    let organizations = Table {
        title: "Organizations".into(),
        columns: vec!["id".into(), "name".into(), "keys".into(), "created".into()],
        rows,
        create: Some(Action::new("Create a fresh organization", "POST", "/organizations")),
        empty: "No organizations.".into(),
    };
    Panels { examples: examples(propal, base_url), tables: vec![organizations] }
}

/// `GET /v1/proposals` with each fixture key that is neither revoked nor expired.
fn examples(propal: &PropalState, base_url: &str) -> Vec<Example> {
    let credentials = propal.credentials();
    let now = propal.clock.now();
    let base_path = credentials["base_path"].as_str().unwrap_or("/propal/v1");
    credentials["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|key| {
            let expires = key["expires_at"].as_str().and_then(|at| at.parse::<jiff::Timestamp>().ok());
            key["revoked"] == false && expires.is_none_or(|at| at > now)
        })
        .filter_map(|key| {
            let raw = key["key"].as_str()?;
            let name = key["name"].as_str().unwrap_or_default();
            Some(Example {
                label: format!("List proposals with the key \"{name}\""),
                command: format!(
                    "curl -s {} -H {}",
                    shell_quote(&format!("{base_url}{base_path}/proposals?limit=2")),
                    shell_quote(&format!("Authorization: Bearer {raw}"))
                ),
            })
        })
        .collect()
}
