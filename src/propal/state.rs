//! Propal's state: organizations (tenants) with their data and rate windows, and
//! API keys by hash. Reset swaps in a store rebuilt from the fixtures.
//!
//! Locks: each organization's data sits behind one `std::sync::Mutex`, so every
//! check-then-act (slug uniqueness, theme in use) is one critical section that
//! never awaits. Keys live in a `DashMap` by hash; a key's mutable part (scopes,
//! revocation, expiry, last use) behind its own mutex.

use std::{
    collections::{BTreeSet, HashMap},
    sync::{Arc, Mutex, MutexGuard},
};

use dashmap::DashMap;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    auth::{KEY_PREFIX, KeyHash, Scope},
    config::Settings,
    error::PropalError,
    limits::SlidingWindow,
    model::{
        ApiKeyFixture, Lead, MediaFile, Member, OrganizationRecord, Owned, Product, Proposal, RawKeyFixture, Template,
        Theme, millis, ms,
    },
    records::{Ordered, Records},
};
use crate::{
    Vendor,
    clock::Clock,
    fixtures::{FixtureError, FixtureSet, check_raw_matches_hash},
    ids::{IdGen, Stream},
    store::Swappable,
    vendor::VendorContext,
};

/// Propal's shared state.
#[derive(Debug)]
pub struct PropalState {
    pub clock: Clock,
    pub settings: Settings,
    fixtures: Arc<PropalFixtures>,
    pub(super) seed: Option<u64>,
    pub(super) store: Swappable<Store>,
}

/// The parsed fixture set, kept to rebuild the store on reset.
#[derive(Debug)]
pub(super) struct PropalFixtures {
    organizations: Vec<OrganizationRecord>,
    keys: Vec<ApiKeyFixture>,
    /// Raw fixture keys by key id: only `/_emulator/credentials` reads them.
    raw_keys: Vec<RawKeyFixture>,
    leads: Vec<Owned<Lead>>,
    products: Vec<Owned<Product>>,
    templates: Vec<Template>,
    themes: Vec<Owned<Theme>>,
    proposals: Vec<Owned<Proposal>>,
    /// `media.json` (written by state exports; optional).
    media: Vec<Owned<MediaFile>>,
}

/// One generation of Propal data.
#[derive(Debug)]
pub struct Store {
    pub(super) orgs: DashMap<Uuid, Arc<Org>>,
    pub(super) keys: DashMap<KeyHash, Arc<KeyRecord>>,
    key_ids: DashMap<Uuid, KeyHash>,
    /// The raw fixture keys this store was built with (for `/_emulator/credentials`).
    pub(super) raw_keys: Arc<Vec<RawKeyFixture>>,
    /// Templates with a null `organization_id`, visible to every organization.
    pub global_templates: Vec<Template>,
    pub ids: IdGen,
}

/// An organization: the tenant that owns data, keys and a rate budget.
#[derive(Debug)]
pub struct Org {
    pub id: Uuid,
    pub name: String,
    pub created_at: Timestamp,
    pub members: Vec<Member>,
    data: Mutex<OrgData>,
    pub window: Mutex<SlidingWindow>,
}

/// Everything an organization owns.
#[derive(Debug, Default)]
pub struct OrgData {
    pub proposals: Records<Proposal>,
    pub leads: Records<Lead>,
    pub products: Records<Product>,
    pub templates: Records<Template>,
    pub themes: Records<Theme>,
    pub media: Records<MediaFile>,
    /// Signed upload tokens (SHA-256 hex) → media id and expiry.
    pub uploads: HashMap<String, (Uuid, Timestamp)>,
    /// The kind and creation instant of every id this organization ever listed,
    /// deleted ones included, so a cursor naming a since-deleted item still resumes
    /// in place, and one naming another list's item is refused.
    created_at_of: HashMap<Uuid, (&'static str, Timestamp)>,
}

/// A kind of record an organization owns: where it is kept and its 404 text.
pub trait Record: Ordered + Sized {
    /// Propal's 404 message for it, e.g. `Lead not found.`.
    const NOT_FOUND: &'static str;
    /// What the explain detail calls it.
    const NOUN: &'static str;
    fn all(data: &OrgData) -> &Records<Self>;
    fn all_mut(data: &mut OrgData) -> &mut Records<Self>;

    /// The 404 for an id this organization does not have.
    fn missing(id: Uuid) -> PropalError {
        PropalError::not_found(Self::NOT_FOUND, format!("no {} {id} in this organization", Self::NOUN))
    }
}

macro_rules! records {
    ($($record:ty => $field:ident, $noun:literal, $not_found:literal;)+) => {$(
        impl Record for $record {
            const NOT_FOUND: &'static str = $not_found;
            const NOUN: &'static str = $noun;
            fn all(data: &OrgData) -> &Records<Self> {
                &data.$field
            }
            fn all_mut(data: &mut OrgData) -> &mut Records<Self> {
                &mut data.$field
            }
        }
        impl Ordered for $record {
            fn id(&self) -> Uuid {
                self.id
            }
            fn created_at(&self) -> Timestamp {
                self.created_at
            }
        }
    )+};
}

records! {
    Proposal => proposals, "proposal", "Proposal not found.";
    Lead => leads, "lead", "Lead not found.";
    Product => products, "product", "Product not found.";
    Template => templates, "template", "Template not found.";
    Theme => themes, "theme", "Theme not found.";
    MediaFile => media, "media file", "Media file not found.";
}

impl OrgData {
    /// The organization's record `id`, or its 404.
    pub fn find<R: Record>(&self, id: Uuid) -> Result<&R, PropalError> {
        R::all(self).get(&id).ok_or_else(|| R::missing(id))
    }

    pub fn find_mut<R: Record>(&mut self, id: Uuid) -> Result<&mut R, PropalError> {
        R::all_mut(self).get_mut(&id).ok_or_else(|| R::missing(id))
    }

    /// Stores a record, remembering its creation instant for cursors.
    pub fn add<R: Record>(&mut self, record: R) {
        self.created_at_of.insert(record.id(), (R::NOUN, record.created_at()));
        R::all_mut(self).insert(record);
    }

    /// When the `R` with this id was made, if this organization ever had it (for cursors).
    pub fn created_at<R: Record>(&self, id: Uuid) -> Option<Timestamp> {
        self.created_at_of.get(&id).filter(|(noun, _)| *noun == R::NOUN).map(|(_, at)| *at)
    }

    /// Removes the record `id`, or answers its 404.
    pub fn take<R: Record>(&mut self, id: Uuid) -> Result<R, PropalError> {
        R::all_mut(self).remove(&id).ok_or_else(|| R::missing(id))
    }
}

/// A stored API key: hash and metadata, never the raw key.
#[derive(Debug)]
pub struct KeyRecord {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub prefix: String,
    pub hash: KeyHash,
    pub created_at: Timestamp,
    meta: Mutex<KeyMeta>,
}

/// The part of a key that changes.
#[derive(Clone, Debug)]
pub struct KeyMeta {
    pub scopes: BTreeSet<Scope>,
    pub revoked_at: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

impl KeyRecord {
    pub fn meta(&self) -> KeyMeta {
        self.meta.lock().unwrap().clone()
    }

    pub fn touch(&self, now: Timestamp) {
        self.meta.lock().unwrap().last_used_at = Some(millis(now));
    }

    pub fn update(&self, change: impl FnOnce(&mut KeyMeta)) -> KeyMeta {
        let mut meta = self.meta.lock().unwrap();
        change(&mut meta);
        meta.clone()
    }

    /// The control plane's view (no raw key).
    pub fn view(&self) -> KeyView {
        let meta = self.meta();
        KeyView {
            id: self.id,
            organization_id: self.organization_id,
            prefix: self.prefix.clone(),
            name: self.name.clone(),
            scopes: meta.scopes,
            created_at: ms::format(self.created_at),
            last_used_at: meta.last_used_at.map(ms::format),
            revoked_at: meta.revoked_at.map(ms::format),
            expires_at: meta.expires_at.map(ms::format),
        }
    }
}

/// A key as the control plane lists it: its prefix, never the raw key.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PropalKeyView)]
pub struct KeyView {
    pub id: Uuid,
    pub organization_id: Uuid,
    /// The first characters of the key, as the dashboard shows them.
    pub prefix: String,
    pub name: String,
    pub scopes: BTreeSet<Scope>,
    /// RFC 3339, milliseconds.
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    pub expires_at: Option<String>,
}

impl Org {
    pub fn new(id: Uuid, name: String, created_at: Timestamp, members: Vec<Member>) -> Self {
        Self {
            id,
            name,
            created_at,
            members,
            data: Mutex::new(OrgData::default()),
            window: Mutex::new(SlidingWindow::default()),
        }
    }

    /// The organization's data, locked. Never hold it across an `.await`.
    pub fn data(&self) -> MutexGuard<'_, OrgData> {
        self.data.lock().unwrap()
    }
}

/// A key just made: the raw value, shown once, and its record.
pub struct NewKey {
    pub raw: String,
    pub record: Arc<KeyRecord>,
}

impl NewKey {
    /// The answer to a key creation: the raw value, shown this once (CONTRACT §6.6).
    pub fn view(&self) -> CreatedKey {
        let meta = self.record.meta();
        CreatedKey {
            id: self.record.id,
            key: self.raw.clone(),
            prefix: self.record.prefix.clone(),
            name: self.record.name.clone(),
            scopes: meta.scopes,
            expires_at: meta.expires_at.map(ms::format),
        }
    }
}

/// A key just created, with its raw value: the only time it is shown.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = PropalCreatedKey)]
pub struct CreatedKey {
    pub id: Uuid,
    /// `pp_live_…`: store it now, it is never shown again.
    pub key: String,
    pub prefix: String,
    pub name: String,
    pub scopes: BTreeSet<Scope>,
    pub expires_at: Option<String>,
}

impl Store {
    pub fn key_by_hash(&self, hash: &KeyHash) -> Option<Arc<KeyRecord>> {
        self.keys.get(hash).map(|entry| Arc::clone(entry.value()))
    }

    pub fn key_by_id(&self, id: Uuid) -> Option<Arc<KeyRecord>> {
        let hash = self.key_ids.get(&id).map(|entry| entry.value().clone())?;
        self.key_by_hash(&hash)
    }

    pub fn org(&self, id: Uuid) -> Option<Arc<Org>> {
        self.orgs.get(&id).map(|entry| Arc::clone(entry.value()))
    }

    /// Every organization, oldest first.
    pub fn all_orgs(&self) -> Vec<Arc<Org>> {
        let mut orgs: Vec<_> = self.orgs.iter().map(|e| Arc::clone(e.value())).collect();
        orgs.sort_by_key(|o| (o.created_at, o.id));
        orgs
    }

    /// Every key of an organization, oldest first.
    pub fn keys_of(&self, org: Uuid) -> Vec<Arc<KeyRecord>> {
        let mut keys: Vec<_> =
            self.keys.iter().filter(|e| e.value().organization_id == org).map(|e| Arc::clone(e.value())).collect();
        keys.sort_by_key(|k| (k.created_at, k.id));
        keys
    }

    /// Adds an organization (O(1)).
    pub fn insert_org(&self, org: Org) -> Arc<Org> {
        let org = Arc::new(org);
        self.orgs.insert(org.id, Arc::clone(&org));
        org
    }

    /// Removes an organization and every key of it.
    pub fn remove_org(&self, id: Uuid) -> bool {
        if self.orgs.remove(&id).is_none() {
            return false;
        }
        let hashes: Vec<KeyHash> =
            self.keys.iter().filter(|e| e.value().organization_id == id).map(|e| e.key().clone()).collect();
        for hash in hashes {
            if let Some((_, record)) = self.keys.remove(&hash) {
                self.key_ids.remove(&record.id);
            }
        }
        true
    }

    /// Makes a key: `pp_live_` + 32 random bytes as base64url; only the hash is kept.
    pub fn create_key(
        &self,
        organization_id: Uuid,
        name: String,
        scopes: BTreeSet<Scope>,
        expires_at: Option<Timestamp>,
        now: Timestamp,
    ) -> NewKey {
        let raw = format!("{KEY_PREFIX}{}", self.ids.base64url(32));
        let hash = super::auth::ApiKey::parse(&raw).expect("generated keys are well formed").hash();
        let record = Arc::new(KeyRecord {
            id: self.ids.uuid(),
            organization_id,
            name,
            prefix: raw[..KEY_PREFIX.len() + 4].to_owned(),
            hash: hash.clone(),
            created_at: millis(now),
            meta: Mutex::new(KeyMeta {
                scopes,
                revoked_at: None,
                expires_at: expires_at.map(millis),
                last_used_at: None,
            }),
        });
        self.key_ids.insert(record.id, hash.clone());
        self.keys.insert(hash, Arc::clone(&record));
        NewKey { raw, record }
    }

    pub fn org_count(&self) -> usize {
        self.orgs.len()
    }

    pub fn key_count(&self) -> usize {
        self.keys.len()
    }
}

impl PropalState {
    pub fn new(context: &VendorContext<'_>, settings: &Settings) -> Result<Self, FixtureError> {
        let fixtures = Arc::new(PropalFixtures::load(context.fixtures)?);
        let seed = context.seed;
        let store = Swappable::new(Store::from_fixtures(&fixtures, seed));
        Ok(Self { clock: context.clock.clone(), settings: settings.clone(), fixtures, seed, store })
    }

    /// The current store; a request keeps the one it took.
    pub fn store(&self) -> Arc<Store> {
        self.store.current()
    }

    /// Back to the fixtures in one swap; the id generator restarts from the seed.
    pub fn reset(&self) {
        self.store.replace(Store::from_fixtures(&self.fixtures, self.seed));
    }

    /// `{"base_path":"/propal/v1","keys":[…]}` with the raw fixture keys.
    pub fn credentials(&self) -> Value {
        let store = self.store();
        let keys: Vec<Value> = store
            .raw_keys
            .iter()
            .filter_map(|raw| {
                let record = store.key_by_id(raw.id)?;
                let meta = record.meta();
                Some(json!({
                    "id": record.id,
                    "key": raw.key,
                    "name": record.name,
                    "organization_id": record.organization_id,
                    "scopes": meta.scopes,
                    "revoked": meta.revoked_at.is_some(),
                    "expires_at": meta.expires_at.map(ms::format),
                }))
            })
            .collect();
        json!({ "base_path": "/propal/v1", "keys": keys })
    }

    pub fn counts(&self) -> Value {
        let store = self.store();
        let (mut proposals, mut leads) = (0, 0);
        for org in &store.orgs {
            let data = org.value().data();
            proposals += data.proposals.len();
            leads += data.leads.len();
        }
        json!({ "organizations": store.org_count(), "keys": store.key_count(), "proposals": proposals, "leads": leads })
    }
}

impl Store {
    pub(super) fn from_fixtures(fixtures: &PropalFixtures, seed: Option<u64>) -> Self {
        let store = Store {
            orgs: DashMap::new(),
            keys: DashMap::new(),
            key_ids: DashMap::new(),
            raw_keys: Arc::new(fixtures.raw_keys.clone()),
            global_templates: fixtures.templates.iter().filter(|t| t.organization_id.is_none()).cloned().collect(),
            ids: IdGen::new(seed, Stream::Propal),
        };
        for org in &fixtures.organizations {
            store.insert_org(Org::new(org.id, org.name.clone(), org.created_at, org.members.clone()));
        }
        for key in &fixtures.keys {
            let hash = KeyHash(key.key_hash.to_ascii_lowercase());
            let record = KeyRecord {
                id: key.id,
                organization_id: key.organization_id,
                name: key.name.clone(),
                prefix: key.prefix.clone(),
                hash: hash.clone(),
                created_at: key.created_at,
                meta: Mutex::new(KeyMeta {
                    scopes: key.scopes.clone(),
                    revoked_at: key.revoked_at,
                    expires_at: key.expires_at,
                    last_used_at: key.last_used_at,
                }),
            };
            store.key_ids.insert(key.id, hash.clone());
            store.keys.insert(hash, Arc::new(record));
        }
        let with_org = |id: Uuid, fill: &mut dyn FnMut(&mut OrgData)| {
            if let Some(org) = store.org(id) {
                fill(&mut org.data());
            }
        };
        for Owned { organization_id, record } in &fixtures.leads {
            with_org(*organization_id, &mut |d| d.add(record.clone()));
        }
        for Owned { organization_id, record } in &fixtures.products {
            with_org(*organization_id, &mut |d| d.add(record.clone()));
        }
        for template in &fixtures.templates {
            if let Some(org) = template.organization_id {
                with_org(org, &mut |d| d.add(template.clone()));
            }
        }
        for Owned { organization_id, record } in &fixtures.themes {
            with_org(*organization_id, &mut |d| d.add(record.clone()));
        }
        for Owned { organization_id, record } in &fixtures.proposals {
            with_org(*organization_id, &mut |d| d.add(record.clone()));
        }
        for Owned { organization_id, record } in &fixtures.media {
            with_org(*organization_id, &mut |d| d.add(record.clone()));
        }
        store
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganizationsFile {
    organizations: Vec<OrganizationRecord>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeysFile {
    keys: Vec<ApiKeyFixture>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeysFile {
    keys: Vec<RawKeyFixture>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LeadsFile {
    leads: Vec<Owned<Lead>>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductsFile {
    products: Vec<Owned<Product>>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplatesFile {
    templates: Vec<Template>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemesFile {
    themes: Vec<Owned<Theme>>,
}
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProposalsFile {
    proposals: Vec<Owned<Proposal>>,
}
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MediaFilesFile {
    media: Vec<Owned<MediaFile>>,
}

impl PropalFixtures {
    /// Parses every Propal file and checks what serde cannot: references between
    /// files, and that each raw key hashes to its stored hash.
    pub(super) fn load(set: &FixtureSet) -> Result<Self, FixtureError> {
        let v = Vendor::Propal;
        let OrganizationsFile { organizations } = set.parse(v, "organizations.json")?;
        let KeysFile { keys } = set.parse(v, "api_keys.json")?;
        let RawKeysFile { keys: raw_keys } = set.parse(v, "raw_keys.json")?;
        let LeadsFile { leads } = set.parse(v, "leads.json")?;
        let ProductsFile { products } = set.parse(v, "products.json")?;
        let TemplatesFile { templates } = set.parse(v, "templates.json")?;
        let ThemesFile { themes } = set.parse(v, "themes.json")?;
        let ProposalsFile { proposals } = set.parse(v, "proposals.json")?;
        let MediaFilesFile { media } = set.parse_optional(v, "media.json")?.unwrap_or_default();

        let org_ids: BTreeSet<Uuid> = organizations.iter().map(|o| o.id).collect();
        let check_org = |file: &str, path: String, id: Uuid| {
            if org_ids.contains(&id) {
                Ok(())
            } else {
                Err(FixtureError::new(set.display_name(v, file), path, format!("no organization {id}")))
            }
        };
        for (i, key) in keys.iter().enumerate() {
            check_org("api_keys.json", format!("$.keys[{i}].organization_id"), key.organization_id)?;
            if key.key_hash.len() != 64 || !key.key_hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                let file = set.display_name(v, "api_keys.json");
                return Err(FixtureError::new(file, format!("$.keys[{i}].key_hash"), "not a SHA-256 hex digest"));
            }
        }
        let raw_file = set.display_name(v, "raw_keys.json");
        for (i, raw) in raw_keys.iter().enumerate() {
            let key = keys.iter().find(|k| k.id == raw.id).ok_or_else(|| {
                FixtureError::new(&raw_file, format!("$.keys[{i}].id"), "no key with this id in api_keys.json")
            })?;
            check_raw_matches_hash(&raw_file, &format!("$.keys[{i}].key"), &raw.key, &key.key_hash)?;
        }
        for (i, lead) in leads.iter().enumerate() {
            check_org("leads.json", format!("$.leads[{i}].organization_id"), lead.organization_id)?;
        }
        for (i, product) in products.iter().enumerate() {
            check_org("products.json", format!("$.products[{i}].organization_id"), product.organization_id)?;
        }
        for (i, template) in templates.iter().enumerate() {
            if let Some(org) = template.organization_id {
                check_org("templates.json", format!("$.templates[{i}].organization_id"), org)?;
            }
        }
        for (i, theme) in themes.iter().enumerate() {
            check_org("themes.json", format!("$.themes[{i}].organization_id"), theme.organization_id)?;
        }
        for (i, proposal) in proposals.iter().enumerate() {
            check_org("proposals.json", format!("$.proposals[{i}].organization_id"), proposal.organization_id)?;
            let file = set.display_name(v, "proposals.json");
            let owner = proposal.organization_id;
            let p = &proposal.record;
            if let Some(lead) = p.lead_id
                && !leads.iter().any(|l| l.record.id == lead && l.organization_id == owner)
            {
                return Err(FixtureError::new(
                    file,
                    format!("$.proposals[{i}].lead_id"),
                    "no such lead in this organization",
                ));
            }
            if let Some(theme) = p.theme_id
                && !themes.iter().any(|t| t.record.id == theme && t.organization_id == owner)
            {
                return Err(FixtureError::new(
                    file,
                    format!("$.proposals[{i}].theme_id"),
                    "no such theme in this organization",
                ));
            }
        }
        for (i, file) in media.iter().enumerate() {
            check_org("media.json", format!("$.media[{i}].organization_id"), file.organization_id)?;
        }
        Ok(Self { organizations, keys, raw_keys, leads, products, templates, themes, proposals, media })
    }
}
