//! Metrics (scope `metrics:read`): the seven `/v1/metrics/*` reads of the
//! automate-reporting guide, computed from the organization's own proposals on
//! every call, never canned (CONTRACT §5.2).
//!
//! Each answer is `{"data": …}`, as the guide reads `overview.data`. The field
//! names inside `data` are not documented; they follow reference §6.7's
//! suggestions (INFERRED). Rates are `approved / (approved + denied)`, 0 when no
//! deal is closed, rounded to 4 decimals; money sums to 2 decimals.

use std::collections::BTreeMap;

use axum::{Json, extract::RawQuery};
use jiff::{Timestamp, ToSpan, civil::Date, tz::TimeZone};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::propal::{
    auth::{Caller, Scope},
    docs::{Forbidden, Invalid, Refusals},
    error::{Detail, PropalError},
    input::{invalid_enum, query_pairs, query_value},
    model::{DealStatus, Member, Proposal},
};

/// The `period` of `/v1/metrics/sales`: the REST guide's hourly, daily and weekly, and
/// the MCP tool's weekly, monthly and yearly (reference §6.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = PropalSalesPeriod)]
pub enum Period {
    Hourly,
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

impl Period {
    pub const ALL: [Period; 5] = [Period::Hourly, Period::Daily, Period::Weekly, Period::Monthly, Period::Yearly];
    /// INFERRED: the period when none is given.
    pub const DEFAULT: Period = Period::Monthly;

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Hourly => "hourly",
            Period::Daily => "daily",
            Period::Weekly => "weekly",
            Period::Monthly => "monthly",
            Period::Yearly => "yearly",
        }
    }
}

/// `period` (default `monthly`).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents what `sales` reads
pub struct SalesParams {
    period: Option<Period>,
}

/// Every metrics answer: `{"data": …}`, as the guide reads `overview.data`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PropalMetric)]
pub struct Metric<T> {
    pub data: T,
}

/// Global KPIs.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PropalOverview)]
pub struct Overview {
    pub total_proposals: usize,
    pub published_proposals: usize,
    pub pending: usize,
    pub approved: usize,
    pub denied: usize,
    pub total_value: f64,
    pub approved_value: f64,
    /// approved / (approved + denied), 4 decimals; 0 when no deal is closed.
    pub conversion_rate: f64,
}

/// Proposals by deal status.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PropalPipeline)]
pub struct Pipeline {
    pub stages: Vec<Stage>,
}

/// One deal status of the pipeline.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PropalPipelineStage)]
pub struct Stage {
    pub deal_status: DealStatus,
    pub count: usize,
    pub value: f64,
}

/// The funnel and the conversion rate.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PropalConversion)]
pub struct Conversion {
    pub funnel: Vec<FunnelStage>,
    pub conversion_rate: f64,
}

/// One step of the funnel: `created`, `published`, `viewed`, `approved`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PropalFunnelStage)]
pub struct FunnelStage {
    pub stage: &'static str,
    pub count: usize,
}

/// Approved deals by period.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PropalSales)]
pub struct Sales {
    pub period: Period,
    pub series: Vec<SalesPoint>,
}

/// One period with sales.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PropalSalesPoint)]
pub struct SalesPoint {
    /// The period's start in UTC: `YYYY-MM-DD`, or for `hourly` the hour
    /// (`2026-02-12T11:00:00.000Z`).
    pub period_start: String,
    pub count: usize,
    pub value: f64,
}

/// Performance per member.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PropalTeamPerformance)]
pub struct Team {
    pub members: Vec<MemberPerformance>,
}

/// One member's proposals and deals.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PropalMemberPerformance)]
pub struct MemberPerformance {
    pub member_id: Uuid,
    pub name: String,
    pub proposals: usize,
    pub approved: usize,
    pub denied: usize,
    pub approved_value: f64,
    pub conversion_rate: f64,
}

/// Average times, in hours; `null` without samples.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PropalProposalTiming)]
pub struct Timing {
    #[schema(required)]
    pub average_hours_to_first_view: Option<f64>,
    #[schema(required)]
    pub average_hours_to_close: Option<f64>,
    pub samples_viewed: usize,
    pub samples_closed: usize,
}

/// Why proposals are denied.
#[derive(Debug, PartialEq, Serialize, ToSchema)]
#[schema(as = PropalRejectionReasons)]
pub struct Reasons {
    pub reasons: Vec<Reason>,
}

/// One rejection reason and how often it was given.
#[derive(Debug, PartialEq, Serialize, ToSchema)]
#[schema(as = PropalRejectionReason)]
pub struct Reason {
    /// `unspecified` when the proposal has none.
    pub reason: String,
    pub count: usize,
}

/// Global KPIs: total proposals, total value, conversion rate.
#[utoipa::path(get, path = "/v1/metrics/overview", tag = "propal",
    responses((status = 200, description = "Global KPIs", body = Metric<Overview>), Refusals, Forbidden),
    security(("propal_key" = ["metrics:read"])))]
pub async fn overview(caller: Caller) -> Result<Json<Metric<Overview>>, PropalError> {
    caller.require(Scope::MetricsRead)?;
    let data = caller.org.data();
    Ok(wrap(overview_of(&data.proposals.values().collect::<Vec<_>>())))
}

/// Proposals by deal status (pending, approved, denied).
#[utoipa::path(get, path = "/v1/metrics/pipeline", tag = "propal",
    responses((status = 200, description = "Proposals by deal status", body = Metric<Pipeline>), Refusals, Forbidden),
    security(("propal_key" = ["metrics:read"])))]
pub async fn pipeline(caller: Caller) -> Result<Json<Metric<Pipeline>>, PropalError> {
    caller.require(Scope::MetricsRead)?;
    let data = caller.org.data();
    Ok(wrap(pipeline_of(&data.proposals.values().collect::<Vec<_>>())))
}

/// Conversion rate and funnel data.
#[utoipa::path(get, path = "/v1/metrics/conversion", tag = "propal",
    responses((status = 200, description = "Funnel and conversion rate", body = Metric<Conversion>), Refusals, Forbidden),
    security(("propal_key" = ["metrics:read"])))]
pub async fn conversion(caller: Caller) -> Result<Json<Metric<Conversion>>, PropalError> {
    caller.require(Scope::MetricsRead)?;
    let data = caller.org.data();
    Ok(wrap(conversion_of(&data.proposals.values().collect::<Vec<_>>())))
}

/// Sales data by period.
#[utoipa::path(get, path = "/v1/metrics/sales", tag = "propal", params(SalesParams),
    responses((status = 200, description = "Approved deals by period", body = Metric<Sales>), Refusals, Forbidden, Invalid),
    security(("propal_key" = ["metrics:read"])))]
pub async fn sales(caller: Caller, RawQuery(query): RawQuery) -> Result<Json<Metric<Sales>>, PropalError> {
    caller.require(Scope::MetricsRead)?;
    let pairs = query_pairs(query.as_deref())?;
    let period = match query_value(&pairs, "period").filter(|p| !p.is_empty()) {
        None => Period::DEFAULT,
        Some(text) => Period::ALL.into_iter().find(|p| p.as_str() == text).ok_or_else(|| {
            let allowed = Period::ALL.map(Period::as_str);
            PropalError::validation(vec![Detail::new("period", invalid_enum(&allowed, text))])
        })?,
    };
    let data = caller.org.data();
    Ok(wrap(sales_of(&data.proposals.values().collect::<Vec<_>>(), period)))
}

/// Performance per team member.
#[utoipa::path(get, path = "/v1/metrics/team-performance", tag = "propal",
    responses((status = 200, description = "One row per member", body = Metric<Team>), Refusals, Forbidden),
    security(("propal_key" = ["metrics:read"])))]
pub async fn team_performance(caller: Caller) -> Result<Json<Metric<Team>>, PropalError> {
    caller.require(Scope::MetricsRead)?;
    let data = caller.org.data();
    Ok(wrap(team_of(&caller.org.members, &data.proposals.values().collect::<Vec<_>>())))
}

/// Average time to first view and to close.
#[utoipa::path(get, path = "/v1/metrics/proposal-timing", tag = "propal",
    responses((status = 200, description = "Average hours", body = Metric<Timing>), Refusals, Forbidden),
    security(("propal_key" = ["metrics:read"])))]
pub async fn proposal_timing(caller: Caller) -> Result<Json<Metric<Timing>>, PropalError> {
    caller.require(Scope::MetricsRead)?;
    let data = caller.org.data();
    Ok(wrap(timing_of(&data.proposals.values().collect::<Vec<_>>())))
}

/// Why proposals are rejected, aggregated.
#[utoipa::path(get, path = "/v1/metrics/rejection-reasons", tag = "propal",
    responses((status = 200, description = "Reasons, most frequent first", body = Metric<Reasons>), Refusals, Forbidden),
    security(("propal_key" = ["metrics:read"])))]
pub async fn rejection_reasons(caller: Caller) -> Result<Json<Metric<Reasons>>, PropalError> {
    caller.require(Scope::MetricsRead)?;
    let data = caller.org.data();
    Ok(wrap(reasons_of(&data.proposals.values().collect::<Vec<_>>())))
}

fn wrap<T>(data: T) -> Json<Metric<T>> {
    Json(Metric { data })
}

/// Counts and value of a set of proposals, by deal status.
#[derive(Default)]
struct Tally {
    total: usize,
    pending: usize,
    approved: usize,
    denied: usize,
    total_value: f64,
    pending_value: f64,
    approved_value: f64,
    denied_value: f64,
}

impl Tally {
    fn of<'a>(proposals: impl IntoIterator<Item = &'a Proposal>) -> Self {
        let mut tally = Tally::default();
        for p in proposals {
            tally.total += 1;
            tally.total_value += p.value;
            let (count, value) = match p.deal_status {
                DealStatus::Pending => (&mut tally.pending, &mut tally.pending_value),
                DealStatus::Approved => (&mut tally.approved, &mut tally.approved_value),
                DealStatus::Denied => (&mut tally.denied, &mut tally.denied_value),
            };
            *count += 1;
            *value += p.value;
        }
        tally
    }

    fn count_and_value(&self, status: DealStatus) -> (usize, f64) {
        match status {
            DealStatus::Pending => (self.pending, self.pending_value),
            DealStatus::Approved => (self.approved, self.approved_value),
            DealStatus::Denied => (self.denied, self.denied_value),
        }
    }

    /// approved / (approved + denied): pending deals are not decided yet.
    fn conversion_rate(&self) -> f64 {
        let closed = self.approved + self.denied;
        if closed == 0 { 0.0 } else { round(count(self.approved) / count(closed), 4) }
    }
}

fn overview_of(proposals: &[&Proposal]) -> Overview {
    let tally = Tally::of(proposals.iter().copied());
    Overview {
        total_proposals: tally.total,
        published_proposals: proposals.iter().filter(|p| p.published_at.is_some()).count(),
        pending: tally.pending,
        approved: tally.approved,
        denied: tally.denied,
        total_value: round(tally.total_value, 2),
        approved_value: round(tally.approved_value, 2),
        conversion_rate: tally.conversion_rate(),
    }
}

fn pipeline_of(proposals: &[&Proposal]) -> Pipeline {
    let tally = Tally::of(proposals.iter().copied());
    let stages = DealStatus::ALL
        .into_iter()
        .map(|deal_status| {
            let (count, value) = tally.count_and_value(deal_status);
            Stage { deal_status, count, value: round(value, 2) }
        })
        .collect();
    Pipeline { stages }
}

/// Created → published (`published_at` set) → viewed (`first_viewed_at` set) → approved.
fn conversion_of(proposals: &[&Proposal]) -> Conversion {
    let tally = Tally::of(proposals.iter().copied());
    let published = proposals.iter().filter(|p| p.published_at.is_some()).count();
    let viewed = proposals.iter().filter(|p| p.first_viewed_at.is_some()).count();
    let funnel = [("created", tally.total), ("published", published), ("viewed", viewed), ("approved", tally.approved)]
        .into_iter()
        .map(|(stage, count)| FunnelStage { stage, count })
        .collect();
    Conversion { funnel, conversion_rate: tally.conversion_rate() }
}

/// Approved deals by the UTC day, Monday-started week, month or year of `closed_at`,
/// oldest first. INFERRED: periods without a sale are left out, not zero-filled;
/// an approved proposal without `closed_at` is not counted.
fn sales_of(proposals: &[&Proposal], period: Period) -> Sales {
    let mut buckets: BTreeMap<(Date, i8), (usize, f64)> = BTreeMap::new();
    for p in proposals.iter().filter(|p| p.deal_status == DealStatus::Approved) {
        let Some(closed_at) = p.closed_at else { continue };
        let bucket = buckets.entry(period_start(closed_at, period)).or_default();
        bucket.0 += 1;
        bucket.1 += p.value;
    }
    let series = buckets
        .into_iter()
        .map(|((day, hour), (count, value))| {
            let period_start =
                if period == Period::Hourly { format!("{day}T{hour:02}:00:00.000Z") } else { day.to_string() };
            SalesPoint { period_start, count, value: round(value, 2) }
        })
        .collect();
    Sales { period, series }
}

/// The first UTC day (and, hourly, hour) of the period holding `at`.
fn period_start(at: Timestamp, period: Period) -> (Date, i8) {
    let zoned = at.to_zoned(TimeZone::UTC);
    let date = zoned.date();
    let day = match period {
        Period::Hourly => return (date, zoned.hour()),
        Period::Daily => date,
        Period::Weekly => date.saturating_sub(i64::from(date.weekday().to_monday_zero_offset()).days()),
        Period::Yearly => date.first_of_year(),
        Period::Monthly => date.first_of_month(),
    };
    (day, 0)
}

/// One row per member, in the organization's member order, by `created_by`.
/// Proposals made through the API (`created_by` null) belong to no one.
fn team_of(members: &[Member], proposals: &[&Proposal]) -> Team {
    let rows = members
        .iter()
        .map(|member| {
            let tally = Tally::of(proposals.iter().copied().filter(|p| p.created_by == Some(member.id)));
            MemberPerformance {
                member_id: member.id,
                name: member.name.clone(),
                proposals: tally.total,
                approved: tally.approved,
                denied: tally.denied,
                approved_value: round(tally.approved_value, 2),
                conversion_rate: tally.conversion_rate(),
            }
        })
        .collect();
    Team { members: rows }
}

/// Hours from `published_at` to `first_viewed_at`, and from `published_at` (or
/// `created_at` when never published) to `closed_at`; averages to 2 decimals,
/// `null` without samples.
fn timing_of(proposals: &[&Proposal]) -> Timing {
    let to_view: Vec<f64> =
        proposals.iter().filter_map(|p| Some(hours_between(p.published_at?, p.first_viewed_at?))).collect();
    let to_close: Vec<f64> = proposals
        .iter()
        .filter_map(|p| Some(hours_between(p.published_at.unwrap_or(p.created_at), p.closed_at?)))
        .collect();
    Timing {
        average_hours_to_first_view: average(&to_view),
        average_hours_to_close: average(&to_close),
        samples_viewed: to_view.len(),
        samples_closed: to_close.len(),
    }
}

/// Denied proposals by `rejection_reason` (`unspecified` when null), most
/// frequent first, ties in reason order.
fn reasons_of(proposals: &[&Proposal]) -> Reasons {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for p in proposals.iter().filter(|p| p.deal_status == DealStatus::Denied) {
        *counts.entry(p.rejection_reason.as_deref().unwrap_or("unspecified")).or_default() += 1;
    }
    let mut rows: Vec<(&str, usize)> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    Reasons { reasons: rows.into_iter().map(|(reason, count)| Reason { reason: reason.to_owned(), count }).collect() }
}

fn hours_between(from: Timestamp, to: Timestamp) -> f64 {
    to.duration_since(from).as_secs_f64() / 3600.0
}

fn average(samples: &[f64]) -> Option<f64> {
    (!samples.is_empty()).then(|| round(samples.iter().sum::<f64>() / count(samples.len()), 2))
}

#[allow(clippy::cast_precision_loss)] // Proposal counts are far below 2^52.
fn count(n: usize) -> f64 {
    n as f64
}

fn round(value: f64, decimals: i32) -> f64 {
    let factor = 10f64.powi(decimals);
    (value * factor).round() / factor
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        // 2026-02-12 is a Thursday; 2026-02-15 a Sunday; 2026-02-16 a Monday.
        assert_eq!(period_start(at("2026-02-12T11:00:00Z"), Period::Weekly).0.to_string(), "2026-02-09");
        assert_eq!(period_start(at("2026-02-15T23:59:59Z"), Period::Weekly).0.to_string(), "2026-02-09");
        assert_eq!(period_start(at("2026-02-16T00:00:00Z"), Period::Weekly).0.to_string(), "2026-02-16");
        assert_eq!(period_start(at("2026-02-12T11:00:00Z"), Period::Daily).0.to_string(), "2026-02-12");
        assert_eq!(period_start(at("2026-02-12T11:00:00Z"), Period::Monthly).0.to_string(), "2026-02-01");
        assert_eq!(period_start(at("2026-02-12T11:00:00Z"), Period::Yearly).0.to_string(), "2026-01-01");
        assert_eq!(
            period_start(at("2026-02-12T11:59:59Z"), Period::Hourly),
            (at("2026-02-12T00:00:00Z").to_zoned(TimeZone::UTC).date(), 11)
        );
    }

    fn denied(reason: Option<&str>) -> Proposal {
        serde_json::from_value(json!({
            "id": uuid::Uuid::nil(), "title": "t", "slug": "s", "currency": "EUR", "deal_status": "denied",
            "page_status": "published", "rejection_reason": reason,
            "created_at": "2026-01-01T00:00:00.000Z", "updated_at": "2026-01-01T00:00:00.000Z",
        }))
        .unwrap()
    }

    #[test]
    fn rejection_reasons_most_frequent_first_null_as_unspecified() {
        let proposals =
            [denied(Some("Price")), denied(None), denied(Some("Timing")), denied(None), denied(Some("Price"))];
        let refs: Vec<&Proposal> = proposals.iter().collect();
        assert_eq!(
            serde_json::to_value(reasons_of(&refs)).unwrap(),
            json!({"reasons": [
                {"reason": "Price", "count": 2}, {"reason": "unspecified", "count": 2}, {"reason": "Timing", "count": 1},
            ]})
        );
    }

    #[test]
    fn rounding_and_averages() {
        assert!((round(2.0 / 3.0, 4) - 0.6667).abs() < f64::EPSILON);
        assert_eq!(average(&[]), None);
        assert_eq!(average(&[6.5, 26.0, 15.0, 21.0]), Some(17.13));
    }
}
