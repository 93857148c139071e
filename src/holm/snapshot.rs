//! Holm's whole state as its fixture files, and back: organizations with their
//! organization key hash, partnerships and API keys (hashes only), the raw fixture
//! values that still work (`raw_credentials.json`), live sessions (token hashes
//! only), and the customers. Not saved: session rate windows, and the memory of
//! expired tokens (such a token answers `invalid_session` after a restore).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{
    HolmState,
    model::{ApiKeyRecord, Organization, RawApiKey, RawOrganizationKey, SessionRecord},
    secret::SecretHash,
    state::{Store, load_fixtures},
};
use crate::{
    Vendor,
    fixtures::{FixtureError, FixtureSet},
    vendor::Restore,
};

pub fn snapshot(state: &HolmState) -> BTreeMap<String, Value> {
    let store = state.store();
    let now = state.clock.now();
    let (mut organizations, mut organization_keys, mut api_keys) = (Vec::new(), Vec::new(), Vec::new());
    for org in store.all_orgs() {
        let inner = org.lock();
        let keys: Vec<ApiKeyRecord> = inner
            .keys
            .iter()
            .map(|key| ApiKeyRecord {
                id: key.id.clone(),
                name: key.name.clone(),
                prefix: key.prefix.clone(),
                key_hash: key.hash.0.clone(),
                partnership_id: key.partnership_id.clone(),
                customers_read: key.customers_read,
                allowed_origins: key.origins.iter().map(ToString::to_string).collect(),
                acknowledge_any_origin: key.acknowledge_any_origin,
                created_at: key.created_at,
                rotated_at: key.rotated_at,
                revoked_at: key.revoked_at,
                last_used_at: key.last_used_at,
            })
            .collect();
        // A raw fixture value is listed only while it still opens its lock.
        if let (Some(raw), Some(current)) = (store.raw_org_keys.get(&org.id), &inner.org_key)
            && current.matches(&SecretHash::of(raw))
        {
            organization_keys
                .push(RawOrganizationKey { organization_id: org.id.clone(), organization_key: raw.clone() });
        }
        for key in &inner.keys {
            if let Some(raw) = store.raw_api_keys.get(&key.id).filter(|raw| key.hash.matches(&SecretHash::of(raw))) {
                api_keys.push(RawApiKey { id: key.id.clone(), api_key: raw.clone() });
            }
        }
        let sessions = inner
            .sessions
            .iter()
            .filter(|s| s.expires_at > now)
            .map(|s| SessionRecord {
                id: s.id.clone(),
                token_hash: s.token_hash.0.clone(),
                key_id: s.key_id.clone(),
                ip: s.ip,
                created_at: s.created_at,
                expires_at: s.expires_at,
                last_used_at: s.last_used_at,
            })
            .collect();
        organizations.push(Organization {
            organization_id: org.id.clone(),
            name: org.name.clone(),
            organization_key_hash: inner.org_key.as_ref().map(|h| h.0.clone()),
            partnerships: org.partnerships.clone(),
            keys,
            sessions,
        });
    }
    BTreeMap::from([
        ("organizations.json".to_owned(), json!({ "organizations": organizations })),
        ("raw_credentials.json".to_owned(), json!({ "organization_keys": organization_keys, "api_keys": api_keys })),
        ("customers.json".to_owned(), json!({ "customers": store.data.customers })),
    ])
}

/// Builds a store from the files (the same checks as start-up); the commit swaps it in.
pub fn restore<'a>(state: &'a HolmState, files: &FixtureSet) -> Result<Restore<'a>, FixtureError> {
    let fixtures = load_fixtures(files)?;
    // Ids generated after a restore must not repeat the restored ones under --seed.
    let seed = state.seed.map(|seed| seed ^ crate::ids::salt(files.files(Vendor::Holm).map(|(_, f)| f.text.as_str())));
    let store = Store::from_fixtures(&fixtures, seed);
    Ok(Restore::new(move || state.store.replace(store)))
}
