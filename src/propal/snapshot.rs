//! Propal's whole state as its fixture files, and back: organizations, keys (hashes
//! only; the raw fixture keys the store was built with stay listed in
//! `raw_keys.json`), leads, products, templates, themes, proposals and media files.
//! Not saved: rate windows, pending signed-upload tokens (their media stay `pending`)
//! and the ids of deleted records that old cursors name.

use std::{collections::BTreeMap, sync::Arc};

use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    PropalState,
    model::{ApiKeyFixture, Member, OrganizationRecord, Owned, RawKeyFixture},
    state::{PropalFixtures, Store},
};
use crate::{
    Vendor,
    fixtures::{FixtureError, FixtureSet},
    vendor::Restore,
};

/// Every file, each list in a stable order (organization, then creation, then id).
pub fn snapshot(state: &PropalState) -> BTreeMap<String, Value> {
    let store = state.store();
    let mut orgs: Vec<_> = store.orgs.iter().map(|e| Arc::clone(e.value())).collect();
    orgs.sort_by_key(|o| (o.created_at, o.id));
    let organizations: Vec<OrganizationRecord> = orgs
        .iter()
        .map(|o| OrganizationRecord {
            id: o.id,
            name: o.name.clone(),
            created_at: o.created_at,
            members: o.members.iter().map(Member::clone).collect(),
        })
        .collect();
    let mut keys: Vec<ApiKeyFixture> = store
        .keys
        .iter()
        .map(|e| {
            let key = e.value();
            let meta = key.meta();
            ApiKeyFixture {
                id: key.id,
                organization_id: key.organization_id,
                name: key.name.clone(),
                prefix: key.prefix.clone(),
                key_hash: key.hash.0.clone(),
                scopes: meta.scopes,
                created_at: key.created_at,
                last_used_at: meta.last_used_at,
                revoked_at: meta.revoked_at,
                expires_at: meta.expires_at,
            }
        })
        .collect();
    keys.sort_by_key(|k| (k.created_at, k.id));
    let raw_keys: Vec<&RawKeyFixture> =
        store.raw_keys.iter().filter(|raw| keys.iter().any(|k| k.id == raw.id)).collect();

    let (mut leads, mut products, mut themes, mut proposals, mut media) = (vec![], vec![], vec![], vec![], vec![]);
    let mut templates: Vec<Value> = store.global_templates.iter().map(to_value).collect();
    for org in &orgs {
        let data = org.data();
        leads.extend(sorted(data.leads.values(), |r| (r.created_at, r.id)).map(|r| owned(org.id, r)));
        products.extend(sorted(data.products.values(), |r| (r.created_at, r.id)).map(|r| owned(org.id, r)));
        templates.extend(sorted(data.templates.values(), |r| (r.created_at, r.id)).map(to_value));
        themes.extend(sorted(data.themes.values(), |r| (r.created_at, r.id)).map(|r| owned(org.id, r)));
        proposals.extend(sorted(data.proposals.values(), |r| (r.created_at, r.id)).map(|r| owned(org.id, r)));
        media.extend(sorted(data.media.values(), |r| (r.created_at, r.id)).map(|r| owned(org.id, r)));
    }
    BTreeMap::from([
        ("organizations.json".to_owned(), json!({ "organizations": organizations })),
        ("api_keys.json".to_owned(), json!({ "keys": keys })),
        ("raw_keys.json".to_owned(), json!({ "keys": raw_keys })),
        ("leads.json".to_owned(), json!({ "leads": leads })),
        ("products.json".to_owned(), json!({ "products": products })),
        ("templates.json".to_owned(), json!({ "templates": templates })),
        ("themes.json".to_owned(), json!({ "themes": themes })),
        ("proposals.json".to_owned(), json!({ "proposals": proposals })),
        ("media.json".to_owned(), json!({ "media": media })),
    ])
}

/// Records in the order `key` gives.
fn sorted<'a, T: 'a, K: Ord>(
    records: impl Iterator<Item = &'a T>,
    key: impl Fn(&T) -> K,
) -> impl Iterator<Item = &'a T> {
    let mut all: Vec<&T> = records.collect();
    all.sort_by_key(|r| key(r));
    all.into_iter()
}

/// A record with its organization, as the fixture files list it.
fn owned<T: Serialize + Clone>(organization_id: Uuid, record: &T) -> Value {
    to_value(&Owned { organization_id, record: record.clone() })
}

fn to_value<T: Serialize>(record: &T) -> Value {
    serde_json::to_value(record).expect("records serialize")
}

/// Builds a store from the files (the same checks as start-up); the commit swaps it in.
pub fn restore<'a>(state: &'a PropalState, files: &FixtureSet) -> Result<Restore<'a>, FixtureError> {
    let fixtures = PropalFixtures::load(files)?;
    // Ids generated after a restore must not repeat the restored ones under --seed.
    let seed =
        state.seed.map(|seed| seed ^ crate::ids::salt(files.files(Vendor::Propal).map(|(_, f)| f.text.as_str())));
    let store = Store::from_fixtures(&fixtures, seed);
    Ok(Restore::new(move || state.store.replace(store)))
}
