//! Portal.io records as the store keeps them and the fixtures hold them
//! (`fixtures/portalio/*.json`, camelCase like the vendor's bodies, plus the
//! `accountId` that says which dealer owns each record).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// `fixtures/portalio/apps.json`: registered integrations (application key + secret).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppsFile {
    pub apps: Vec<App>,
}

/// A registered integration; any app may call for any dealer's user (CONTRACT §6.2).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct App {
    pub app_id: String,
    /// The HMAC secret as issued (Portal.io shows it to the developer; it is symmetric, so it is kept).
    pub secret_key: String,
    pub name: String,
}

/// `fixtures/portalio/accounts.json`: dealer accounts and their users.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountsFile {
    pub accounts: Vec<AccountFixture>,
}

/// A dealer account as the fixtures hold it.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AccountFixture {
    pub account_id: u64,
    pub name: String,
    pub users: Vec<User>,
}

/// A user of a dealer account, with the flags that decide 401/402/403.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub id: u64,
    pub username: String,
    pub password: String,
    pub user_key: String,
    pub first_name: String,
    pub last_name: String,
    pub email_verified: bool,
    pub subscription_active: bool,
    pub catalog_access: bool,
    pub permission_group: String,
}

/// Proposal and change-order status (reference §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = PortalioProposalStatus)]
pub enum Status {
    Undefined,
    Draft,
    Submitted,
    ViewedByClient,
    Accepted,
    Declined,
    Delayed,
    Completed,
    EmailFailed,
    Expired,
}

impl Status {
    pub const ALL: [Status; 10] = [
        Status::Undefined,
        Status::Draft,
        Status::Submitted,
        Status::ViewedByClient,
        Status::Accepted,
        Status::Declined,
        Status::Delayed,
        Status::Completed,
        Status::EmailFailed,
        Status::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Undefined => "Undefined",
            Status::Draft => "Draft",
            Status::Submitted => "Submitted",
            Status::ViewedByClient => "ViewedByClient",
            Status::Accepted => "Accepted",
            Status::Declined => "Declined",
            Status::Delayed => "Delayed",
            Status::Completed => "Completed",
            Status::EmailFailed => "EmailFailed",
            Status::Expired => "Expired",
        }
    }

    /// Case-insensitive parse.
    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str().eq_ignore_ascii_case(text.trim()))
    }

    /// Documented (troubleshooting page): editing these gives 409, "use a change order instead".
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Accepted | Status::Completed | Status::Declined)
    }
}

/// Catalog and line-item type (reference §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = PortalioItemType)]
pub enum ItemType {
    Part,
    Labor,
    CustomItem,
}

impl ItemType {
    pub fn parse(text: &str) -> Option<ItemType> {
        [ItemType::Part, ItemType::Labor, ItemType::CustomItem]
            .into_iter()
            .find(|t| format!("{t:?}").eq_ignore_ascii_case(text.trim()))
    }
}

/// `fixtures/portalio/proposals.json`: proposals and change orders (a change order has `parentId`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalsFile {
    pub proposals: Vec<Proposal>,
}

/// A proposal, or a change order (a child proposal of `parentId`).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Proposal {
    pub account_id: u64,
    pub id: u64,
    /// Unique per dealer for proposals; 1, 2, 3 within the parent for change orders.
    pub number: u64,
    pub name: String,
    pub status: Status,
    #[serde(default)]
    pub parent_id: Option<u64>,
    pub sales_person_id: u64,
    #[serde(default)]
    pub contact_id: Option<u64>,
    #[serde(default)]
    pub location_id: Option<u64>,
    pub created_date: Timestamp,
    pub last_modified_date: Timestamp,
    pub last_modified_by_user_date: Timestamp,
    #[serde(default)]
    pub last_submitted_date: Option<Timestamp>,
    #[serde(default)]
    pub client_last_opened_date: Option<Timestamp>,
    #[serde(default)]
    pub client_last_decision_date: Option<Timestamp>,
    #[serde(default)]
    pub last_completed_date: Option<Timestamp>,
    #[serde(default)]
    pub project_description: Option<String>,
    #[serde(default)]
    pub internal_notes: Option<String>,
    #[serde(default)]
    pub is_archived: bool,
    #[serde(default)]
    pub last_modified_user_id: Option<u64>,
    #[serde(default)]
    pub areas: Vec<Area>,
}

/// A room or zone of a proposal; names are unique within it.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Area {
    pub id: u64,
    pub name: String,
    pub options: Vec<AreaOption>,
}

/// One of at most three alternatives of an area.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AreaOption {
    pub id: u64,
    pub status: String,
    pub last_modified_date: Timestamp,
    #[serde(default)]
    pub client_description: Option<String>,
    #[serde(default)]
    pub installer_description: Option<String>,
    #[serde(default)]
    pub items: Vec<LineItem>,
}

/// A line item of an option (no public endpoint edits them; reference §0).
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = PortalioLineItem)]
pub struct LineItem {
    pub id: u64,
    #[serde(default)]
    pub parent_id: Option<u64>,
    pub item_type: ItemType,
    #[serde(default)]
    pub referenced_item_id: Option<u64>,
    pub brand: Option<String>,
    pub model: Option<String>,
    pub description: Option<String>,
    pub name: Option<String>,
    pub short_description: Option<String>,
    pub quantity: f64,
    pub sell_price: f64,
    pub cost: f64,
}

/// `fixtures/portalio/people.json`: contacts with their locations.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeopleFile {
    pub people: Vec<ContactFixture>,
}

/// A contact as the fixtures hold it: its locations nested.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactFixture {
    #[serde(flatten)]
    pub contact: Contact,
    #[serde(default)]
    pub locations: Vec<Location>,
}

/// `partyType` (reference §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = PortalioPartyType)]
pub enum PartyType {
    Undefined,
    Person,
    Company,
}

/// `contactType` (reference §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = PortalioContactType)]
pub enum ContactType {
    Undefined,
    Client,
    Employee,
    Contractor,
    Other,
}

/// A contact (person or company) of a dealer.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub account_id: u64,
    pub id: u64,
    pub party_type: PartyType,
    pub contact_type: ContactType,
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub company_name: String,
    #[serde(default)]
    pub contact_email: String,
    #[serde(default)]
    pub contact_email_cc: String,
    #[serde(default)]
    pub contact_phone: String,
    #[serde(default)]
    pub notes: String,
    pub created_date: Timestamp,
    pub last_modified_date: Timestamp,
    /// Payments are not emulated; the count comes from the fixture.
    #[serde(default)]
    pub payment_count: u64,
}

/// A contact's location.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Location {
    pub id: u64,
    #[serde(default)]
    pub contact_id: u64,
    pub street: String,
    #[serde(default)]
    pub suite: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub state_abbrev: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub contact_first_name: String,
    #[serde(default)]
    pub contact_last_name: String,
    #[serde(default)]
    pub contact_phone_number: String,
    #[serde(default)]
    pub contact_email: String,
    #[serde(default)]
    pub is_primary: bool,
    #[serde(default)]
    pub is_billing: bool,
    pub last_modified_date: Timestamp,
}

/// `fixtures/portalio/tax_rates.json`: sales-tax rate by state.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxFile {
    pub tax_rates: Vec<TaxRate>,
}

/// One state's combined sales-tax rate (a fraction: 0.0825 is 8.25 %).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TaxRate {
    pub state: String,
    pub state_abbrev: String,
    pub country: String,
    pub rate: f64,
}

/// `fixtures/portalio/catalog.json`: the category tree and the items.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    pub industries: Vec<Industry>,
    pub items: Vec<CatalogItem>,
}

/// A top-level category ("industry") of the catalog tree.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = PortalioIndustry)]
pub struct Industry {
    pub id: u64,
    pub name: String,
    pub categories: Vec<Category>,
}

/// A category; `subCategories` nest further.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = PortalioCategory)]
pub struct Category {
    pub id: u64,
    pub name: String,
    pub image_url: Option<String>,
    #[schema(no_recursion)]
    pub sub_categories: Vec<Category>,
}

/// A catalog item as the fixtures hold it (the search and detail shapes are built from it).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CatalogItem {
    pub id: u64,
    pub item_type: ItemType,
    pub brand: String,
    pub model: String,
    pub short_description: String,
    pub description: String,
    pub parent_category_id: u64,
    pub category_id: u64,
    pub msrp: f64,
    pub cost: f64,
    pub supplier: String,
    pub in_stock: bool,
    #[serde(default)]
    pub is_favorite: bool,
    #[serde(default)]
    pub is_discontinued: bool,
    #[serde(default)]
    pub specs: Vec<(String, String)>,
}

/// A webhook subscription (reference §5.7); deliveries are part 2.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Subscription {
    pub account_id: u64,
    pub subscription_id: u64,
    pub url: String,
    #[serde(default)]
    pub description: Option<String>,
    pub enabled: bool,
    pub secret_key: String,
    /// Event names as the client spelled them (PascalCase or dot-notation).
    pub events: Vec<String>,
    pub created_date: Timestamp,
}

/// `fixtures/portalio/webhooks.json`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhooksFile {
    pub subscriptions: Vec<Subscription>,
}

/// Payment status (reference §7; the docs' list is cut off after `Declined`, `Refunded` is in the prose).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = PortalioPaymentStatus)]
pub enum PaymentStatus {
    Undefined,
    Draft,
    Submitted,
    Viewed,
    Paid,
    Declined,
    Refunded,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 7] = [
        PaymentStatus::Undefined,
        PaymentStatus::Draft,
        PaymentStatus::Submitted,
        PaymentStatus::Viewed,
        PaymentStatus::Paid,
        PaymentStatus::Declined,
        PaymentStatus::Refunded,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| format!("{s:?}").eq_ignore_ascii_case(text.trim()))
    }
}

/// Order status (reference §7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[schema(as = PortalioOrderStatus)]
pub enum OrderStatus {
    Undefined,
    Draft,
    Submitted,
    ViewedBySupplier,
    Accepted,
    Received,
    EmailFailed,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 7] = [
        OrderStatus::Undefined,
        OrderStatus::Draft,
        OrderStatus::Submitted,
        OrderStatus::ViewedBySupplier,
        OrderStatus::Accepted,
        OrderStatus::Received,
        OrderStatus::EmailFailed,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| format!("{s:?}").eq_ignore_ascii_case(text.trim()))
    }
}

/// `fixtures/portalio/payments.json`: payment requests and supplier orders (no public
/// route creates them; the control plane changes their status, the Zapier triggers list them).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentsFile {
    pub payments: Vec<Payment>,
    pub orders: Vec<Order>,
}

/// A payment request of a proposal (the Zapier payment payload, reference §5.9).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Payment {
    pub account_id: u64,
    pub id: u64,
    pub number: u64,
    pub description: String,
    pub status: PaymentStatus,
    pub amount: f64,
    pub created_date: Timestamp,
    pub modified_date: Timestamp,
    #[serde(default)]
    pub due_date: Option<Timestamp>,
    #[serde(default)]
    pub initiated_payment_date: Option<Timestamp>,
    #[serde(default)]
    pub paid_date: Option<Timestamp>,
    pub person_id: u64,
    pub proposal_id: u64,
    #[serde(default)]
    pub paid_via: Option<String>,
    #[serde(default)]
    pub payment_processor_type: Option<String>,
    #[serde(default)]
    pub proposal_payment_schedule_item_id: Option<u64>,
}

/// A supplier order (the Zapier order payload, reference §5.9).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Order {
    pub account_id: u64,
    pub id: u64,
    pub number: u64,
    pub name: String,
    pub created_date: Timestamp,
    pub modified_date: Timestamp,
    pub status: OrderStatus,
    pub order_suppliers: Vec<OrderSupplier>,
}

/// One supplier's part of an order.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = PortalioOrderSupplier)]
pub struct OrderSupplier {
    pub id: u64,
    pub supplier_name: String,
    pub sum: f64,
    pub part_count: u64,
    pub status: OrderStatus,
}
