//! The MSSP report (`mssp-report:read`, 26th-to-25th periods) and the reseller
//! report (`reseller-report:read`, calendar months): periods, eligible companies
//! and peak usage per product (S5, S7, S8). Both read the key's own partnership.
//!
//! `period` is `YYYY-MM` (400 otherwise) naming one of the listed periods (404
//! otherwise); without it, the current period. `product` is one of SNS, DA, WAS,
//! CS, PAT (400 otherwise); `company_id` must be a company of the partnership (404).

use std::collections::BTreeMap;

use axum::{Json, http::Uri};
use serde::{Deserialize, Serialize};

use crate::holm::{
    auth::Caller,
    error::{HolmError, HolmErrorBody},
    input::parse_query,
    model::{CustomerRecord, PartnershipType, Product},
    periods::{Period, PeriodView, periods_between, today},
    scope::Scope,
};

/// `?period=YYYY-MM`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// `YYYY-MM`; the current period when absent.
    #[param(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$", example = "2026-03")]
    pub period: Option<String>,
}

/// `?period=YYYY-MM&company_id=…&product=SNS`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// `YYYY-MM`; the current period when absent.
    #[param(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$", example = "2026-03")]
    pub period: Option<String>,
    /// Only this company.
    pub company_id: Option<String>,
    /// Only this product: SNS, DA, WAS, CS or PAT.
    #[param(value_type = Option<Product>, inline)]
    pub product: Option<String>,
}

/// The periods of the partnership, oldest first, up to the current one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HolmPeriods)]
pub struct Periods {
    pub periods: Vec<PeriodView>,
}

/// A company (a customer's Security Center account).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HolmCompany)]
pub struct Company {
    pub id: String,
    pub name: String,
    pub security_center_id: String,
}

/// The companies eligible for a period: customers by its end with usage in it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HolmCompanies)]
pub struct Companies {
    pub period: PeriodView,
    pub companies: Vec<Company>,
}

/// Peak usage per company and product in a period, with totals per product.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HolmUsage)]
pub struct Usage {
    pub period: PeriodView,
    /// Sum of the companies' peaks, per product code.
    #[schema(value_type = BTreeMap<String, u32>)]
    pub totals: BTreeMap<Product, u32>,
    pub companies: Vec<CompanyUsage>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = HolmCompanyUsage)]
pub struct CompanyUsage {
    pub id: String,
    pub name: String,
    pub security_center_id: String,
    /// Peak usage per subscribed product code.
    #[schema(value_type = BTreeMap<String, u32>)]
    pub usage: BTreeMap<Product, u32>,
}

macro_rules! report_routes {
    ($kind:expr, $scope:expr, $periods_path:literal, $companies_path:literal, $usage_path:literal, $periods:ident, $companies:ident, $usage:ident) => {
        /// Reporting periods of the key's partnership.
        #[utoipa::path(
            get, path = $periods_path, tag = "holm",
            responses(
                (status = 200, description = "Periods, oldest first", body = Periods),
                (status = 401, description = "invalid_session, session_expired or session_ip_mismatch", body = HolmErrorBody),
                (status = 403, description = "origin_not_allowed or insufficient_scope", body = HolmErrorBody),
                (status = 429, description = "rate_limited", body = HolmErrorBody),
            ),
            security(("holm_session" = []))
        )]
        pub async fn $periods(caller: Caller) -> Result<Json<Periods>, HolmError> {
            caller.admit($scope)?;
            Ok(Json(list_periods(&caller, $kind)))
        }

        /// Companies eligible for a period.
        #[utoipa::path(
            get, path = $companies_path, tag = "holm", params(PeriodQuery),
            responses(
                (status = 200, description = "Eligible companies", body = Companies),
                (status = 400, description = "invalid_request", body = HolmErrorBody),
                (status = 401, description = "invalid_session, session_expired or session_ip_mismatch", body = HolmErrorBody),
                (status = 403, description = "origin_not_allowed or insufficient_scope", body = HolmErrorBody),
                (status = 404, description = "not_found (period)", body = HolmErrorBody),
                (status = 429, description = "rate_limited", body = HolmErrorBody),
            ),
            security(("holm_session" = []))
        )]
        pub async fn $companies(caller: Caller, uri: Uri) -> Result<Json<Companies>, HolmError> {
            caller.admit($scope)?;
            list_companies(&caller, $kind, &parse_query(&uri)?).map(Json)
        }

        /// Peak usage per company and product in a period.
        #[utoipa::path(
            get, path = $usage_path, tag = "holm", params(UsageQuery),
            responses(
                (status = 200, description = "Peak usage and totals", body = Usage),
                (status = 400, description = "invalid_request", body = HolmErrorBody),
                (status = 401, description = "invalid_session, session_expired or session_ip_mismatch", body = HolmErrorBody),
                (status = 403, description = "origin_not_allowed or insufficient_scope", body = HolmErrorBody),
                (status = 404, description = "not_found (period or company)", body = HolmErrorBody),
                (status = 429, description = "rate_limited", body = HolmErrorBody),
            ),
            security(("holm_session" = []))
        )]
        pub async fn $usage(caller: Caller, uri: Uri) -> Result<Json<Usage>, HolmError> {
            caller.admit($scope)?;
            usage(&caller, $kind, &parse_query(&uri)?).map(Json)
        }
    };
}

report_routes!(
    PartnershipType::Mssp,
    Scope::MsspReportRead,
    "/v1/mssp-report/periods",
    "/v1/mssp-report/companies",
    "/v1/mssp-report/usage",
    list_mssp_periods,
    list_mssp_companies,
    get_mssp_usage
);
report_routes!(
    PartnershipType::Reseller,
    Scope::ResellerReportRead,
    "/v1/reseller-report/periods",
    "/v1/reseller-report/companies",
    "/v1/reseller-report/usage",
    list_reseller_periods,
    list_reseller_companies,
    get_reseller_usage
);

fn all_periods(caller: &Caller, kind: PartnershipType) -> Vec<Period> {
    let today = today(caller.now);
    let first = caller.store.data.first_day(&caller.session.key.partnership_id).unwrap_or(today);
    periods_between(kind, first, today)
}

fn list_periods(caller: &Caller, kind: PartnershipType) -> Periods {
    let today = today(caller.now);
    Periods { periods: all_periods(caller, kind).iter().map(|p| p.view(today)).collect() }
}

/// The `period` parameter: 400 when malformed, 404 when not one of the listed periods.
fn resolve_period(caller: &Caller, kind: PartnershipType, raw: Option<&str>) -> Result<Period, HolmError> {
    let periods = all_periods(caller, kind);
    let Some(raw) = raw else {
        return Ok(*periods.last().expect("the current period is always listed"));
    };
    let period = Period::parse(kind, raw)
        .ok_or_else(|| HolmError::invalid_request("Query parameter 'period' must be a period id in YYYY-MM format."))?;
    if periods.contains(&period) {
        Ok(period)
    } else {
        let first = periods.first().map(Period::id).unwrap_or_default();
        let last = periods.last().map(Period::id).unwrap_or_default();
        Err(HolmError::not_found("Period not found.", format!("period {raw} is outside {first}..{last}")))
    }
}

fn company(customer: &CustomerRecord) -> Company {
    Company {
        id: customer.id.clone(),
        name: customer.name.clone(),
        security_center_id: customer.security_center_id.clone(),
    }
}

fn list_companies(caller: &Caller, kind: PartnershipType, query: &PeriodQuery) -> Result<Companies, HolmError> {
    let period = resolve_period(caller, kind, query.period.as_deref())?;
    let today = today(caller.now);
    let companies = caller
        .store
        .data
        .of_partnership(&caller.session.key.partnership_id)
        .filter(|c| c.eligible(&period, today))
        .map(company)
        .collect();
    Ok(Companies { period: period.view(today), companies })
}

fn usage(caller: &Caller, kind: PartnershipType, query: &UsageQuery) -> Result<Usage, HolmError> {
    let period = resolve_period(caller, kind, query.period.as_deref())?;
    let product = match query.product.as_deref() {
        None => None,
        Some(code) => Some(Product::parse(code).ok_or_else(|| {
            HolmError::invalid_request("Query parameter 'product' must be one of SNS, DA, WAS, CS, PAT.")
        })?),
    };
    let today = today(caller.now);
    let partnership = &caller.session.key.partnership_id;
    if let Some(id) = &query.company_id
        && caller.store.data.customer(partnership, id).is_none()
    {
        return Err(HolmError::not_found(
            "Company not found.",
            format!("no company {id} in partnership {partnership}"),
        ));
    }
    let mut totals: BTreeMap<Product, u32> =
        Product::ALL.into_iter().filter(|p| product.is_none_or(|only| only == *p)).map(|p| (p, 0)).collect();
    let mut companies = Vec::new();
    for customer in caller.store.data.of_partnership(partnership) {
        if query.company_id.as_ref().is_some_and(|id| *id != customer.id) || !customer.eligible(&period, today) {
            continue;
        }
        let mut usage = customer.peak_usage(&period, today);
        usage.retain(|p, _| product.is_none_or(|only| only == *p));
        for (p, value) in &usage {
            *totals.entry(*p).or_default() += value;
        }
        let Company { id, name, security_center_id } = company(customer);
        companies.push(CompanyUsage { id, name, security_center_id, usage });
    }
    Ok(Usage { period: period.view(today), totals, companies })
}
