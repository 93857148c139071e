//! Holm records as the fixtures hold them (`fixtures/holm/*.json`). Keys are
//! stored as SHA-256 only; raw values sit in `raw_credentials.json` for
//! `/_emulator/credentials`.

use std::collections::BTreeMap;

use jiff::{Timestamp, civil::Date};
use serde::{Deserialize, Serialize};

/// `fixtures/holm/organizations.json`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationsFile {
    pub organizations: Vec<Organization>,
}

/// A partner organization. `organization_key_hash` is null while API access is off.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    pub organization_id: String,
    pub name: String,
    /// SHA-256 (hex) of the `hsp_org_…` organization key.
    pub organization_key_hash: Option<String>,
    pub partnerships: Vec<Partnership>,
    pub keys: Vec<ApiKeyRecord>,
    /// Live sessions, by token hash: written by state exports; absent in hand-made fixtures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sessions: Vec<SessionRecord>,
}

/// A live session as a state export keeps it: the token's hash, never the token.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRecord {
    pub id: String,
    pub token_hash: String,
    pub key_id: String,
    /// The client IP it is locked to; null when it has no lock.
    pub ip: Option<std::net::IpAddr>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    #[serde(default)]
    pub last_used_at: Option<Timestamp>,
}

/// One partnership (portal) of an organization.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = HolmPartnership)]
#[serde(deny_unknown_fields)]
pub struct Partnership {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: PartnershipType,
}

/// MSSP or reseller: decides the report scope of a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = HolmPartnershipType)]
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
    /// The portal's checkbox for a key without allowed origins; required then.
    #[serde(default)]
    pub acknowledge_any_origin: bool,
    pub created_at: Timestamp,
    #[serde(default)]
    pub rotated_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    /// Written by state exports; absent in hand-made fixtures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<Timestamp>,
}

/// `fixtures/holm/raw_credentials.json`: the raw values, for `/_emulator/credentials` only.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawCredentialsFile {
    pub organization_keys: Vec<RawOrganizationKey>,
    pub api_keys: Vec<RawApiKey>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawOrganizationKey {
    pub organization_id: String,
    pub organization_key: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawApiKey {
    pub id: String,
    pub api_key: String,
}

/// The five product codes (seed: "product codes throughout all responses").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = HolmProduct)]
pub enum Product {
    #[serde(rename = "SNS")]
    Sns,
    #[serde(rename = "DA")]
    Da,
    #[serde(rename = "WAS")]
    Was,
    #[serde(rename = "CS")]
    Cs,
    #[serde(rename = "PAT")]
    Pat,
}

impl Product {
    /// In the .com docs' order.
    pub const ALL: [Product; 5] = [Product::Sns, Product::Da, Product::Was, Product::Cs, Product::Pat];

    pub fn code(self) -> &'static str {
        match self {
            Product::Sns => "SNS",
            Product::Da => "DA",
            Product::Was => "WAS",
            Product::Cs => "CS",
            Product::Pat => "PAT",
        }
    }

    pub fn parse(code: &str) -> Option<Product> {
        Product::ALL.into_iter().find(|p| p.code() == code)
    }
}

/// `fixtures/holm/customers.json`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CustomersFile {
    pub customers: Vec<CustomerRecord>,
}

/// One customer (a Security Center account) of a partnership, with its history.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerRecord {
    pub id: String,
    pub name: String,
    pub partnership_id: String,
    pub security_center_id: String,
    pub country: String,
    pub customer_since: Date,
    /// Subscribed products; engagement series of other products are null.
    pub products: Vec<Product>,
    /// Reseller customers: the commercial contract.
    pub contract: Option<Contract>,
    /// Reseller customers: licensed quantity per product.
    #[serde(default)]
    pub licenses: BTreeMap<Product, u32>,
    pub usage: Vec<UsageSeries>,
    pub engagement: EngagementSeries,
    pub signals: Vec<Signal>,
}

/// A reseller contract.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = HolmContract)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    /// Annual contract value.
    pub acv: u32,
    pub currency: String,
    #[schema(value_type = String, format = Date)]
    pub renewal_date: Date,
}

/// Usage samples of one product: `values[i]` was measured on `start + i * every_days`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UsageSeries {
    pub product: Product,
    pub start: Date,
    pub every_days: i32,
    pub values: Vec<u32>,
}

/// Engagement samples (reference §6, S10): `series[i]` measured on `start + i * every_days`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EngagementSeries {
    pub start: Date,
    pub every_days: i32,
    pub risk_score: Vec<f64>,
    pub threat_score: Vec<f64>,
    pub logins: Vec<u32>,
    /// Null when the product is not part of the subscription.
    pub sns_scans: Option<Vec<u32>>,
    pub was_scans: Option<Vec<u32>>,
    pub cs_scans: Option<Vec<u32>>,
    pub pat_assessments: Option<Vec<u32>>,
    pub reports_created: Vec<u32>,
}

/// A churn-risk signal the portal raises (reference §6, S9): inactive scanner
/// appliances and failed scans.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Signal {
    #[serde(rename = "type")]
    pub kind: String,
    pub severity: Severity,
    pub detected_on: Date,
    pub detail: String,
}

/// Task severities (S9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = HolmSeverity)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}
