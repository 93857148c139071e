//! Holm state: organizations (tenants) with their keys and sessions, the indexes
//! that find them by secret hash or id, and the partner data. Reset swaps in a
//! store rebuilt from the fixtures.
//!
//! Locks: each organization's keys and sessions sit behind its own mutex (see
//! [`super::org`]). The `DashMap` indexes are only read to learn which
//! organization to lock, and their guards are dropped before that lock is taken;
//! under an organization's lock the indexes are updated, never the other way
//! round, so the two never wait on each other in a cycle.

use std::{collections::HashMap, sync::Arc};

use dashmap::DashMap;
use jiff::Timestamp;
use serde_json::{Value, json};

use super::{
    config::Settings,
    data::PartnerData,
    limits::RateWindow,
    model::{CustomersFile, Organization, OrganizationsFile, RawCredentialsFile},
    org::{Key, Org, OrgInner, Session},
    origin::parse_rules,
    secret::{SecretHash, key_prefix},
};
use crate::{
    Vendor,
    clock::Clock,
    fixtures::{FixtureError, FixtureSet, check_raw_matches_hash},
    ids::{IdGen, Stream},
    store::Swappable,
    vendor::VendorContext,
};

/// Holm's shared state.
#[derive(Debug)]
pub struct HolmState {
    pub clock: Clock,
    pub settings: Settings,
    fixtures: Arc<Fixtures>,
    pub(super) seed: Option<u64>,
    pub(super) store: Swappable<Store>,
}

/// The parsed fixture set, kept to rebuild the store on reset.
#[derive(Debug)]
pub(super) struct Fixtures {
    organizations: Vec<Organization>,
    data: Arc<PartnerData>,
    /// Raw values by organization id and key id, for `/_emulator/credentials` only.
    raw_org_keys: HashMap<String, String>,
    raw_api_keys: HashMap<String, String>,
}

/// One generation of Holm data.
#[derive(Debug)]
pub struct Store {
    pub(super) orgs: DashMap<String, Arc<Org>>,
    /// Organization key hash → organization id.
    pub(super) org_keys: DashMap<String, String>,
    /// Session token hash → organization id (live sessions and the remembered expired ones).
    pub(super) tokens: DashMap<String, String>,
    /// API key id → organization id.
    pub(super) key_orgs: DashMap<String, String>,
    /// Session id → organization id.
    pub(super) session_orgs: DashMap<String, String>,
    /// Customers, usage, engagement and churn signals (fixture data, read-only).
    pub data: Arc<PartnerData>,
    pub ids: IdGen,
    /// The raw fixture values this store was built with, by organization id and key
    /// id, for `/_emulator/credentials` only.
    pub(super) raw_org_keys: Arc<HashMap<String, String>>,
    pub(super) raw_api_keys: Arc<HashMap<String, String>>,
}

impl HolmState {
    pub fn new(context: &VendorContext<'_>, settings: &Settings) -> Result<Self, FixtureError> {
        let fixtures = Arc::new(load_fixtures(context.fixtures)?);
        let seed = context.seed;
        let store = Swappable::new(Store::from_fixtures(&fixtures, seed));
        Ok(Self { clock: context.clock.clone(), settings: settings.clone(), fixtures, seed, store })
    }

    /// The current store; a request keeps the one it took.
    pub fn store(&self) -> Arc<Store> {
        self.store.current()
    }

    pub fn reset(&self) {
        self.store.replace(Store::from_fixtures(&self.fixtures, self.seed));
    }

    /// The raw fixture credentials (CONTRACT §6.2), with each key's current settings.
    /// A raw value that no longer works (the org key was deleted, the key rotated) is null.
    pub fn credentials(&self) -> Value {
        let store = self.store();
        let mut orgs: Vec<Arc<Org>> = store.orgs.iter().map(|e| Arc::clone(e.value())).collect();
        orgs.sort_by(|a, b| a.id.cmp(&b.id));
        let organizations: Vec<Value> =
            orgs.iter()
                .filter(|org| store.raw_org_keys.contains_key(&org.id))
                .map(|org| {
                    let inner = org.lock();
                    let keys: Vec<Value> = inner
                        .keys
                        .iter()
                        .filter_map(|key| {
                            let raw = store.raw_api_keys.get(&key.id)?;
                            let raw = key.hash.matches(&SecretHash::of(raw)).then_some(raw);
                            Some(json!({
                                "id": key.id, "api_key": raw, "name": key.name,
                                "partnership_type": key.partnership_type, "scopes": key.scopes(),
                                "allowed_origins": key.origins, "revoked": key.revoked_at.is_some(),
                            }))
                        })
                        .collect();
                    let org_key = store.raw_org_keys.get(&org.id).filter(|raw| {
                        inner.org_key.as_ref().is_some_and(|current| current.matches(&SecretHash::of(raw)))
                    });
                    json!({
                        "organization_id": org.id,
                        "organization_key": org_key,
                        "keys": keys,
                    })
                })
                .collect();
        json!({ "base_path": "/holm/v1", "organizations": organizations })
    }

    pub fn counts(&self) -> Value {
        let store = self.store();
        let now = self.clock.now();
        let (mut keys, mut sessions) = (0, 0);
        for org in &store.orgs {
            let inner = org.lock();
            keys += inner.keys.len();
            sessions += inner.sessions.iter().filter(|s| s.expires_at > now).count();
        }
        json!({
            "organizations": store.orgs.len(), "api_keys": keys, "sessions": sessions,
            "customers": store.data.customers.len(),
        })
    }
}

impl Store {
    pub(super) fn from_fixtures(fixtures: &Fixtures, seed: Option<u64>) -> Self {
        let store = Store {
            orgs: DashMap::new(),
            org_keys: DashMap::new(),
            tokens: DashMap::new(),
            key_orgs: DashMap::new(),
            session_orgs: DashMap::new(),
            data: Arc::clone(&fixtures.data),
            ids: IdGen::new(seed, Stream::Holm),
            raw_org_keys: Arc::new(fixtures.raw_org_keys.clone()),
            raw_api_keys: Arc::new(fixtures.raw_api_keys.clone()),
        };
        for record in &fixtures.organizations {
            let keys = record.keys.iter().map(|k| key_from_fixture(record, k)).collect();
            let org_key = record.organization_key_hash.clone().map(SecretHash);
            let sessions = record.sessions.iter().map(session_from_fixture).collect();
            let inner = OrgInner { org_key, keys, sessions, ..OrgInner::default() };
            store.insert_org(Org::new(
                record.organization_id.clone(),
                record.name.clone(),
                record.partnerships.clone(),
                inner,
            ));
        }
        store
    }

    /// A store with no organizations and no data, for unit tests.
    #[cfg(test)]
    pub(super) fn empty() -> Self {
        Store {
            orgs: DashMap::new(),
            org_keys: DashMap::new(),
            tokens: DashMap::new(),
            key_orgs: DashMap::new(),
            session_orgs: DashMap::new(),
            data: Arc::new(PartnerData::default()),
            ids: IdGen::new(Some(7), Stream::Holm),
            raw_org_keys: Arc::default(),
            raw_api_keys: Arc::default(),
        }
    }

    /// Adds an organization and indexes its organization key and API keys.
    pub fn insert_org(&self, org: Org) -> Arc<Org> {
        let org = Arc::new(org);
        {
            let inner = org.lock();
            if let Some(hash) = &inner.org_key {
                self.org_keys.insert(hash.0.clone(), org.id.clone());
            }
            for key in &inner.keys {
                self.key_orgs.insert(key.id.clone(), org.id.clone());
            }
            for session in &inner.sessions {
                self.tokens.insert(session.token_hash.0.clone(), org.id.clone());
                self.session_orgs.insert(session.id.clone(), org.id.clone());
            }
        }
        self.orgs.insert(org.id.clone(), Arc::clone(&org));
        org
    }

    pub fn org(&self, id: &str) -> Option<Arc<Org>> {
        self.orgs.get(id).map(|e| Arc::clone(e.value()))
    }

    /// Every organization, by id.
    pub fn all_orgs(&self) -> Vec<Arc<Org>> {
        let mut orgs: Vec<Arc<Org>> = self.orgs.iter().map(|e| Arc::clone(e.value())).collect();
        orgs.sort_by(|a, b| a.id.cmp(&b.id));
        orgs
    }

    /// The organization owning an index entry (the guard is dropped before returning).
    pub(super) fn org_via(&self, index: &DashMap<String, String>, key: &str) -> Option<Arc<Org>> {
        let id = index.get(key).map(|e| e.value().clone())?;
        self.org(&id)
    }

    /// Drops the index entries of ended sessions.
    pub(super) fn forget_sessions(&self, ended: &[(String, SecretHash)]) {
        for (id, hash) in ended {
            self.session_orgs.remove(id);
            self.tokens.remove(&hash.0);
        }
    }

    /// Purges an organization's expired sessions (its lock held) and drops the index
    /// entries that no longer lead anywhere.
    pub(super) fn purge(&self, inner: &mut OrgInner, now: Timestamp) {
        let (expired, forgotten) = inner.purge(now);
        for id in expired {
            self.session_orgs.remove(&id);
        }
        for hash in forgotten {
            self.tokens.remove(&hash.0);
        }
    }
}

fn session_from_fixture(record: &super::model::SessionRecord) -> Session {
    Session {
        id: record.id.clone(),
        token_hash: SecretHash(record.token_hash.to_ascii_lowercase()),
        key_id: record.key_id.clone(),
        ip: record.ip,
        created_at: record.created_at,
        expires_at: record.expires_at,
        last_used_at: record.last_used_at,
        rate: RateWindow::default(),
    }
}

fn key_from_fixture(org: &Organization, record: &super::model::ApiKeyRecord) -> Key {
    let kind = org.partnerships.iter().find(|p| p.id == record.partnership_id).map(|p| p.kind);
    Key {
        id: record.id.clone(),
        name: record.name.clone(),
        prefix: record.prefix.clone(),
        hash: SecretHash(record.key_hash.clone()),
        partnership_id: record.partnership_id.clone(),
        partnership_type: kind.expect("checked at load"),
        customers_read: record.customers_read,
        origins: parse_rules(&record.allowed_origins).expect("checked at load"),
        acknowledge_any_origin: record.acknowledge_any_origin,
        created_at: record.created_at,
        rotated_at: record.rotated_at,
        revoked_at: record.revoked_at,
        last_used_at: record.last_used_at,
    }
}

pub(super) fn load_fixtures(set: &FixtureSet) -> Result<Fixtures, FixtureError> {
    let OrganizationsFile { organizations } = set.parse(Vendor::Holm, "organizations.json")?;
    let raw: RawCredentialsFile = set.parse(Vendor::Holm, "raw_credentials.json")?;
    let customers: CustomersFile = set.parse(Vendor::Holm, "customers.json")?;
    let raw_file = set.display_name(Vendor::Holm, "raw_credentials.json");
    let orgs_file = set.display_name(Vendor::Holm, "organizations.json");
    let customers_file = set.display_name(Vendor::Holm, "customers.json");
    let mut raw_org_keys = HashMap::new();
    for (i, entry) in raw.organization_keys.iter().enumerate() {
        let org = organizations.iter().find(|o| o.organization_id == entry.organization_id).ok_or_else(|| {
            FixtureError::new(&raw_file, format!("$.organization_keys[{i}].organization_id"), "no such organization")
        })?;
        let path = format!("$.organization_keys[{i}].organization_key");
        let Some(hash) = &org.organization_key_hash else {
            return Err(FixtureError::new(&raw_file, path, "the organization has API access off (no key hash)"));
        };
        check_raw_matches_hash(&raw_file, &path, &entry.organization_key, hash)?;
        raw_org_keys.insert(entry.organization_id.clone(), entry.organization_key.clone());
    }
    let mut raw_api_keys = HashMap::new();
    for (i, entry) in raw.api_keys.iter().enumerate() {
        let key = organizations
            .iter()
            .flat_map(|o| &o.keys)
            .find(|k| k.id == entry.id)
            .ok_or_else(|| FixtureError::new(&raw_file, format!("$.api_keys[{i}].id"), "no such key"))?;
        let path = format!("$.api_keys[{i}].api_key");
        check_raw_matches_hash(&raw_file, &path, &entry.api_key, &key.key_hash)?;
        if key_prefix(&entry.api_key) != key.prefix {
            return Err(FixtureError::new(&raw_file, path, "the key's first 8 characters are not its stored prefix"));
        }
        raw_api_keys.insert(entry.id.clone(), entry.api_key.clone());
    }
    for (o, org) in organizations.iter().enumerate() {
        for (k, key) in org.keys.iter().enumerate() {
            let at = |field: &str| format!("$.organizations[{o}].keys[{k}].{field}");
            if org.partnership(&key.partnership_id).is_none() {
                return Err(FixtureError::new(
                    &orgs_file,
                    at("partnership_id"),
                    "not a partnership of this organization",
                ));
            }
            parse_rules(&key.allowed_origins).map_err(|e| FixtureError::new(&orgs_file, at("allowed_origins"), e))?;
            if key.allowed_origins.is_empty() && !key.acknowledge_any_origin {
                let reason = "a key without allowed origins needs \"acknowledge_any_origin\": true";
                return Err(FixtureError::new(&orgs_file, at("allowed_origins"), reason));
            }
        }
    }
    for (o, org) in organizations.iter().enumerate() {
        for (s, session) in org.sessions.iter().enumerate() {
            let at = |field: &str| format!("$.organizations[{o}].sessions[{s}].{field}");
            if !org.keys.iter().any(|k| k.id == session.key_id) {
                return Err(FixtureError::new(&orgs_file, at("key_id"), "not a key of this organization"));
            }
            if session.token_hash.len() != 64 || !session.token_hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(FixtureError::new(&orgs_file, at("token_hash"), "not a SHA-256 hex digest"));
            }
        }
    }
    let data = PartnerData::new(customers.customers, &organizations)
        .map_err(|(path, reason)| FixtureError::new(&customers_file, path, reason))?;
    Ok(Fixtures { organizations, data: Arc::new(data), raw_org_keys, raw_api_keys })
}

impl Organization {
    fn partnership(&self, id: &str) -> Option<&super::model::Partnership> {
        self.partnerships.iter().find(|p| p.id == id)
    }
}
