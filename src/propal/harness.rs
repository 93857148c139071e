//! Propal for [`crate::harness`]: the fixture keys of `/_emulator/credentials` as a
//! typed value, and a fresh organization with a key holding every scope
//! (`POST /_emulator/propal/organizations`) as the typed tenant.

use std::collections::BTreeSet;

use axum::http::Method;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::auth::Scope;
pub use super::{admin::CreatedOrganization as PropalTenant, state::CreatedKey};
use crate::{
    Vendor,
    harness::{Emulator, FixtureCredentials, Tenant},
};

/// Propal's part of `/_emulator/credentials`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropalCredentials {
    /// `/propal/v1`.
    pub base_path: String,
    pub keys: Vec<PropalFixtureKey>,
}

/// One fixture key with its raw value.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropalFixtureKey {
    pub id: Uuid,
    /// `pp_live_…`, for `Authorization: Bearer`.
    pub key: String,
    pub name: String,
    pub organization_id: Uuid,
    pub scopes: BTreeSet<Scope>,
    pub revoked: bool,
    /// RFC 3339; `None`: never expires.
    pub expires_at: Option<String>,
}

impl PropalCredentials {
    /// The fixture key of that name (`"Internal tools (full access)"`, …).
    ///
    /// # Panics
    /// When no fixture key has that name.
    pub fn key(&self, name: &str) -> &PropalFixtureKey {
        self.keys.iter().find(|k| k.name == name).unwrap_or_else(|| panic!("no Propal fixture key named {name:?}"))
    }
}

impl FixtureCredentials for PropalCredentials {
    const VENDOR: Vendor = Vendor::Propal;
}

impl Tenant for PropalTenant {
    const VENDOR: Vendor = Vendor::Propal;

    async fn create(emulator: &Emulator) -> anyhow::Result<Self> {
        emulator.control(Method::POST, "/_emulator/propal/organizations", None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_typed_credentials_hold_every_field_of_the_endpoint() {
        let emulator = Emulator::start().await;
        let raw = emulator.state().vendor(Vendor::Propal).credentials();
        let typed: PropalCredentials = emulator.credentials();
        assert_eq!(serde_json::to_value(&typed).unwrap(), raw);
        assert!(typed.key("Internal tools (full access)").key.starts_with("pp_live_"));
    }

    #[tokio::test]
    async fn a_tenant_is_a_new_organization_with_every_scope() {
        let emulator = Emulator::start().await;
        let first: PropalTenant = emulator.tenant().await.unwrap();
        let second: PropalTenant = emulator.tenant().await.unwrap();
        assert_ne!(first.organization_id, second.organization_id);
        assert_eq!(first.key.scopes.len(), Scope::ALL.len());
        assert!(first.key.key.starts_with("pp_live_"), "{first:?}");
    }
}
