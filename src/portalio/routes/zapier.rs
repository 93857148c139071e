//! The Zapier trigger routes (reference §5.9): `GET /zapier/trigger/proposal`,
//! `…/payment`, `…/order` and `…/person`, signed like every other route, answering
//! the documented payloads from the caller's account.
//!
//! INFERRED (reference §12.16): each answers a JSON array, newest change first, at
//! most [`MAX_TRIGGER_ITEMS`], as Zapier polling triggers expect (Zapier dedupes by
//! `id`). Change orders are listed by the proposal trigger with their
//! `parentProposalId`. The payment and order shapes are also the data of the
//! `PaymentStatusChange` and `OrderStatusChange` webhooks.

use axum::Json;
use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use crate::portalio::{
    auth::Caller,
    error::{ErrorBody, UnauthorizedBody},
    model::{Contact, Order, OrderStatus, OrderSupplier, Payment, PaymentStatus, Proposal, Status},
    state::{AccountData, Store},
    wire::{
        AreaOut, ChangeOrderSummary, Customer, FinancialSummary, ShortLocation, area_out, change_order_summary,
        customer, financial_summary, round2, short_location,
    },
};

/// INFERRED: the most items one poll returns.
pub const MAX_TRIGGER_ITEMS: usize = 100;

/// A contact with its primary location (short form): the person payload and `customer`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioZapierPerson)]
pub struct ZapierPerson {
    #[serde(flatten)]
    pub contact: Customer,
    pub location: Option<ShortLocation>,
}

/// `ZapierProposal` (also a change order, with `parentProposalId`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioZapierProposal)]
pub struct ZapierProposal {
    pub id: u64,
    pub number: u64,
    pub name: String,
    pub status: Status,
    pub total: Option<f64>,
    pub customer: Option<ZapierPerson>,
    /// Only when Accepted (INFERRED URL form).
    pub proposal_pdf: Option<String>,
    pub proposal_csv: Option<String>,
    pub installer_pdf: Option<String>,
    /// The salesperson's full name.
    pub sales_person: String,
    pub sales_person_email: String,
    pub areas: Vec<AreaOut>,
    pub financial_summary: FinancialSummary,
    #[schema(value_type = Option<Object>)]
    pub profit: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub recurring_services: Option<serde_json::Value>,
    pub change_orders: Vec<ChangeOrderSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_proposal_id: Option<u64>,
}

/// The payment payload.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioZapierPayment)]
pub struct ZapierPayment {
    pub id: u64,
    pub number: u64,
    pub description: String,
    pub status: PaymentStatus,
    pub amount: f64,
    #[schema(value_type = String, format = DateTime)]
    pub created_date: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub modified_date: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub due_date: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub initiated_payment_date: Option<Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub paid_date: Option<Timestamp>,
    pub client_first_name: String,
    pub client_last_name: String,
    pub client_name: String,
    pub person_id: u64,
    pub proposal_id: u64,
    pub proposal_number: Option<u64>,
    pub paid_via: Option<String>,
    /// INFERRED: the due date has passed and the payment is not Paid or Refunded.
    pub is_est_expired: bool,
    pub payment_processor_type: Option<String>,
    pub proposal_payment_schedule_item_id: Option<u64>,
}

/// The order payload.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PortalioZapierOrder)]
pub struct ZapierOrder {
    pub id: u64,
    pub number: u64,
    pub name: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_date: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub modified_date: Timestamp,
    pub status: OrderStatus,
    /// The sum of the suppliers' sums.
    pub total: f64,
    pub part_count: u64,
    pub order_suppliers: Vec<OrderSupplier>,
}

pub fn person_payload(data: &AccountData, contact: &Contact) -> ZapierPerson {
    let location = data.locations.values().find(|l| l.contact_id == contact.id && l.is_primary).map(short_location);
    ZapierPerson { contact: customer(contact), location }
}

pub fn proposal_payload(store: &Store, data: &AccountData, proposal: &Proposal) -> ZapierProposal {
    let summary = financial_summary(store, data, proposal);
    let sales = data.users.get(&proposal.sales_person_id);
    let accepted = proposal.status == Status::Accepted;
    let document = |kind: &str| accepted.then(|| format!("https://sandbox.portal.io/proposals/{}/{kind}", proposal.id));
    ZapierProposal {
        id: proposal.id,
        number: proposal.number,
        name: proposal.name.clone(),
        status: proposal.status,
        total: summary.proposal_total.or(summary.change_order_total),
        customer: proposal.contact_id.and_then(|id| data.contacts.get(&id)).map(|c| person_payload(data, c)),
        proposal_pdf: document("proposal.pdf"),
        proposal_csv: document("proposal.csv"),
        installer_pdf: document("installer.pdf"),
        sales_person: sales.map(|u| format!("{} {}", u.first_name, u.last_name)).unwrap_or_default(),
        sales_person_email: sales.map(|u| u.username.clone()).unwrap_or_default(),
        areas: proposal.areas.iter().map(area_out).collect(),
        financial_summary: summary,
        profit: None,
        recurring_services: None,
        change_orders: data.change_orders_of(proposal.id).map(|p| change_order_summary(store, data, p)).collect(),
        parent_proposal_id: proposal.parent_id,
    }
}

pub fn payment_payload(data: &AccountData, payment: &Payment, now: Timestamp) -> ZapierPayment {
    let person = data.contacts.get(&payment.person_id);
    let first = person.map(|p| p.first_name.clone()).unwrap_or_default();
    let last = person.map(|p| p.last_name.clone()).unwrap_or_default();
    let settled = matches!(payment.status, PaymentStatus::Paid | PaymentStatus::Refunded);
    ZapierPayment {
        id: payment.id,
        number: payment.number,
        description: payment.description.clone(),
        status: payment.status,
        amount: payment.amount,
        created_date: payment.created_date,
        modified_date: payment.modified_date,
        due_date: payment.due_date,
        initiated_payment_date: payment.initiated_payment_date,
        paid_date: payment.paid_date,
        client_name: format!("{first} {last}").trim().to_owned(),
        client_first_name: first,
        client_last_name: last,
        person_id: payment.person_id,
        proposal_id: payment.proposal_id,
        proposal_number: data.proposals.get(&payment.proposal_id).map(|p| p.number),
        paid_via: payment.paid_via.clone(),
        is_est_expired: !settled && payment.due_date.is_some_and(|d| d < now),
        payment_processor_type: payment.payment_processor_type.clone(),
        proposal_payment_schedule_item_id: payment.proposal_payment_schedule_item_id,
    }
}

pub fn order_payload(order: &Order) -> ZapierOrder {
    ZapierOrder {
        id: order.id,
        number: order.number,
        name: order.name.clone(),
        created_date: order.created_date,
        modified_date: order.modified_date,
        status: order.status,
        total: round2(order.order_suppliers.iter().map(|s| s.sum).sum()),
        part_count: order.order_suppliers.iter().map(|s| s.part_count).sum(),
        order_suppliers: order.order_suppliers.clone(),
    }
}

#[utoipa::path(
    get, path = "/zapier/trigger/proposal", tag = "portalio",
    summary = "Zapier trigger: proposals and change orders, newest change first",
    responses(
        (status = 200, body = Vec<ZapierProposal>),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn proposal_trigger(caller: Caller) -> Json<Vec<ZapierProposal>> {
    let data = caller.account.data();
    let mut rows: Vec<&Proposal> = data.proposals.values().collect();
    rows.sort_by(|a, b| b.last_modified_date.cmp(&a.last_modified_date).then(b.id.cmp(&a.id)));
    Json(rows.into_iter().take(MAX_TRIGGER_ITEMS).map(|p| proposal_payload(&caller.store, &data, p)).collect())
}

#[utoipa::path(
    get, path = "/zapier/trigger/payment", tag = "portalio", summary = "Zapier trigger: payments, newest change first",
    responses(
        (status = 200, body = Vec<ZapierPayment>),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn payment_trigger(caller: Caller) -> Json<Vec<ZapierPayment>> {
    let data = caller.account.data();
    let mut rows: Vec<&Payment> = data.payments.values().collect();
    rows.sort_by(|a, b| b.modified_date.cmp(&a.modified_date).then(b.id.cmp(&a.id)));
    Json(rows.into_iter().take(MAX_TRIGGER_ITEMS).map(|p| payment_payload(&data, p, caller.now)).collect())
}

#[utoipa::path(
    get, path = "/zapier/trigger/order", tag = "portalio", summary = "Zapier trigger: orders, newest change first",
    responses(
        (status = 200, body = Vec<ZapierOrder>),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn order_trigger(caller: Caller) -> Json<Vec<ZapierOrder>> {
    let data = caller.account.data();
    let mut rows: Vec<&Order> = data.orders.values().collect();
    rows.sort_by(|a, b| b.modified_date.cmp(&a.modified_date).then(b.id.cmp(&a.id)));
    Json(rows.into_iter().take(MAX_TRIGGER_ITEMS).map(order_payload).collect())
}

#[utoipa::path(
    get, path = "/zapier/trigger/person", tag = "portalio",
    summary = "Zapier trigger: contacts with their primary location, newest change first",
    responses(
        (status = 200, body = Vec<ZapierPerson>),
        (status = 401, body = UnauthorizedBody), (status = 402, body = ErrorBody),
    ),
    security(("portalio_signature" = []))
)]
pub async fn person_trigger(caller: Caller) -> Json<Vec<ZapierPerson>> {
    let data = caller.account.data();
    let mut rows: Vec<&Contact> = data.contacts.values().collect();
    rows.sort_by(|a, b| b.last_modified_date.cmp(&a.last_modified_date).then(b.id.cmp(&a.id)));
    Json(rows.into_iter().take(MAX_TRIGGER_ITEMS).map(|c| person_payload(&data, c)).collect())
}
