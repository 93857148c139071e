//! Propal records, as stored and as the fixtures hold them, and their wire shapes.
//!
//! Timestamps go out as ISO 8601 UTC with milliseconds (`2026-04-01T10:30:00.000Z`,
//! docs quickstart) and are truncated to milliseconds when made, so what a client
//! reads back equals what it was sent. Every key of a lead is always present,
//! `null` when unset (docs: Get a lead).

use std::collections::BTreeSet;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::Scope;

/// Serde helpers for millisecond timestamps.
pub mod ms {
    use jiff::Timestamp;
    use serde::{Deserializer, Serializer};

    /// `2026-04-01T10:30:00.000Z`: jiff's RFC 3339 printer at millisecond precision (a
    /// `strftime` pattern, interpreted per call, was 9 % of a list's CPU).
    pub fn format(at: Timestamp) -> String {
        format!("{at:.3}")
    }

    pub fn serialize<S: Serializer>(at: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format(*at))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Timestamp, D::Error> {
        crate::json_path::parse_str(deserializer)
    }

    /// The same for `Option<Timestamp>` (`null` when absent).
    pub mod option {
        use jiff::Timestamp;
        use serde::{Deserializer, Serializer};

        #[allow(clippy::ref_option)] // serde's `with` hands us `&Option<T>`.
        pub fn serialize<S: Serializer>(at: &Option<Timestamp>, serializer: S) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => serializer.serialize_str(&super::format(*at)),
                None => serializer.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Timestamp>, D::Error> {
            crate::json_path::parse_optional_str(deserializer)
        }
    }
}

/// Truncates to whole milliseconds, as the wire shows.
pub fn millis(at: Timestamp) -> Timestamp {
    Timestamp::from_millisecond(at.as_millisecond()).unwrap_or(at)
}

/// A member of an organization (metrics group proposals by member).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    pub id: Uuid,
    pub name: String,
    pub email: String,
}

/// `fixtures/propal/organizations.json` entries.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationRecord {
    pub id: Uuid,
    pub name: String,
    #[serde(with = "ms")]
    pub created_at: Timestamp,
    #[serde(default)]
    pub members: Vec<Member>,
}

/// `fixtures/propal/api_keys.json` entries: the hash, never the key.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyFixture {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    /// `pp_live_` and the first 4 characters after it, as the dashboard shows.
    pub prefix: String,
    pub key_hash: String,
    pub scopes: BTreeSet<Scope>,
    #[serde(with = "ms")]
    pub created_at: Timestamp,
    #[serde(default, with = "ms::option")]
    pub last_used_at: Option<Timestamp>,
    #[serde(default, with = "ms::option")]
    pub revoked_at: Option<Timestamp>,
    #[serde(default, with = "ms::option")]
    pub expires_at: Option<Timestamp>,
}

/// `fixtures/propal/raw_keys.json` entries: only for `/_emulator/credentials`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawKeyFixture {
    pub id: Uuid,
    pub key: String,
}

/// `deal_status` (docs quickstart; metrics "pending, approved, denied").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize, ToSchema)]
#[schema(as = PropalDealStatus)]
#[serde(rename_all = "lowercase")]
pub enum DealStatus {
    Pending,
    Approved,
    Denied,
}

impl DealStatus {
    pub const ALL: [DealStatus; 3] = [DealStatus::Pending, DealStatus::Approved, DealStatus::Denied];

    pub fn as_str(self) -> &'static str {
        match self {
            DealStatus::Pending => "pending",
            DealStatus::Approved => "approved",
            DealStatus::Denied => "denied",
        }
    }
}

/// `page_status`: `draft` (documented) until published (INFERRED: `published`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[schema(as = PropalPageStatus)]
#[serde(rename_all = "lowercase")]
pub enum PageStatus {
    Draft,
    Published,
}

/// The four client-page switches: nested `settings` on create, flat on PATCH.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(clippy::struct_excessive_bools)] // the vendor's four documented switches
pub struct ProposalSettings {
    pub allow_client_to_sign: bool,
    pub allow_client_to_deny: bool,
    pub allow_payment: bool,
    pub allow_client_to_download_pdf: bool,
}

/// A `products[]` row of a proposal: a catalog product (as the bundle) and its payment terms.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, ToSchema)]
#[schema(as = PropalProposalProduct)]
#[serde(deny_unknown_fields)]
pub struct ProposalProduct {
    /// The `proposal_products` row id, which `proposal_product_id` may name.
    pub id: Uuid,
    pub bundle_id: Uuid,
    /// The payment terms as sent (an object).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub payment: Value,
}

/// A stored proposal.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    pub id: Uuid,
    pub title: String,
    pub slug: String,
    #[serde(default)]
    pub template_id: Option<Uuid>,
    #[serde(default)]
    pub lead_id: Option<Uuid>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub theme_id: Option<Uuid>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub proposal_product_id: Option<Uuid>,
    #[serde(default)]
    pub settings: ProposalSettings,
    #[serde(default)]
    pub products: Vec<ProposalProduct>,
    /// Total value: the sum of the catalog prices of `products`.
    #[serde(default)]
    pub value: f64,
    pub currency: String,
    pub deal_status: DealStatus,
    pub page_status: PageStatus,
    /// The member who made it; `null` when made through the API.
    #[serde(default)]
    pub created_by: Option<Uuid>,
    #[serde(default)]
    pub rejection_reason: Option<String>,
    #[serde(with = "ms")]
    pub created_at: Timestamp,
    #[serde(with = "ms")]
    pub updated_at: Timestamp,
    #[serde(default, with = "ms::option")]
    pub published_at: Option<Timestamp>,
    #[serde(default, with = "ms::option")]
    pub first_viewed_at: Option<Timestamp>,
    /// When the deal was approved or denied.
    #[serde(default, with = "ms::option")]
    pub closed_at: Option<Timestamp>,
}

impl Proposal {
    /// The wire shape of list items, get, PATCH and publish.
    pub fn view(&self, lead_name: Option<&str>) -> ProposalView {
        ProposalView {
            proposal_id: self.id,
            title: self.title.clone(),
            slug: self.slug.clone(),
            deal_status: self.deal_status,
            page_status: self.page_status,
            lead_id: self.lead_id,
            lead_name: lead_name.map(str::to_owned),
            template_id: self.template_id,
            theme_id: self.theme_id,
            language: self.language.clone(),
            proposal_product_id: self.proposal_product_id,
            has_password: self.password.is_some(),
            allow_client_to_sign: self.settings.allow_client_to_sign,
            allow_client_to_deny: self.settings.allow_client_to_deny,
            allow_payment: self.settings.allow_payment,
            allow_client_to_download_pdf: self.settings.allow_client_to_download_pdf,
            products: self.products.clone(),
            value: self.value,
            currency: self.currency.clone(),
            proposal_created_at: self.created_at,
            proposal_updated_at: self.updated_at,
            published_at: self.published_at,
        }
    }
}

/// A proposal as list items, get, PATCH and publish answer it: the documented list
/// item (`proposal_id`, `proposal_created_at`, `lead_name`, …) plus the metadata
/// PATCH accepts, flat. The password is never returned, only `has_password`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(as = PropalProposal)]
#[allow(clippy::struct_excessive_bools)] // the vendor's four documented switches
pub struct ProposalView {
    pub proposal_id: Uuid,
    pub title: String,
    pub slug: String,
    pub deal_status: DealStatus,
    pub page_status: PageStatus,
    #[schema(required)]
    pub lead_id: Option<Uuid>,
    /// The lead's name, looked up.
    #[schema(required)]
    pub lead_name: Option<String>,
    #[schema(required)]
    pub template_id: Option<Uuid>,
    #[schema(required)]
    pub theme_id: Option<Uuid>,
    #[schema(required)]
    pub language: Option<String>,
    #[schema(required)]
    pub proposal_product_id: Option<Uuid>,
    pub has_password: bool,
    pub allow_client_to_sign: bool,
    pub allow_client_to_deny: bool,
    pub allow_payment: bool,
    pub allow_client_to_download_pdf: bool,
    pub products: Vec<ProposalProduct>,
    /// The sum of the catalog prices of `products`.
    pub value: f64,
    pub currency: String,
    #[serde(with = "ms")]
    #[schema(value_type = String, format = DateTime)]
    pub proposal_created_at: Timestamp,
    #[serde(with = "ms")]
    #[schema(value_type = String, format = DateTime)]
    pub proposal_updated_at: Timestamp,
    #[serde(with = "ms::option")]
    #[schema(required, value_type = Option<String>, format = DateTime)]
    pub published_at: Option<Timestamp>,
}

/// A lead: every key always present (docs: Get a lead).
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[schema(as = PropalLead, example = json!({"id": "7061ef6a-e009-4cf5-99d4-4deebcfb3e17", "name": "Acme Corp",
    "email": "contact@acme.example", "company": "Acme Corp", "phone": "+33 4 72 00 00 00", "website": null, "address": null,
    "city": "Lyon", "state": null, "zip": null, "country": "FR", "siret": "12345678900012", "tva": "FR12345678901",
    "language": "fr", "status": "qualified", "created_at": "2026-02-03T09:15:00.000Z", "updated_at": null}))]
#[serde(deny_unknown_fields)]
pub struct Lead {
    pub id: Uuid,
    pub name: String,
    #[schema(required)]
    pub email: Option<String>,
    #[schema(required)]
    pub company: Option<String>,
    #[schema(required)]
    pub phone: Option<String>,
    #[schema(required)]
    pub website: Option<String>,
    #[schema(required)]
    pub address: Option<String>,
    #[schema(required)]
    pub city: Option<String>,
    #[schema(required)]
    pub state: Option<String>,
    #[schema(required)]
    pub zip: Option<String>,
    #[schema(required)]
    pub country: Option<String>,
    #[schema(required)]
    pub siret: Option<String>,
    #[schema(required)]
    pub tva: Option<String>,
    #[schema(required)]
    pub language: Option<String>,
    pub status: String,
    #[serde(with = "ms")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[serde(with = "ms::option")]
    #[schema(required, value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<Timestamp>,
}

/// A catalog product (INFERRED shape: reference §6.3).
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[schema(as = PropalProduct, example = json!({"id": "0dc5f2b1-d97a-4e9b-946c-a8d99e514832", "name": "Website redesign",
    "description": "Design and build of a marketing site", "price": 8500.0, "currency": "EUR", "tax_rate": 20.0,
    "unit": "project", "created_at": "2025-10-01T09:00:00.000Z", "updated_at": null}))]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub id: Uuid,
    pub name: String,
    #[schema(required)]
    pub description: Option<String>,
    pub price: f64,
    pub currency: String,
    #[schema(required)]
    pub tax_rate: Option<f64>,
    #[schema(required)]
    pub unit: Option<String>,
    #[serde(with = "ms")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[serde(with = "ms::option")]
    #[schema(required, value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<Timestamp>,
}

/// A template (docs: Create a template from a proposal); `organization_id` null for global ones.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[schema(as = PropalTemplate, example = json!({"id": "51aff689-4b87-484e-9c25-9c9fd897cb42", "title": "Agency proposal",
    "category": "Marketing", "image": "https://cdn.propal.example/templates/agency.png", "color": "#4F46E5",
    "organization_id": null, "created_at": "2025-06-01T00:00:00.000Z"}))]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub id: Uuid,
    #[schema(required)]
    pub title: Option<String>,
    #[schema(required)]
    pub category: Option<String>,
    #[schema(required)]
    pub image: Option<String>,
    #[schema(required)]
    pub color: Option<String>,
    #[schema(required)]
    pub organization_id: Option<Uuid>,
    #[serde(with = "ms")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// The page palette of a theme (MCP theming page, snake_case on REST).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, ToSchema)]
#[schema(as = PropalThemeColors)]
#[serde(deny_unknown_fields)]
pub struct ThemeColors {
    pub page_bg: String,
    pub accent: String,
    pub text: String,
}

/// One section ambience of a theme.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, ToSchema)]
#[schema(as = PropalSectionStyle)]
#[serde(deny_unknown_fields)]
pub struct SectionStyle {
    #[schema(required)]
    pub id: Option<String>,
    pub background: String,
    #[schema(required)]
    pub text: Option<String>,
}

/// A theme (INFERRED REST shape from the MCP theming model).
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[schema(as = PropalTheme, example = json!({"id": "5cab0670-ab02-4090-8179-df60b610618c", "name": "Matcha",
    "colors": {"page_bg": "#F4F7F0", "accent": "#5B8C51", "text": "#1F2A1C"}, "title_font": "inter", "body_font": "inter",
    "radius": 0.8, "button_radius": 0.5, "section_styles": [{"id": "highlight", "background": "#5B8C51", "text": "#FFFFFF"}],
    "created_at": "2025-10-05T09:00:00.000Z", "updated_at": null}))]
#[serde(deny_unknown_fields)]
pub struct Theme {
    pub id: Uuid,
    pub name: String,
    pub colors: ThemeColors,
    pub title_font: String,
    pub body_font: String,
    pub radius: f64,
    pub button_radius: f64,
    pub section_styles: Vec<SectionStyle>,
    #[serde(with = "ms")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[serde(with = "ms::option")]
    #[schema(required, value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<Timestamp>,
}

/// Whether the bytes of a media file have arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[schema(as = PropalMediaStatus)]
#[serde(rename_all = "lowercase")]
pub enum MediaStatus {
    Pending,
    Uploaded,
}

/// A media file (INFERRED: signed-upload flow, reference §6.6).
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[schema(as = PropalMediaFile)]
#[serde(deny_unknown_fields)]
pub struct MediaFile {
    pub id: Uuid,
    pub file_name: String,
    pub content_type: String,
    #[schema(required)]
    pub folder: Option<String>,
    pub path: String,
    #[schema(required)]
    pub size: Option<u64>,
    pub status: MediaStatus,
    #[serde(with = "ms")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[serde(with = "ms::option")]
    #[schema(required, value_type = Option<String>, format = DateTime)]
    pub uploaded_at: Option<Timestamp>,
}

/// A record with its organization, as fixture files list them.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Owned<T> {
    pub organization_id: Uuid,
    #[serde(flatten)]
    pub record: T,
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;
    use proptest::prelude::*;

    proptest! {
        /// The printer writes exactly what the documented pattern describes.
        #[test]
        fn ms_format_is_the_documented_pattern(seconds in 0i64..253_402_300_799, millis in 0i32..1000, nanos in 0i32..1_000_000) {
            let at = Timestamp::new(seconds, millis * 1_000_000 + nanos).unwrap();
            let millisecond = Timestamp::new(seconds, millis * 1_000_000).unwrap();
            prop_assert_eq!(super::ms::format(at), millisecond.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
        }
    }

    #[test]
    fn ms_format_matches_the_docs_example() {
        let at: Timestamp = "2026-04-01T10:30:00Z".parse().unwrap();
        assert_eq!(super::ms::format(at), "2026-04-01T10:30:00.000Z");
    }
}
