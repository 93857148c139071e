//! Holm state: the fixture organizations and keys, swapped whole on reset.

use std::{collections::HashMap, sync::Arc};

use serde_json::{Value, json};

use super::model::{Organization, OrganizationsFile, PartnershipType, RawCredentialsFile};
use crate::{
    Vendor,
    fixtures::{FixtureError, check_raw_matches_hash},
    store::Swappable,
    vendor::VendorContext,
};

/// Holm's data: cheap to share, reset by swapping the store.
#[derive(Debug)]
pub struct HolmState {
    fixtures: Arc<Fixtures>,
    store: Swappable<Store>,
}

#[derive(Debug)]
struct Fixtures {
    organizations: Vec<Organization>,
    /// Raw values by organization id and key id, for `/_emulator/credentials` only.
    raw_org_keys: HashMap<String, String>,
    raw_api_keys: HashMap<String, String>,
}

/// One generation of Holm data.
#[derive(Debug)]
pub struct Store {
    pub organizations: Vec<Organization>,
}

impl HolmState {
    pub fn new(context: &VendorContext<'_>, _settings: &super::config::Settings) -> Result<Self, FixtureError> {
        let set = context.fixtures;
        let OrganizationsFile { organizations } = set.parse(Vendor::Holm, "organizations.json")?;
        let raw: RawCredentialsFile = set.parse(Vendor::Holm, "raw_credentials.json")?;
        let raw_file = set.display_name(Vendor::Holm, "raw_credentials.json");
        let orgs_file = set.display_name(Vendor::Holm, "organizations.json");
        let mut raw_org_keys = HashMap::new();
        for (i, entry) in raw.organization_keys.iter().enumerate() {
            let org = organizations.iter().find(|o| o.organization_id == entry.organization_id).ok_or_else(|| {
                FixtureError::new(
                    &raw_file,
                    format!("$.organization_keys[{i}].organization_id"),
                    "no such organization",
                )
            })?;
            let path = format!("$.organization_keys[{i}].organization_key");
            check_raw_matches_hash(&raw_file, &path, &entry.organization_key, &org.organization_key_hash)?;
            raw_org_keys.insert(entry.organization_id.clone(), entry.organization_key.clone());
        }
        let mut raw_api_keys = HashMap::new();
        for (i, entry) in raw.api_keys.iter().enumerate() {
            let key = organizations
                .iter()
                .flat_map(|o| &o.keys)
                .find(|k| k.id == entry.id)
                .ok_or_else(|| FixtureError::new(&raw_file, format!("$.api_keys[{i}].id"), "no such key"))?;
            check_raw_matches_hash(&raw_file, &format!("$.api_keys[{i}].api_key"), &entry.api_key, &key.key_hash)?;
            raw_api_keys.insert(entry.id.clone(), entry.api_key.clone());
        }
        for (o, org) in organizations.iter().enumerate() {
            for (k, key) in org.keys.iter().enumerate() {
                if !org.partnerships.iter().any(|p| p.id == key.partnership_id) {
                    let path = format!("$.organizations[{o}].keys[{k}].partnership_id");
                    return Err(FixtureError::new(&orgs_file, path, "not a partnership of this organization"));
                }
            }
        }
        let fixtures = Arc::new(Fixtures { organizations, raw_org_keys, raw_api_keys });
        let store = Swappable::new(Store { organizations: fixtures.organizations.clone() });
        Ok(Self { fixtures, store })
    }

    pub fn reset(&self) {
        self.store.replace(Store { organizations: self.fixtures.organizations.clone() });
    }

    pub fn credentials(&self) -> Value {
        let store = self.store.current();
        let organizations: Vec<Value> = store
            .organizations
            .iter()
            .map(|org| {
                let keys: Vec<Value> = org
                    .keys
                    .iter()
                    .map(|key| {
                        let kind = org.partnerships.iter().find(|p| p.id == key.partnership_id).map(|p| p.kind);
                        let mut scopes = vec!["me:read"];
                        scopes.push(match kind {
                            Some(PartnershipType::Reseller) => "reseller-report:read",
                            _ => "mssp-report:read",
                        });
                        if key.customers_read {
                            scopes.push("customers:read");
                        }
                        json!({
                            "id": key.id, "api_key": self.fixtures.raw_api_keys.get(&key.id), "name": key.name,
                            "partnership_type": kind, "scopes": scopes, "allowed_origins": key.allowed_origins,
                            "revoked": key.revoked_at.is_some(),
                        })
                    })
                    .collect();
                json!({
                    "organization_id": org.organization_id,
                    "organization_key": self.fixtures.raw_org_keys.get(&org.organization_id),
                    "keys": keys,
                })
            })
            .collect();
        json!({ "base_path": "/holm/v1", "organizations": organizations })
    }

    pub fn counts(&self) -> Value {
        let store = self.store.current();
        let keys: usize = store.organizations.iter().map(|o| o.keys.len()).sum();
        json!({ "organizations": store.organizations.len(), "api_keys": keys })
    }
}
