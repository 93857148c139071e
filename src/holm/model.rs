//! Holm records as the fixtures hold them. Keys are stored as SHA-256 only.

use serde::{Deserialize, Serialize};

/// `fixtures/holm/organizations.json`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationsFile {
    pub organizations: Vec<Organization>,
}

/// A partner organization with API access enabled.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    pub organization_id: String,
    pub name: String,
    /// SHA-256 (hex) of the `hsp_org_…` organization key.
    pub organization_key_hash: String,
    pub partnerships: Vec<Partnership>,
    pub keys: Vec<ApiKeyRecord>,
}

/// One partnership (portal) of an organization.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Partnership {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: PartnershipType,
}

/// MSSP or reseller: decides the report scope of a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PartnershipType {
    Mssp,
    Reseller,
}

/// A stored API key: hash and settings, never the raw key.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyRecord {
    pub id: String,
    pub name: String,
    /// The first 8 characters, as the portal shows.
    pub prefix: String,
    pub key_hash: String,
    pub partnership_id: String,
    pub customers_read: bool,
    pub allowed_origins: Vec<String>,
    pub created_at: jiff::Timestamp,
    pub revoked_at: Option<jiff::Timestamp>,
}

/// `fixtures/holm/raw_credentials.json`: the raw values, for `/_emulator/credentials` only.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCredentialsFile {
    pub organization_keys: Vec<RawOrganizationKey>,
    pub api_keys: Vec<RawApiKey>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOrganizationKey {
    pub organization_id: String,
    pub organization_key: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawApiKey {
    pub id: String,
    pub api_key: String,
}
