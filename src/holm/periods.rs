//! Reporting periods in Europe/Stockholm (reference §2, §6).
//!
//! An MSSP period runs from the 26th of the previous month to the 25th of its
//! month, and is named by that month: "2026-01" is 2025-12-26 to 2026-01-25. A
//! reseller period is a calendar month. "Today" is the emulator clock's date in
//! Stockholm, so the current period turns at local midnight whether Sweden is on
//! CET (+01:00) or CEST (+02:00).

use jiff::{
    Timestamp, ToSpan, Zoned,
    civil::{Date, date},
    tz::TimeZone,
};
use serde::Serialize;

use super::model::PartnershipType;

/// Reference §2: "Dates are YYYY-MM-DD, interpreted in the Europe/Stockholm time zone".
pub const TIME_ZONE: &str = "Europe/Stockholm";
/// S7: an MSSP period ends on the 25th.
const MSSP_LAST_DAY: i8 = 25;

/// Stockholm's time zone, compiled into the binary (the only zone the emulator needs).
pub fn stockholm() -> TimeZone {
    jiff::tz::get!("Europe/Stockholm")
}

/// The date in Stockholm at `now`.
pub fn today(now: Timestamp) -> Date {
    now.to_zoned(stockholm()).date()
}

/// One reporting period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub kind: PartnershipType,
    /// The month that names it.
    pub year: i16,
    pub month: i8,
    /// First and last day, inclusive.
    pub start: Date,
    pub end: Date,
}

impl Period {
    pub fn named(kind: PartnershipType, year: i16, month: i8) -> Option<Period> {
        let first = Date::new(year, month, 1).ok()?;
        let (start, end) = match kind {
            PartnershipType::Mssp => {
                let previous = first.checked_sub(1.month()).ok()?;
                (date(previous.year(), previous.month(), MSSP_LAST_DAY + 1), date(year, month, MSSP_LAST_DAY))
            }
            PartnershipType::Reseller => (first, first.last_of_month()),
        };
        Some(Period { kind, year, month, start, end })
    }

    /// The period a date falls in.
    pub fn containing(kind: PartnershipType, day: Date) -> Period {
        let named = match kind {
            PartnershipType::Mssp if day.day() > MSSP_LAST_DAY => {
                day.first_of_month().checked_add(1.month()).unwrap_or(day)
            }
            _ => day,
        };
        Period::named(kind, named.year(), named.month()).expect("a real month")
    }

    /// Parses an id `YYYY-MM`.
    pub fn parse(kind: PartnershipType, id: &str) -> Option<Period> {
        let (year, month) = id.split_once('-')?;
        if year.len() != 4 || month.len() != 2 {
            return None;
        }
        Period::named(kind, year.parse().ok()?, month.parse().ok()?)
    }

    pub fn id(&self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    #[must_use]
    pub fn next(&self) -> Period {
        Period::containing(self.kind, self.end.tomorrow().unwrap_or(self.end))
    }

    pub fn contains(&self, day: Date) -> bool {
        self.start <= day && day <= self.end
    }

    /// The wire shape, as seen on `today`.
    pub fn view(&self, today: Date) -> PeriodView {
        let tz = stockholm();
        let at_midnight = |day: Date| day.to_zoned(tz.clone()).map(|z: Zoned| z.timestamp().to_zoned(tz.clone()));
        let starts_at =
            at_midnight(self.start).map(|z| z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()).unwrap_or_default();
        let ends_at = at_midnight(self.end.tomorrow().unwrap_or(self.end))
            .map(|z| z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string())
            .unwrap_or_default();
        let status = if today > self.end { PeriodStatus::Closed } else { PeriodStatus::Open };
        PeriodView { id: self.id(), start_date: self.start, end_date: self.end, starts_at, ends_at, status }
    }
}

/// Every period from the one containing `first` to the current one, oldest first.
pub fn periods_between(kind: PartnershipType, first: Date, today: Date) -> Vec<Period> {
    let mut all = Vec::new();
    let mut period = Period::containing(kind, first.min(today));
    let last = Period::containing(kind, today);
    while period.start <= last.start {
        all.push(period);
        period = period.next();
    }
    all
}

/// Open while it has not ended (the current period), closed afterwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = HolmPeriodStatus)]
#[serde(rename_all = "lowercase")]
pub enum PeriodStatus {
    Open,
    Closed,
}

/// A period on the wire. INFERRED shape (reference §7.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = HolmPeriod)]
pub struct PeriodView {
    /// `YYYY-MM`, the month that names the period.
    pub id: String,
    #[schema(value_type = String, format = Date)]
    pub start_date: Date,
    #[schema(value_type = String, format = Date)]
    pub end_date: Date,
    /// Local midnight starting `start_date`, with Stockholm's offset that day.
    pub starts_at: String,
    /// Local midnight after `end_date` (exclusive end), with Stockholm's offset that day.
    pub ends_at: String,
    pub status: PeriodStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mssp_periods_run_from_the_26th_to_the_25th() {
        let january = Period::parse(PartnershipType::Mssp, "2026-01").unwrap();
        assert_eq!((january.start, january.end), (date(2025, 12, 26), date(2026, 1, 25)));
        assert_eq!(Period::containing(PartnershipType::Mssp, date(2026, 1, 25)).id(), "2026-01");
        assert_eq!(Period::containing(PartnershipType::Mssp, date(2026, 1, 26)).id(), "2026-02");
        assert_eq!(Period::containing(PartnershipType::Mssp, date(2025, 12, 31)).id(), "2026-01");
        let march = Period::parse(PartnershipType::Mssp, "2026-03").unwrap();
        assert_eq!((march.start, march.end), (date(2026, 2, 26), date(2026, 3, 25)));
    }

    #[test]
    fn reseller_periods_are_calendar_months() {
        let february = Period::parse(PartnershipType::Reseller, "2028-02").unwrap();
        assert_eq!((february.start, february.end), (date(2028, 2, 1), date(2028, 2, 29)));
        assert!(Period::parse(PartnershipType::Reseller, "2026-13").is_none());
        assert!(Period::parse(PartnershipType::Reseller, "2026-1").is_none());
    }

    #[test]
    fn today_turns_at_stockholm_midnight_across_the_dst_change() {
        // 2026-03-29: Sweden moves from +01:00 to +02:00.
        assert_eq!(today("2026-03-25T22:59:59Z".parse().unwrap()), date(2026, 3, 25));
        assert_eq!(today("2026-03-25T23:00:00Z".parse().unwrap()), date(2026, 3, 26));
        assert_eq!(today("2026-04-25T21:59:59Z".parse().unwrap()), date(2026, 4, 25));
        assert_eq!(today("2026-04-25T22:00:00Z".parse().unwrap()), date(2026, 4, 26));
        let april = Period::parse(PartnershipType::Mssp, "2026-04").unwrap().view(date(2026, 4, 1));
        assert_eq!(april.starts_at, "2026-03-26T00:00:00+01:00");
        assert_eq!(april.ends_at, "2026-04-26T00:00:00+02:00");
        assert_eq!(april.status, PeriodStatus::Open);
    }

    #[test]
    fn periods_between_lists_oldest_first_up_to_the_current_one() {
        let ids: Vec<String> = periods_between(PartnershipType::Mssp, date(2025, 11, 30), date(2026, 1, 26))
            .iter()
            .map(Period::id)
            .collect();
        assert_eq!(ids, ["2025-12", "2026-01", "2026-02"]);
    }
}
