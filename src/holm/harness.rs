//! Holm for [`crate::harness`]: the fixture organizations and keys of
//! `/_emulator/credentials` as a typed value, and a fresh organization with one MSSP
//! key holding `customers:read` that accepts any origin (`POST /_emulator/holm/organizations`,
//! then `POST …/{organization_id}/keys`) as the typed tenant: what a session needs.

use axum::http::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{
    admin::{CreatedOrganization, IssuedKey},
    model::PartnershipType,
    scope::Scope,
};
use crate::{
    Vendor,
    harness::{Emulator, FixtureCredentials, Tenant},
};

/// Holm's part of `/_emulator/credentials`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolmCredentials {
    /// `/holm/v1`.
    pub base_path: String,
    pub organizations: Vec<HolmFixtureOrganization>,
}

/// A fixture organization with API access, and its keys.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolmFixtureOrganization {
    pub organization_id: String,
    /// `hsp_org_…`; `None` once deleted through the control plane.
    pub organization_key: Option<String>,
    pub keys: Vec<HolmFixtureKey>,
}

/// A fixture API key with its raw value.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolmFixtureKey {
    pub id: String,
    /// `hsp_…`; `None` once rotated or deleted.
    pub api_key: Option<String>,
    pub name: String,
    pub partnership_type: PartnershipType,
    pub scopes: Vec<Scope>,
    pub allowed_origins: Vec<String>,
    pub revoked: bool,
}

impl HolmCredentials {
    /// `(organization_key, api_key)` of the fixture key of that name (`"Local development"`, …).
    ///
    /// # Panics
    /// When no live fixture key has that name.
    pub fn session_pair(&self, key_name: &str) -> (&str, &str) {
        self.organizations
            .iter()
            .find_map(|org| {
                let key = org.keys.iter().find(|k| k.name == key_name)?;
                Some((org.organization_key.as_deref()?, key.api_key.as_deref()?))
            })
            .unwrap_or_else(|| panic!("no live Holm fixture key named {key_name:?}"))
    }
}

impl FixtureCredentials for HolmCredentials {
    const VENDOR: Vendor = Vendor::Holm;
}

/// A fresh organization and its one key: `POST /v1/auth/session` with
/// `{"organizer_key": tenant.organization.organization_key, "api_key": tenant.key.api_key}`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HolmTenant {
    pub organization: CreatedOrganization,
    pub key: IssuedKey,
}

impl HolmTenant {
    /// The body of `POST /v1/auth/session` for this tenant's key.
    pub fn session_request(&self) -> serde_json::Value {
        json!({ "organizer_key": self.organization.organization_key, "api_key": self.key.api_key })
    }
}

impl Tenant for HolmTenant {
    const VENDOR: Vendor = Vendor::Holm;

    async fn create(emulator: &Emulator) -> anyhow::Result<Self> {
        let organization: CreatedOrganization =
            emulator.control(Method::POST, "/_emulator/holm/organizations", None).await?;
        let body = json!({
            "name": "Harness key",
            "partnership_type": "mssp",
            "customers_read": true,
            "allowed_origins": [],
            "acknowledge_any_origin": true,
        });
        let path = format!("/_emulator/holm/organizations/{}/keys", organization.organization_id);
        let key = emulator.control(Method::POST, &path, Some(body)).await?;
        Ok(Self { organization, key })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_typed_credentials_hold_every_field_of_the_endpoint() {
        let emulator = Emulator::start().await;
        let raw = emulator.state().vendor(Vendor::Holm).credentials();
        let typed: HolmCredentials = emulator.credentials();
        assert_eq!(serde_json::to_value(&typed).unwrap(), raw);
        let (org_key, api_key) = typed.session_pair("Local development");
        assert_eq!((org_key, api_key), ("hsp_org_N0rdsecOrgKey7Qx2Lm9Pz4Rt", "hsp_NsDevK4Qw6Er8Ty0Ui2Op4As6"));
    }

    #[tokio::test]
    async fn a_tenant_is_a_new_organization_with_a_key_that_opens_a_session() {
        let emulator = Emulator::start().await;
        let tenant: HolmTenant = emulator.tenant().await.unwrap();
        assert_eq!(tenant.key.key.scopes, [Scope::MeRead, Scope::MsspReportRead, Scope::CustomersRead]);
        let url = format!("{}/auth/session", emulator.base_url(Vendor::Holm));
        let client = reqwest::Client::new();
        let response = client.post(&url).body(tenant.session_request().to_string()).send().await.unwrap();
        assert_eq!(response.status(), 201);
    }
}
