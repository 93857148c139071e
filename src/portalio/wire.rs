//! Portal.io's response shapes (reference §5, §6), camelCase, built from the
//! stored records. These types are also the OpenAPI schemas of the answers.
//!
//! Totals are computed from line items (reference §6.2): parts (Part and
//! CustomItem items) and labor are summed over the first option of each area
//! (INFERRED: the other options are alternatives the client has not chosen);
//! sales tax is 0 until a location is assigned, then the location state's rate
//! from `tax_rates.json` applied to the subtotal, as the documented examples do
//! (10500 → 892.50 at 8.5 %; 3000 → 247.50 at 8.25 %).

use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    model::{
        Area, AreaOption, Contact, ContactType, ItemType, LineItem, Location, PartyType, Proposal, Status,
        Subscription, User,
    },
    state::{AccountData, Store},
};

/// Dates are whole seconds, `2026-04-06T00:22:19Z`.
pub fn seconds(at: Timestamp) -> Timestamp {
    Timestamp::from_second(at.as_second()).unwrap_or(at)
}

/// Money has two decimals.
pub fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// `{code, symbol}`; every dealer here bills in US dollars (INFERRED).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(as = PortalioCurrency)]
pub struct Currency {
    pub code: &'static str,
    pub symbol: &'static str,
}

pub const USD: Currency = Currency { code: "USD", symbol: "$" };

/// `salesTax`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioSalesTax)]
pub struct SalesTax {
    pub tax_status: &'static str,
    pub total: f64,
}

/// `financialSummary` (reference §6.2); change orders carry `changeOrderSubtotal`/`changeOrderTotal`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioFinancialSummary)]
pub struct FinancialSummary {
    pub parts_subtotal: f64,
    pub parts_discount: f64,
    pub parts_total: f64,
    pub labor_total: f64,
    pub fee_total: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposal_subtotal: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_order_subtotal: Option<f64>,
    pub sales_tax: SalesTax,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposal_total: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_order_total: Option<f64>,
    pub currency: Currency,
}

/// The money of a proposal or change order: (subtotal, tax, total) and the summary.
pub fn financial_summary(store: &Store, data: &AccountData, proposal: &Proposal) -> FinancialSummary {
    let (mut parts, mut labor) = (0.0, 0.0);
    for option in proposal.areas.iter().filter_map(|a| a.options.first()) {
        for item in &option.items {
            let amount = item.quantity * item.sell_price;
            match item.item_type {
                ItemType::Labor => labor += amount,
                ItemType::Part | ItemType::CustomItem => parts += amount,
            }
        }
    }
    let subtotal = round2(parts + labor);
    let location = proposal
        .location_id
        .or_else(|| proposal.parent_id.and_then(|p| data.proposals.get(&p)).and_then(|p| p.location_id))
        .and_then(|id| data.locations.get(&id));
    let rate = location.and_then(|l| store.tax_rate(&l.state_abbrev).or_else(|| store.tax_rate(&l.state)));
    let tax = round2(subtotal * rate.map_or(0.0, |r| r.rate));
    let total = round2(subtotal + tax);
    let change_order = proposal.parent_id.is_some();
    FinancialSummary {
        parts_subtotal: round2(parts),
        parts_discount: 0.0,
        parts_total: round2(parts),
        labor_total: round2(labor),
        fee_total: 0.0,
        proposal_subtotal: (!change_order).then_some(subtotal),
        change_order_subtotal: change_order.then_some(subtotal),
        sales_tax: SalesTax { tax_status: "Ok", total: tax },
        proposal_total: (!change_order).then_some(total),
        change_order_total: change_order.then_some(total),
        currency: USD,
    }
}

/// An option of an area.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioAreaOption)]
pub struct OptionOut {
    pub id: u64,
    pub status: String,
    #[schema(value_type = String, format = DateTime)]
    pub last_modified_date: Timestamp,
    pub client_description: Option<String>,
    pub installer_description: Option<String>,
    pub items: Vec<LineItem>,
}

/// An area with its options.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioArea)]
pub struct AreaOut {
    pub id: u64,
    pub name: String,
    pub options: Vec<OptionOut>,
}

fn option_out(option: &AreaOption) -> OptionOut {
    OptionOut {
        id: option.id,
        status: option.status.clone(),
        last_modified_date: option.last_modified_date,
        client_description: option.client_description.clone(),
        installer_description: option.installer_description.clone(),
        items: option.items.clone(),
    }
}

pub fn area_out(area: &Area) -> AreaOut {
    AreaOut { id: area.id, name: area.name.clone(), options: area.options.iter().map(option_out).collect() }
}

/// A contact in a proposal (`customer`).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioCustomer)]
pub struct Customer {
    pub id: u64,
    pub party_type: PartyType,
    pub contact_type: ContactType,
    pub first_name: String,
    pub last_name: String,
    pub company_name: String,
    pub contact_email: String,
    #[serde(rename = "contactEmailCC")]
    pub contact_email_cc: String,
    pub contact_phone: String,
}

pub fn customer(contact: &Contact) -> Customer {
    Customer {
        id: contact.id,
        party_type: contact.party_type,
        contact_type: contact.contact_type,
        first_name: contact.first_name.clone(),
        last_name: contact.last_name.clone(),
        company_name: contact.company_name.clone(),
        contact_email: contact.contact_email.clone(),
        contact_email_cc: contact.contact_email_cc.clone(),
        contact_phone: contact.contact_phone.clone(),
    }
}

/// `{id, name}` of the dealer.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(as = PortalioDealer)]
pub struct Dealer {
    pub id: u64,
    pub name: String,
}

/// A user summary (`lastModifiedUser`, `salesPerson`).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioUserSummary)]
pub struct UserSummary {
    pub id: u64,
    pub first_name: String,
    pub last_name: String,
}

fn user_summary(user: Option<&User>, id: u64) -> UserSummary {
    UserSummary {
        id,
        first_name: user.map(|u| u.first_name.clone()).unwrap_or_default(),
        last_name: user.map(|u| u.last_name.clone()).unwrap_or_default(),
    }
}

/// A location as the proposal shows it (`location`: the short form).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioShortLocation)]
pub struct ShortLocation {
    pub id: u64,
    pub street: String,
    pub suite: String,
    pub city: String,
    pub postal_code: String,
    pub state: String,
    pub state_abbrev: String,
    pub country: String,
    pub phone: String,
}

/// The full proposal (or change order) detail (reference §6.1).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioProposal)]
pub struct ProposalDetail {
    pub id: u64,
    pub number: u64,
    pub name: String,
    pub status: Status,
    #[schema(value_type = String, format = DateTime)]
    pub created_date: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub last_modified_date: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub last_modified_by_user_date: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_submitted_date: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub client_last_opened_date: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub client_last_decision_date: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_completed_date: Option<Timestamp>,
    pub financial_summary: FinancialSummary,
    pub areas: Vec<AreaOut>,
    pub customer: Option<Customer>,
    pub location: Option<ShortLocation>,
    pub dealer: Dealer,
    pub sales_person: UserSummary,
    pub last_modified_user: UserSummary,
    pub coverpage_image_url: Option<String>,
    pub about_us: Option<String>,
    pub project_description: Option<String>,
    /// INFERRED key: the docs never show where the internal notes come back.
    pub internal_notes: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub profit: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub recurring_services: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub payment_schedule: Option<serde_json::Value>,
    #[schema(value_type = Vec<Object>)]
    pub payment_requests: Vec<serde_json::Value>,
    pub project_terms: Option<String>,
    pub is_archived: bool,
    /// The parent proposal of a change order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_proposal_id: Option<u64>,
    /// A proposal's change orders (absent on a change order).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_orders: Option<Vec<ChangeOrderSummary>>,
}

pub fn short_location(location: &Location) -> ShortLocation {
    ShortLocation {
        id: location.id,
        street: location.street.clone(),
        suite: location.suite.clone(),
        city: location.city.clone(),
        postal_code: location.postal_code.clone(),
        state: location.state.clone(),
        state_abbrev: location.state_abbrev.clone(),
        country: location.country.clone(),
        phone: location.phone.clone(),
    }
}

pub fn proposal_detail(store: &Store, data: &AccountData, account: (u64, &str), proposal: &Proposal) -> ProposalDetail {
    let change_orders = proposal
        .parent_id
        .is_none()
        .then(|| data.change_orders_of(proposal.id).map(|p| change_order_summary(store, data, p)).collect());
    ProposalDetail {
        id: proposal.id,
        number: proposal.number,
        name: proposal.name.clone(),
        status: proposal.status,
        created_date: proposal.created_date,
        last_modified_date: proposal.last_modified_date,
        last_modified_by_user_date: proposal.last_modified_by_user_date,
        last_submitted_date: proposal.last_submitted_date,
        client_last_opened_date: proposal.client_last_opened_date,
        client_last_decision_date: proposal.client_last_decision_date,
        last_completed_date: proposal.last_completed_date,
        financial_summary: financial_summary(store, data, proposal),
        areas: proposal.areas.iter().map(area_out).collect(),
        customer: proposal.contact_id.and_then(|id| data.contacts.get(&id)).map(customer),
        location: proposal.location_id.and_then(|id| data.locations.get(&id)).map(short_location),
        dealer: Dealer { id: account.0, name: account.1.to_owned() },
        sales_person: user_summary(data.users.get(&proposal.sales_person_id), proposal.sales_person_id),
        last_modified_user: {
            let id = proposal.last_modified_user_id.unwrap_or(proposal.sales_person_id);
            user_summary(data.users.get(&id), id)
        },
        coverpage_image_url: None,
        about_us: None,
        project_description: proposal.project_description.clone(),
        internal_notes: proposal.internal_notes.clone(),
        profit: None,
        recurring_services: None,
        payment_schedule: None,
        payment_requests: Vec::new(),
        project_terms: None,
        is_archived: proposal.is_archived,
        parent_proposal_id: proposal.parent_id,
        change_orders,
    }
}

/// `{proposalTotal, currency}` of a list item.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioProposalTotal)]
pub struct ProposalTotal {
    pub proposal_total: f64,
    pub currency: Currency,
}

/// The customer of a list item.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioProposalCustomer)]
pub struct ListCustomer {
    pub id: u64,
    pub first_name: String,
    pub last_name: String,
    pub company_name: String,
    pub contact_email: String,
}

/// `PublicProposalModel`: one proposal in the list.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioProposalSummary)]
pub struct ProposalSummary {
    pub id: u64,
    pub number: u64,
    pub name: String,
    pub status: Status,
    pub total: ProposalTotal,
    #[schema(value_type = String, format = DateTime)]
    pub created_date: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub last_modified_date: Timestamp,
    pub customer: Option<ListCustomer>,
}

pub fn proposal_summary(store: &Store, data: &AccountData, proposal: &Proposal) -> ProposalSummary {
    let money = financial_summary(store, data, proposal);
    ProposalSummary {
        id: proposal.id,
        number: proposal.number,
        name: proposal.name.clone(),
        status: proposal.status,
        total: ProposalTotal { proposal_total: money.proposal_total.unwrap_or_default(), currency: USD },
        created_date: proposal.created_date,
        last_modified_date: proposal.last_modified_date,
        customer: proposal.contact_id.and_then(|id| data.contacts.get(&id)).map(|c| ListCustomer {
            id: c.id,
            first_name: c.first_name.clone(),
            last_name: c.last_name.clone(),
            company_name: c.company_name.clone(),
            contact_email: c.contact_email.clone(),
        }),
    }
}

/// `{changeOrderTotal, currency}`.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioChangeOrderTotal)]
pub struct ChangeOrderTotal {
    pub change_order_total: f64,
    pub currency: Currency,
}

/// One change order in the list (reference §5.3.1).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioChangeOrderSummary)]
pub struct ChangeOrderSummary {
    pub id: u64,
    pub number: u64,
    pub name: String,
    pub status: Status,
    pub total: ChangeOrderTotal,
    pub customer: Option<Customer>,
    #[schema(value_type = String, format = DateTime)]
    pub created_date: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub last_modified_date: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub last_modified_by_user_date: Timestamp,
}

pub fn change_order_summary(store: &Store, data: &AccountData, order: &Proposal) -> ChangeOrderSummary {
    let money = financial_summary(store, data, order);
    let contact =
        order.contact_id.or_else(|| order.parent_id.and_then(|p| data.proposals.get(&p)).and_then(|p| p.contact_id));
    ChangeOrderSummary {
        id: order.id,
        number: order.number,
        name: order.name.clone(),
        status: order.status,
        total: ChangeOrderTotal { change_order_total: money.change_order_total.unwrap_or_default(), currency: USD },
        customer: contact.and_then(|id| data.contacts.get(&id)).map(customer),
        created_date: order.created_date,
        last_modified_date: order.last_modified_date,
        last_modified_by_user_date: order.last_modified_by_user_date,
    }
}

/// A contact's location (contact-location model, reference §6.4).
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioLocation)]
pub struct LocationOut {
    pub contact_first_name: String,
    pub contact_last_name: String,
    pub contact_phone_number: String,
    pub contact_email: String,
    pub is_primary: bool,
    pub is_billing: bool,
    pub id: u64,
    pub street: String,
    pub suite: String,
    pub city: String,
    pub postal_code: String,
    pub state: String,
    pub state_abbrev: String,
    pub country: String,
    pub phone: String,
}

pub fn location_out(location: &Location) -> LocationOut {
    LocationOut {
        contact_first_name: location.contact_first_name.clone(),
        contact_last_name: location.contact_last_name.clone(),
        contact_phone_number: location.contact_phone_number.clone(),
        contact_email: location.contact_email.clone(),
        is_primary: location.is_primary,
        is_billing: location.is_billing,
        id: location.id,
        street: location.street.clone(),
        suite: location.suite.clone(),
        city: location.city.clone(),
        postal_code: location.postal_code.clone(),
        state: location.state.clone(),
        state_abbrev: location.state_abbrev.clone(),
        country: location.country.clone(),
        phone: location.phone.clone(),
    }
}

/// The contact detail (reference §5.4.2); the counts only with `IncludeCounts=true` and on create.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioContact)]
pub struct ContactDetail {
    pub notes: String,
    #[schema(value_type = String, format = DateTime)]
    pub last_modified_date: Timestamp,
    pub primary_location: Option<LocationOut>,
    pub billing_location: Option<LocationOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposal_count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_count: Option<u64>,
    #[serde(flatten)]
    pub summary: Customer,
}

pub fn contact_detail(data: &AccountData, contact: &Contact, counts: bool) -> ContactDetail {
    let of_contact = || data.locations.values().filter(|l| l.contact_id == contact.id);
    ContactDetail {
        notes: contact.notes.clone(),
        last_modified_date: contact.last_modified_date,
        primary_location: of_contact().find(|l| l.is_primary).map(location_out),
        billing_location: of_contact().find(|l| l.is_billing).map(location_out),
        proposal_count: counts.then(|| {
            data.proposals.values().filter(|p| p.parent_id.is_none() && p.contact_id == Some(contact.id)).count() as u64
        }),
        payment_count: counts.then_some(contact.payment_count),
        summary: customer(contact),
    }
}

/// A webhook subscription (reference §5.7); `secretKey` only on create and update.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioSubscription)]
pub struct SubscriptionOut {
    pub subscription_id: u64,
    pub url: String,
    pub description: Option<String>,
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_key: Option<String>,
    pub events: Vec<String>,
}

pub fn subscription_out(subscription: &Subscription, with_secret: bool) -> SubscriptionOut {
    SubscriptionOut {
        subscription_id: subscription.subscription_id,
        url: subscription.url.clone(),
        description: subscription.description.clone(),
        enabled: subscription.enabled,
        secret_key: with_secret.then(|| subscription.secret_key.clone()),
        events: subscription.events.clone(),
    }
}
