//! Customers (`customers:read`, S5/S10/S9): the list, one customer, its engagement
//! time series and its churn-risk indicators. Only the key's partnership's
//! customers exist for it: another partnership's id is a 404.

use std::collections::BTreeMap;

use axum::{Json, extract::Path, http::Uri};
use jiff::{ToSpan, civil::Date};
use serde::{Deserialize, Serialize};

use crate::holm::{
    auth::Caller,
    data::{EngagementPoint, Indicator},
    error::{HolmError, HolmErrorBody},
    input::{parse_date, parse_query},
    model::{Contract, CustomerRecord, PartnershipType, Product, Severity},
    periods::today,
    scope::Scope,
};

/// INFERRED: the engagement range when `from` is absent: 90 days up to `to`.
const DEFAULT_ENGAGEMENT_DAYS: i32 = 90;
/// INFERRED: the longest engagement range one request may ask for.
const MAX_ENGAGEMENT_DAYS: i32 = 731;

/// A customer in the list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HolmCustomerSummary)]
pub struct CustomerSummary {
    pub id: String,
    pub name: String,
    pub security_center_id: String,
    pub country: String,
    #[schema(value_type = String, format = Date)]
    pub customer_since: Date,
    pub products: Vec<Product>,
}

/// `{"customers":[…]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HolmCustomers)]
pub struct Customers {
    pub customers: Vec<CustomerSummary>,
}

/// One customer with its commercial data (reseller partnerships).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HolmCustomer)]
pub struct Customer {
    #[serde(flatten)]
    pub summary: CustomerSummary,
    pub partnership_type: PartnershipType,
    pub contract: Option<Contract>,
    /// Licensed quantity per product code (reseller customers).
    #[schema(value_type = BTreeMap<String, u32>)]
    pub licenses: BTreeMap<Product, u32>,
}

/// `?from=YYYY-MM-DD&to=YYYY-MM-DD`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// First day (inclusive, `YYYY-MM-DD`); 90 days before `to` when absent.
    #[param(format = Date, example = "2026-01-01")]
    pub from: Option<String>,
    /// Last day (inclusive, `YYYY-MM-DD`); today (Stockholm) when absent.
    #[param(format = Date, example = "2026-03-31")]
    pub to: Option<String>,
}

/// Engagement samples in a date range.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HolmEngagement)]
pub struct Engagement {
    pub customer_id: String,
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    #[schema(value_type = String, format = Date)]
    pub to: Date,
    /// Sampling interval of the series.
    pub interval_days: i32,
    pub points: Vec<EngagementPoint>,
}

/// Churn-risk indicators as of today.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HolmChurnRisk)]
pub struct ChurnRisk {
    pub customer_id: String,
    #[schema(value_type = String, format = Date)]
    pub as_of: Date,
    /// The highest indicator severity; null when there is none.
    pub risk_level: Option<Severity>,
    pub indicators: Vec<Indicator>,
}

fn summary(c: &CustomerRecord) -> CustomerSummary {
    CustomerSummary {
        id: c.id.clone(),
        name: c.name.clone(),
        security_center_id: c.security_center_id.clone(),
        country: c.country.clone(),
        customer_since: c.customer_since,
        products: c.products.clone(),
    }
}

fn find<'a>(caller: &'a Caller, id: &str) -> Result<&'a CustomerRecord, HolmError> {
    let partnership = &caller.session.key.partnership_id;
    caller.store.data.customer(partnership, id).ok_or_else(|| {
        HolmError::not_found("Customer not found.", format!("no customer {id} in partnership {partnership}"))
    })
}

/// The partnership's customers.
#[utoipa::path(
    get, path = "/v1/customers", tag = "holm",
    responses(
        (status = 200, description = "Customers", body = Customers),
        (status = 401, description = "invalid_session, session_expired or session_ip_mismatch", body = HolmErrorBody),
        (status = 403, description = "origin_not_allowed or insufficient_scope", body = HolmErrorBody),
        (status = 429, description = "rate_limited", body = HolmErrorBody),
    ),
    security(("holm_session" = []))
)]
pub async fn list_customers(caller: Caller) -> Result<Json<Customers>, HolmError> {
    caller.admit(Scope::CustomersRead)?;
    let customers = caller.store.data.of_partnership(&caller.session.key.partnership_id).map(summary).collect();
    Ok(Json(Customers { customers }))
}

/// One customer.
#[utoipa::path(
    get, path = "/v1/customers/{id}", tag = "holm",
    params(("id" = String, Path, description = "Customer id")),
    responses(
        (status = 200, description = "The customer", body = Customer),
        (status = 401, description = "invalid_session, session_expired or session_ip_mismatch", body = HolmErrorBody),
        (status = 403, description = "origin_not_allowed or insufficient_scope", body = HolmErrorBody),
        (status = 404, description = "not_found", body = HolmErrorBody),
        (status = 429, description = "rate_limited", body = HolmErrorBody),
    ),
    security(("holm_session" = []))
)]
pub async fn get_customer(caller: Caller, Path(id): Path<String>) -> Result<Json<Customer>, HolmError> {
    caller.admit(Scope::CustomersRead)?;
    let c = find(&caller, &id)?;
    Ok(Json(Customer {
        summary: summary(c),
        partnership_type: caller.session.key.partnership_type,
        contract: c.contract.clone(),
        licenses: c.licenses.clone(),
    }))
}

/// Engagement metrics over time (S10).
#[utoipa::path(
    get, path = "/v1/customers/{id}/engagement", tag = "holm",
    params(("id" = String, Path, description = "Customer id"), RangeQuery),
    responses(
        (status = 200, description = "Engagement samples", body = Engagement),
        (status = 400, description = "invalid_request", body = HolmErrorBody),
        (status = 401, description = "invalid_session, session_expired or session_ip_mismatch", body = HolmErrorBody),
        (status = 403, description = "origin_not_allowed or insufficient_scope", body = HolmErrorBody),
        (status = 404, description = "not_found", body = HolmErrorBody),
        (status = 429, description = "rate_limited", body = HolmErrorBody),
    ),
    security(("holm_session" = []))
)]
pub async fn get_engagement(caller: Caller, Path(id): Path<String>, uri: Uri) -> Result<Json<Engagement>, HolmError> {
    caller.admit(Scope::CustomersRead)?;
    let query: RangeQuery = parse_query(&uri)?;
    let today = today(caller.now);
    let to = query.to.as_deref().map(|v| parse_date("to", v)).transpose()?.unwrap_or(today);
    let from = match query.from.as_deref() {
        Some(v) => parse_date("from", v)?,
        None => to.checked_sub(DEFAULT_ENGAGEMENT_DAYS.days()).unwrap_or(to),
    };
    if from > to {
        return Err(HolmError::invalid_request("Query parameter 'from' must not be after 'to'."));
    }
    if (to - from).get_days() > MAX_ENGAGEMENT_DAYS {
        return Err(HolmError::invalid_request(format!("The date range may span at most {MAX_ENGAGEMENT_DAYS} days.")));
    }
    let c = find(&caller, &id)?;
    let points = c.engagement_points(from, to.min(today));
    Ok(Json(Engagement { customer_id: c.id.clone(), from, to, interval_days: c.engagement.every_days, points }))
}

/// Churn-risk indicators as of today (S9).
#[utoipa::path(
    get, path = "/v1/customers/{id}/churn-risk", tag = "holm",
    params(("id" = String, Path, description = "Customer id")),
    responses(
        (status = 200, description = "Churn-risk indicators", body = ChurnRisk),
        (status = 401, description = "invalid_session, session_expired or session_ip_mismatch", body = HolmErrorBody),
        (status = 403, description = "origin_not_allowed or insufficient_scope", body = HolmErrorBody),
        (status = 404, description = "not_found", body = HolmErrorBody),
        (status = 429, description = "rate_limited", body = HolmErrorBody),
    ),
    security(("holm_session" = []))
)]
pub async fn get_churn_risk(caller: Caller, Path(id): Path<String>) -> Result<Json<ChurnRisk>, HolmError> {
    caller.admit(Scope::CustomersRead)?;
    let c = find(&caller, &id)?;
    let today = today(caller.now);
    let indicators = c.churn_indicators(caller.session.key.partnership_type, today);
    let risk_level = indicators.iter().map(|i| i.severity).max();
    Ok(Json(ChurnRisk { customer_id: c.id.clone(), as_of: today, risk_level, indicators }))
}
