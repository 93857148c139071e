//! Partner data: customers with their usage, engagement and churn signals
//! (fixture `customers.json`), and the domain rules the report routes compute
//! from it (reference §6): peak usage per company per product within a period,
//! companies eligible for a period, engagement over a date range, churn-risk
//! indicators as of today. Samples dated after "today" (the emulator clock in
//! Stockholm) are not visible yet, so moving the clock moves the reports.

use std::collections::{BTreeMap, HashSet};

use jiff::{ToSpan, civil::Date};

use super::{
    model::{CustomerRecord, Organization, PartnershipType, Product, Severity},
    periods::Period,
};

/// Every customer of every fixture partnership.
#[derive(Debug, Default)]
pub struct PartnerData {
    pub customers: Vec<CustomerRecord>,
}

/// S9: MSSP inactive-product usage: "more than 7 days inactive = LOW".
const INACTIVE_DAYS: i32 = 7;
/// How far back a portal signal (inactive appliance, failed scans) still counts. INFERRED.
const SIGNAL_DAYS: i32 = 30;

impl PartnerData {
    /// Checks the customers against the organizations; errors carry (JSON path, reason).
    pub fn new(customers: Vec<CustomerRecord>, orgs: &[Organization]) -> Result<Self, (String, String)> {
        let partnerships: HashSet<&str> = orgs.iter().flat_map(|o| &o.partnerships).map(|p| p.id.as_str()).collect();
        let mut ids = HashSet::new();
        for (i, customer) in customers.iter().enumerate() {
            let at = |field: &str| format!("$.customers[{i}].{field}");
            if !ids.insert(customer.id.as_str()) {
                return Err((at("id"), "duplicate customer id".into()));
            }
            if !partnerships.contains(customer.partnership_id.as_str()) {
                return Err((at("partnership_id"), "no organization has this partnership".into()));
            }
            for (u, series) in customer.usage.iter().enumerate() {
                if !customer.products.contains(&series.product) {
                    return Err((format!("$.customers[{i}].usage[{u}].product"), "not a subscribed product".into()));
                }
                if series.every_days < 1 {
                    return Err((format!("$.customers[{i}].usage[{u}].every_days"), "must be at least 1".into()));
                }
            }
            if customer.engagement.every_days < 1 {
                return Err((at("engagement.every_days"), "must be at least 1".into()));
            }
        }
        Ok(Self { customers })
    }

    pub fn of_partnership<'a>(&'a self, partnership_id: &'a str) -> impl Iterator<Item = &'a CustomerRecord> + 'a {
        self.customers.iter().filter(move |c| c.partnership_id == partnership_id)
    }

    pub fn customer<'a>(&'a self, partnership_id: &'a str, id: &str) -> Option<&'a CustomerRecord> {
        self.of_partnership(partnership_id).find(|c| c.id == id)
    }

    /// The earliest visible sample of a partnership, where its periods start.
    pub fn first_day(&self, partnership_id: &str) -> Option<Date> {
        self.of_partnership(partnership_id).flat_map(|c| c.usage.iter().map(|u| u.start)).min()
    }
}

/// `(date, value)` of the samples of a series dated within `[from, to]`.
fn samples<T: Copy>(start: Date, every_days: i32, values: &[T], from: Date, to: Date) -> Vec<(Date, T)> {
    values
        .iter()
        .enumerate()
        .filter_map(|(i, value)| {
            let offset = i32::try_from(i).ok()?.checked_mul(every_days)?;
            let day = start.checked_add(offset.days()).ok()?;
            (from <= day && day <= to).then_some((day, *value))
        })
        .collect()
}

impl CustomerRecord {
    /// Peak usage per subscribed product within `period`, counting samples up to `today`;
    /// products without a sample in the period are left out.
    pub fn peak_usage(&self, period: &Period, today: Date) -> BTreeMap<Product, u32> {
        let to = period.end.min(today);
        let mut peaks = BTreeMap::new();
        for series in &self.usage {
            let peak = samples(series.start, series.every_days, &series.values, period.start, to)
                .into_iter()
                .map(|(_, v)| v)
                .max();
            if let Some(peak) = peak {
                peaks.insert(series.product, peak);
            }
        }
        peaks
    }

    /// S5 "eligible companies": a customer by the period's end with usage in it.
    pub fn eligible(&self, period: &Period, today: Date) -> bool {
        self.customer_since <= period.end && self.peak_usage(period, today).values().any(|&v| v > 0)
    }

    /// Engagement points dated within `[from, to]`.
    pub fn engagement_points(&self, from: Date, to: Date) -> Vec<EngagementPoint> {
        let e = &self.engagement;
        let dates = samples(e.start, e.every_days, &e.logins, from, to);
        let index = |day: Date| -> usize {
            let days = (day - e.start).get_days();
            usize::try_from(days / e.every_days).unwrap_or(0)
        };
        let pick = |series: &Option<Vec<u32>>, i: usize| series.as_ref().and_then(|s| s.get(i).copied());
        dates
            .into_iter()
            .map(|(date, logins)| {
                let i = index(date);
                EngagementPoint {
                    date,
                    risk_score: e.risk_score.get(i).copied(),
                    threat_score: e.threat_score.get(i).copied(),
                    logins,
                    sns_scans: pick(&e.sns_scans, i),
                    was_scans: pick(&e.was_scans, i),
                    cs_scans: pick(&e.cs_scans, i),
                    pat_assessments: pick(&e.pat_assessments, i),
                    reports_created: e.reports_created.get(i).copied().unwrap_or(0),
                }
            })
            .collect()
    }

    /// Churn-risk indicators as of `today` (reference §6, S9), highest severity first.
    pub fn churn_indicators(&self, kind: PartnershipType, today: Date) -> Vec<Indicator> {
        let mut found: Vec<Indicator> = self
            .signals
            .iter()
            .filter(|s| s.detected_on <= today && (today - s.detected_on).get_days() <= SIGNAL_DAYS)
            .map(|s| Indicator {
                kind: s.kind.clone(),
                severity: s.severity,
                product: None,
                detected_on: s.detected_on,
                detail: s.detail.clone(),
            })
            .collect();
        match kind {
            PartnershipType::Mssp => found.extend(self.inactive_products(today)),
            PartnershipType::Reseller => {
                found.extend(self.renewal(today));
                found.extend(self.license_usage(today));
            }
        }
        found.sort_by(|a, b| b.severity.cmp(&a.severity).then(b.detected_on.cmp(&a.detected_on)));
        found
    }

    fn inactive_products(&self, today: Date) -> Vec<Indicator> {
        let mut found = Vec::new();
        for series in &self.usage {
            let last_active = samples(series.start, series.every_days, &series.values, series.start, today)
                .into_iter()
                .filter(|(_, v)| *v > 0)
                .map(|(d, _)| d)
                .max();
            let Some(last) = last_active else { continue };
            let idle = (today - last).get_days();
            if idle > INACTIVE_DAYS {
                found.push(Indicator {
                    kind: "inactive_product_usage".into(),
                    severity: Severity::Low,
                    product: Some(series.product),
                    detected_on: last.checked_add((INACTIVE_DAYS + 1).days()).unwrap_or(today),
                    detail: format!("No {} usage for {idle} days (last on {last}).", series.product.code()),
                });
            }
        }
        found
    }

    /// S9: renewal within 6 months LOW, 3 months MEDIUM, under 1 month HIGH.
    fn renewal(&self, today: Date) -> Option<Indicator> {
        let contract = self.contract.as_ref()?;
        let renewal = contract.renewal_date;
        if renewal < today {
            return None;
        }
        let within = |months: i32| today.checked_add(months.months()).is_ok_and(|limit| renewal < limit);
        let severity = if within(1) {
            Severity::High
        } else if within(3) {
            Severity::Medium
        } else if within(6) {
            Severity::Low
        } else {
            return None;
        };
        Some(Indicator {
            kind: "contract_renewal".into(),
            severity,
            product: None,
            detected_on: today,
            detail: format!("Contract renews on {renewal}."),
        })
    }

    /// S9: license usage 60–79 % LOW, 80–100 % MEDIUM, over 100 % HIGH, this calendar month.
    fn license_usage(&self, today: Date) -> Vec<Indicator> {
        let month = Period::containing(PartnershipType::Reseller, today);
        let peaks = self.peak_usage(&month, today);
        let mut found = Vec::new();
        for (product, &licensed) in &self.licenses {
            let used = peaks.get(product).copied().unwrap_or(0);
            if licensed == 0 {
                continue;
            }
            let percent = u64::from(used) * 100 / u64::from(licensed);
            let severity = match percent {
                0..60 => continue,
                60..80 => Severity::Low,
                80..=100 => Severity::Medium,
                _ => Severity::High,
            };
            found.push(Indicator {
                kind: "license_usage".into(),
                severity,
                product: Some(*product),
                detected_on: today,
                detail: format!("{} usage {used} of {licensed} licensed ({percent} %).", product.code()),
            });
        }
        found
    }
}

/// One engagement sample on the wire (S10 metrics; null = not part of the subscription).
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = HolmEngagementPoint)]
pub struct EngagementPoint {
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    pub risk_score: Option<f64>,
    pub threat_score: Option<f64>,
    pub logins: u32,
    pub sns_scans: Option<u32>,
    pub was_scans: Option<u32>,
    pub cs_scans: Option<u32>,
    pub pat_assessments: Option<u32>,
    pub reports_created: u32,
}

/// One churn-risk indicator on the wire.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = HolmChurnIndicator)]
pub struct Indicator {
    /// `inactive_scanner_appliance`, `failed_scans`, `inactive_product_usage`, `contract_renewal`, `license_usage`.
    #[serde(rename = "type")]
    pub kind: String,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<Product>,
    #[schema(value_type = String, format = Date)]
    pub detected_on: Date,
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;
    use crate::holm::model::{Contract, EngagementSeries, UsageSeries};

    fn customer() -> CustomerRecord {
        CustomerRecord {
            id: "c".into(),
            name: "C".into(),
            partnership_id: "p".into(),
            security_center_id: "sc".into(),
            country: "SE".into(),
            customer_since: date(2025, 1, 1),
            products: vec![Product::Sns, Product::Da],
            contract: Some(Contract { acv: 1, currency: "EUR".into(), renewal_date: date(2026, 3, 10) }),
            licenses: BTreeMap::from([(Product::Sns, 20)]),
            usage: vec![
                UsageSeries {
                    product: Product::Sns,
                    start: date(2025, 12, 20),
                    every_days: 7,
                    values: vec![14, 10, 12, 9, 17],
                },
                UsageSeries {
                    product: Product::Da,
                    start: date(2025, 12, 20),
                    every_days: 7,
                    values: vec![3, 0, 0, 0, 0],
                },
            ],
            engagement: EngagementSeries {
                start: date(2025, 12, 20),
                every_days: 7,
                risk_score: vec![1.0; 5],
                threat_score: vec![2.0; 5],
                logins: vec![1, 2, 3, 4, 5],
                sns_scans: Some(vec![1; 5]),
                was_scans: None,
                cs_scans: None,
                pat_assessments: None,
                reports_created: vec![0; 5],
            },
            signals: vec![],
        }
    }

    #[test]
    fn usage_is_the_peak_within_the_period_and_hides_the_future() {
        // Samples: 12-20 (14), 12-27 (10), 01-03 (12), 01-10 (9), 01-17 (17).
        let january = Period::parse(PartnershipType::Mssp, "2026-01").unwrap();
        let c = customer();
        assert_eq!(c.peak_usage(&january, date(2026, 1, 25))[&Product::Sns], 17);
        assert_eq!(c.peak_usage(&january, date(2026, 1, 12))[&Product::Sns], 12, "01-17 is not visible yet");
        assert_eq!(c.peak_usage(&january, date(2026, 1, 25))[&Product::Da], 0);
    }

    #[test]
    fn churn_rules_follow_the_portal_thresholds() {
        let c = customer();
        let mssp = c.churn_indicators(PartnershipType::Mssp, date(2026, 1, 17));
        assert_eq!(mssp.len(), 1, "{mssp:?}");
        assert_eq!((mssp[0].kind.as_str(), mssp[0].product), ("inactive_product_usage", Some(Product::Da)));
        let reseller = c.churn_indicators(PartnershipType::Reseller, date(2026, 1, 17));
        let kinds: Vec<(&str, Severity)> = reseller.iter().map(|i| (i.kind.as_str(), i.severity)).collect();
        // Renewal 2026-03-10 is within 3 months (MEDIUM); SNS 17 of 20 is 85 % (MEDIUM).
        assert!(kinds.contains(&("contract_renewal", Severity::Medium)), "{kinds:?}");
        assert!(kinds.contains(&("license_usage", Severity::Medium)), "{kinds:?}");
        let high = c.churn_indicators(PartnershipType::Reseller, date(2026, 2, 15));
        assert!(high.iter().any(|i| i.kind == "contract_renewal" && i.severity == Severity::High), "{high:?}");
    }
}
