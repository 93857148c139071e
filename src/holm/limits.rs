//! Holm's numbers and the per-session rate window (seed: "Session validity", "API rate limit").
//!
//! The rate rule: a session may send `limit` requests in any one-second window.
//! The window keeps the instants of the last admitted requests; a request at `now`
//! is admitted when fewer than `limit` of them lie in `(now - 1 s, now]`, else it
//! is refused with the milliseconds until the oldest leaves the window (rounded
//! up, so waiting exactly that long always passes). Refused requests are not
//! counted. The caller holds the organization's lock around [`RateWindow::admit`],
//! so of N simultaneous requests on a fresh session exactly `limit` pass.

use std::collections::VecDeque;

use jiff::{SignedDuration, Timestamp};

/// Seed: "Sessions are valid for one hour."
pub const SESSION_LIFETIME: SignedDuration = SignedDuration::from_secs(3600);
/// Seed: "a maximum of five active sessions at any time across all API keys".
pub const MAX_SESSIONS_PER_ORG: usize = 5;
/// Seed: "limited to one request per second per session".
pub const REQUESTS_PER_SECOND: u32 = 1;
/// The rate window.
pub const RATE_WINDOW: SignedDuration = SignedDuration::from_secs(1);
/// Seed: "a Rotation due badge on any key that has not been rotated in over 6 months".
pub const ROTATION_DUE_MONTHS: i64 = 6;
/// Seed: "Key Name … Maximum 100 characters."
pub const MAX_KEY_NAME_CHARS: usize = 100;
/// How many ended-by-expiry sessions an organization remembers, so their tokens
/// answer `session_expired` rather than `invalid_session`. INFERRED: bounded so
/// memory never grows with the number of sessions ever opened.
pub const EXPIRED_MEMORY: usize = 32;

/// The admitted requests of one session in the last second, oldest first.
#[derive(Debug, Default)]
pub struct RateWindow {
    admitted: VecDeque<Timestamp>,
}

impl RateWindow {
    /// Admits and counts a request at `now`, or says how many milliseconds to wait.
    /// A `limit` of 0 admits everything and keeps nothing.
    pub fn admit(&mut self, now: Timestamp, limit: u32) -> Result<(), u64> {
        if limit == 0 {
            return Ok(());
        }
        while self.admitted.front().is_some_and(|&at| at + RATE_WINDOW <= now) {
            self.admitted.pop_front();
        }
        if self.admitted.len() >= limit as usize {
            let leaves = self.admitted.front().map_or(now, |&oldest| oldest + RATE_WINDOW);
            return Err(ceil_millis(leaves.duration_since(now)).max(1));
        }
        self.admitted.push_back(now);
        Ok(())
    }
}

impl RateWindow {
    /// How many requests were admitted in the window ending at `now`.
    pub fn used(&self, now: Timestamp) -> usize {
        self.admitted.iter().filter(|&&at| at <= now && at + RATE_WINDOW > now).count()
    }
}

fn ceil_millis(duration: SignedDuration) -> u64 {
    let nanos = duration.as_nanos().max(0);
    u64::try_from((nanos + 999_999) / 1_000_000).unwrap_or(u64::MAX)
}

/// Whether a key last rotated (or created) at `since` shows "Rotation due" at `now`.
pub fn rotation_due(since: Timestamp, now: Timestamp) -> bool {
    let due = since
        .to_zoned(jiff::tz::TimeZone::UTC)
        .checked_add(jiff::Span::new().months(ROTATION_DUE_MONTHS))
        .map(|z| z.timestamp());
    due.is_ok_and(|due| now > due)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_millisecond(1_800_000_000_000 + ms).unwrap()
    }

    #[test]
    fn one_per_second_with_the_wait_in_milliseconds() {
        let mut window = RateWindow::default();
        assert_eq!(window.admit(at(0), 1), Ok(()));
        assert_eq!(window.admit(at(0), 1), Err(1000));
        assert_eq!(window.admit(at(1), 1), Err(999));
        assert_eq!(window.admit(at(258), 1), Err(742));
        assert_eq!(window.admit(at(999), 1), Err(1));
        assert_eq!(window.admit(at(1000), 1), Ok(()));
        assert_eq!(window.admit(at(1500), 1), Err(500));
    }

    #[test]
    fn sub_millisecond_waits_round_up() {
        let mut window = RateWindow::default();
        window.admit(at(0), 1).unwrap();
        let later = at(0) + SignedDuration::from_micros(999_500);
        assert_eq!(window.admit(later, 1), Err(1));
    }

    #[test]
    fn refusals_do_not_count_and_zero_turns_it_off() {
        let mut window = RateWindow::default();
        window.admit(at(0), 2).unwrap();
        window.admit(at(100), 2).unwrap();
        for ms in 101..1000 {
            assert!(window.admit(at(ms), 2).is_err());
        }
        assert_eq!(window.admit(at(1000), 2), Ok(()));
        let mut off = RateWindow::default();
        for _ in 0..100 {
            assert_eq!(off.admit(at(0), 0), Ok(()));
        }
        assert!(off.admitted.is_empty());
    }

    #[test]
    fn rotation_is_due_after_six_calendar_months() {
        let created: Timestamp = "2026-01-31T12:00:00Z".parse().unwrap();
        assert!(!rotation_due(created, "2026-07-31T12:00:00Z".parse().unwrap()));
        assert!(rotation_due(created, "2026-07-31T12:00:01Z".parse().unwrap()));
    }
}

/// Model-based property test: on random timelines driven through the emulator clock,
/// the rate window decides exactly as a reference model that keeps every admitted
/// instant, and its advertised wait always suffices.
#[cfg(test)]
mod proptests {
    use proptest::prelude::*;

    use super::*;
    use crate::clock::Clock;

    fn in_second_before(admitted: &[Timestamp], t: Timestamp) -> usize {
        admitted.iter().filter(|&&at| at > t - RATE_WINDOW && at <= t).count()
    }

    proptest! {
        #![proptest_config(crate::testing::cases(64))]

        #[test]
        fn the_rate_window_decides_like_the_reference_model(
            limit in 0u32..5,
            gaps_us in proptest::collection::vec(prop_oneof![Just(0i64), 0i64..1_000, 0i64..400_000, 0i64..2_000_000], 1..300),
        ) {
            let clock = Clock::default();
            clock.freeze();
            clock.set(Timestamp::from_second(1_800_000_000).unwrap());
            let mut window = RateWindow::default();
            let mut admitted: Vec<Timestamp> = Vec::new();
            for gap in gaps_us {
                clock.set(clock.now() + SignedDuration::from_micros(gap));
                let now = clock.now();
                let expected = limit == 0 || in_second_before(&admitted, now) < limit as usize;
                let decided = window.admit(now, limit);
                prop_assert_eq!(decided.is_ok(), expected, "at {}", now);
                match decided {
                    Ok(()) if limit > 0 => admitted.push(now),
                    Ok(()) => {}
                    Err(wait_ms) => {
                        let later = now + SignedDuration::from_millis(i64::try_from(wait_ms).unwrap());
                        prop_assert!(in_second_before(&admitted, later) < limit as usize, "wait {} ms", wait_ms);
                        prop_assert!((1..=1000).contains(&wait_ms));
                    }
                }
            }
            for &end in &admitted {
                prop_assert!(in_second_before(&admitted, end) <= limit as usize);
            }
        }
    }
}
