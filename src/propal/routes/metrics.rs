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
use serde_json::{Map, Value, json};

use crate::propal::{
    auth::{Caller, Scope},
    error::{Detail, PropalError},
    input::{query_pairs, query_value},
    model::{DealStatus, Member, Proposal},
};

/// The `period` values of `/v1/metrics/sales`, in the MCP tool's wording plus `daily`.
const PERIODS: [&str; 4] = ["daily", "weekly", "monthly", "yearly"];
/// INFERRED: the period when none is given.
const DEFAULT_PERIOD: &str = "monthly";

pub async fn overview(caller: Caller) -> Result<Json<Value>, PropalError> {
    caller.require(Scope::MetricsRead)?;
    let data = caller.org.data();
    Ok(wrap(overview_of(&data.proposals.values().collect::<Vec<_>>())))
}

pub async fn pipeline(caller: Caller) -> Result<Json<Value>, PropalError> {
    caller.require(Scope::MetricsRead)?;
    let data = caller.org.data();
    Ok(wrap(pipeline_of(&data.proposals.values().collect::<Vec<_>>())))
}

pub async fn conversion(caller: Caller) -> Result<Json<Value>, PropalError> {
    caller.require(Scope::MetricsRead)?;
    let data = caller.org.data();
    Ok(wrap(conversion_of(&data.proposals.values().collect::<Vec<_>>())))
}

pub async fn sales(caller: Caller, RawQuery(query): RawQuery) -> Result<Json<Value>, PropalError> {
    caller.require(Scope::MetricsRead)?;
    let pairs = query_pairs(query.as_deref())?;
    let period = query_value(&pairs, "period").filter(|p| !p.is_empty()).unwrap_or(DEFAULT_PERIOD);
    if !PERIODS.contains(&period) {
        let expected: Vec<String> = PERIODS.iter().map(|p| format!("'{p}'")).collect();
        return Err(PropalError::validation(vec![Detail::new(
            "period",
            format!("Invalid enum value. Expected {}, received '{period}'", expected.join(" | ")),
        )]));
    }
    let data = caller.org.data();
    Ok(wrap(sales_of(&data.proposals.values().collect::<Vec<_>>(), period)))
}

pub async fn team_performance(caller: Caller) -> Result<Json<Value>, PropalError> {
    caller.require(Scope::MetricsRead)?;
    let data = caller.org.data();
    Ok(wrap(team_of(&caller.org.members, &data.proposals.values().collect::<Vec<_>>())))
}

pub async fn proposal_timing(caller: Caller) -> Result<Json<Value>, PropalError> {
    caller.require(Scope::MetricsRead)?;
    let data = caller.org.data();
    Ok(wrap(timing_of(&data.proposals.values().collect::<Vec<_>>())))
}

pub async fn rejection_reasons(caller: Caller) -> Result<Json<Value>, PropalError> {
    caller.require(Scope::MetricsRead)?;
    let data = caller.org.data();
    Ok(wrap(reasons_of(&data.proposals.values().collect::<Vec<_>>())))
}

fn wrap(data: Value) -> Json<Value> {
    let mut body = Map::new();
    body.insert("data".to_owned(), data);
    Json(Value::Object(body))
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

fn overview_of(proposals: &[&Proposal]) -> Value {
    let tally = Tally::of(proposals.iter().copied());
    json!({
        "total_proposals": tally.total,
        "published_proposals": proposals.iter().filter(|p| p.published_at.is_some()).count(),
        "pending": tally.pending,
        "approved": tally.approved,
        "denied": tally.denied,
        "total_value": round(tally.total_value, 2),
        "approved_value": round(tally.approved_value, 2),
        "conversion_rate": tally.conversion_rate(),
    })
}

fn pipeline_of(proposals: &[&Proposal]) -> Value {
    let tally = Tally::of(proposals.iter().copied());
    let stages: Vec<Value> = DealStatus::ALL
        .into_iter()
        .map(|status| {
            let (count, value) = tally.count_and_value(status);
            json!({ "deal_status": status, "count": count, "value": round(value, 2) })
        })
        .collect();
    json!({ "stages": stages })
}

/// Created → published (`published_at` set) → viewed (`first_viewed_at` set) → approved.
fn conversion_of(proposals: &[&Proposal]) -> Value {
    let tally = Tally::of(proposals.iter().copied());
    let published = proposals.iter().filter(|p| p.published_at.is_some()).count();
    let viewed = proposals.iter().filter(|p| p.first_viewed_at.is_some()).count();
    json!({
        "funnel": [
            { "stage": "created", "count": tally.total },
            { "stage": "published", "count": published },
            { "stage": "viewed", "count": viewed },
            { "stage": "approved", "count": tally.approved },
        ],
        "conversion_rate": tally.conversion_rate(),
    })
}

/// Approved deals by the UTC day, Monday-started week, month or year of `closed_at`,
/// oldest first. INFERRED: periods without a sale are left out, not zero-filled;
/// an approved proposal without `closed_at` is not counted.
fn sales_of(proposals: &[&Proposal], period: &str) -> Value {
    let mut buckets: BTreeMap<Date, (usize, f64)> = BTreeMap::new();
    for p in proposals.iter().filter(|p| p.deal_status == DealStatus::Approved) {
        let Some(closed_at) = p.closed_at else { continue };
        let bucket = buckets.entry(period_start(closed_at, period)).or_default();
        bucket.0 += 1;
        bucket.1 += p.value;
    }
    let series: Vec<Value> = buckets
        .into_iter()
        .map(|(start, (count, value))| json!({ "period_start": start.to_string(), "count": count, "value": round(value, 2) }))
        .collect();
    json!({ "period": period, "series": series })
}

/// The first UTC day of the period holding `at`.
fn period_start(at: Timestamp, period: &str) -> Date {
    let date = at.to_zoned(TimeZone::UTC).date();
    match period {
        "daily" => date,
        "weekly" => date.saturating_sub(i64::from(date.weekday().to_monday_zero_offset()).days()),
        "yearly" => date.first_of_year(),
        _ => date.first_of_month(),
    }
}

/// One row per member, in the organization's member order, by `created_by`.
/// Proposals made through the API (`created_by` null) belong to no one.
fn team_of(members: &[Member], proposals: &[&Proposal]) -> Value {
    let rows: Vec<Value> = members
        .iter()
        .map(|member| {
            let tally = Tally::of(proposals.iter().copied().filter(|p| p.created_by == Some(member.id)));
            json!({
                "member_id": member.id,
                "name": member.name,
                "proposals": tally.total,
                "approved": tally.approved,
                "denied": tally.denied,
                "approved_value": round(tally.approved_value, 2),
                "conversion_rate": tally.conversion_rate(),
            })
        })
        .collect();
    json!({ "members": rows })
}

/// Hours from `published_at` to `first_viewed_at`, and from `published_at` (or
/// `created_at` when never published) to `closed_at`; averages to 2 decimals,
/// `null` without samples.
fn timing_of(proposals: &[&Proposal]) -> Value {
    let to_view: Vec<f64> =
        proposals.iter().filter_map(|p| Some(hours_between(p.published_at?, p.first_viewed_at?))).collect();
    let to_close: Vec<f64> = proposals
        .iter()
        .filter_map(|p| Some(hours_between(p.published_at.unwrap_or(p.created_at), p.closed_at?)))
        .collect();
    json!({
        "average_hours_to_first_view": average(&to_view),
        "average_hours_to_close": average(&to_close),
        "samples_viewed": to_view.len(),
        "samples_closed": to_close.len(),
    })
}

/// Denied proposals by `rejection_reason` (`unspecified` when null), most
/// frequent first, ties in reason order.
fn reasons_of(proposals: &[&Proposal]) -> Value {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for p in proposals.iter().filter(|p| p.deal_status == DealStatus::Denied) {
        *counts.entry(p.rejection_reason.as_deref().unwrap_or("unspecified")).or_default() += 1;
    }
    let mut rows: Vec<(&str, usize)> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let reasons: Vec<Value> =
        rows.into_iter().map(|(reason, count)| json!({ "reason": reason, "count": count })).collect();
    json!({ "reasons": reasons })
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
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        // 2026-02-12 is a Thursday; 2026-02-15 a Sunday; 2026-02-16 a Monday.
        assert_eq!(period_start(at("2026-02-12T11:00:00Z"), "weekly").to_string(), "2026-02-09");
        assert_eq!(period_start(at("2026-02-15T23:59:59Z"), "weekly").to_string(), "2026-02-09");
        assert_eq!(period_start(at("2026-02-16T00:00:00Z"), "weekly").to_string(), "2026-02-16");
        assert_eq!(period_start(at("2026-02-12T11:00:00Z"), "daily").to_string(), "2026-02-12");
        assert_eq!(period_start(at("2026-02-12T11:00:00Z"), "monthly").to_string(), "2026-02-01");
        assert_eq!(period_start(at("2026-02-12T11:00:00Z"), "yearly").to_string(), "2026-01-01");
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
            reasons_of(&refs),
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
