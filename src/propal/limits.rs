//! Propal's rate limit (docs.propal.io/api-reference/rate-limiting): 1000 requests
//! per hour per organization, shared by all its keys, in a sliding window that
//! "slides continuously with no fixed reset time".
//!
//! The window keeps the instant of every counted request of the last hour. A
//! request at `now` first drops those at or before `now - 1 h`; it is admitted
//! when fewer than `limit` remain, and then counted. Refused (429) and
//! unauthenticated (401) requests are not counted. The caller holds the
//! organization's mutex around [`SlidingWindow::admit`], so the check and the
//! count are one step: of N parallel requests at the limit, exactly the free
//! slots pass.

use std::collections::VecDeque;

use jiff::{SignedDuration, Timestamp};

/// Documented: 1000 requests per hour per organization.
pub const REQUESTS_PER_HOUR: u32 = 1000;
/// Documented: the window is one hour.
pub const WINDOW: SignedDuration = SignedDuration::from_secs(3600);

/// The counted requests of one organization in the last hour, oldest first.
#[derive(Debug, Default)]
pub struct SlidingWindow {
    counted: VecDeque<Timestamp>,
}

/// What [`SlidingWindow::admit`] decided, with the values of the rate headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    Admitted { remaining: u32, reset_unix: i64 },
    Refused { retry_after_secs: u64, reset_unix: i64 },
}

impl Admission {
    pub fn remaining(self) -> u32 {
        match self {
            Admission::Admitted { remaining, .. } => remaining,
            Admission::Refused { .. } => 0,
        }
    }

    /// `X-RateLimit-Reset`: unix seconds when the oldest counted request leaves the window.
    pub fn reset_unix(self) -> i64 {
        match self {
            Admission::Admitted { reset_unix, .. } | Admission::Refused { reset_unix, .. } => reset_unix,
        }
    }
}

impl SlidingWindow {
    /// Admits and counts a request at `now`, or refuses it.
    pub fn admit(&mut self, now: Timestamp, limit: u32) -> Admission {
        while self.counted.front().is_some_and(|&at| at + WINDOW <= now) {
            self.counted.pop_front();
        }
        let used = u32::try_from(self.counted.len()).unwrap_or(u32::MAX);
        if used >= limit {
            let leaves = self.counted.front().map_or(now, |&oldest| oldest + WINDOW);
            let wait = leaves.duration_since(now);
            let retry_after_secs = u64::try_from(ceil_secs(wait)).unwrap_or(0).max(1);
            return Admission::Refused { retry_after_secs, reset_unix: ceil_unix(leaves) };
        }
        self.counted.push_back(now);
        let oldest = self.counted.front().copied().unwrap_or(now);
        Admission::Admitted { remaining: limit - used - 1, reset_unix: ceil_unix(oldest + WINDOW) }
    }

    /// How many requests the window counts at `now`.
    pub fn used(&self, now: Timestamp) -> usize {
        self.counted.iter().filter(|&&at| at + WINDOW > now).count()
    }
}

fn ceil_secs(duration: SignedDuration) -> i64 {
    let secs = duration.as_secs();
    if duration.subsec_nanos() > 0 { secs + 1 } else { secs }
}

fn ceil_unix(at: Timestamp) -> i64 {
    let secs = at.as_second();
    if at.subsec_nanosecond() > 0 { secs + 1 } else { secs }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).unwrap()
    }

    #[test]
    fn admits_up_to_the_limit_then_refuses_until_the_oldest_leaves() {
        let mut window = SlidingWindow::default();
        assert_eq!(window.admit(at(0), 3), Admission::Admitted { remaining: 2, reset_unix: at(3600).as_second() });
        assert_eq!(window.admit(at(600), 3).remaining(), 1);
        assert_eq!(window.admit(at(1200), 3).remaining(), 0);
        assert_eq!(
            window.admit(at(1800), 3),
            Admission::Refused { retry_after_secs: 1800, reset_unix: at(3600).as_second() }
        );
        assert!(matches!(window.admit(at(3599), 3), Admission::Refused { retry_after_secs: 1, .. }));
        // The oldest leaves at exactly one hour: one slot, no more.
        assert_eq!(window.admit(at(3600), 3), Admission::Admitted { remaining: 0, reset_unix: at(4200).as_second() });
        assert!(matches!(window.admit(at(3601), 3), Admission::Refused { retry_after_secs: 599, .. }));
    }

    #[test]
    fn refusals_are_not_counted() {
        let mut window = SlidingWindow::default();
        window.admit(at(0), 1);
        for s in 1..100 {
            assert!(matches!(window.admit(at(s), 1), Admission::Refused { .. }));
        }
        assert_eq!(window.used(at(100)), 1);
        assert!(matches!(window.admit(at(3600), 1), Admission::Admitted { .. }));
    }
}

/// Model-based property test: on random timelines driven through the emulator clock,
/// the window decides exactly as a plain reference model (every admitted instant
/// kept, the last hour counted afresh each time), so it never admits more than the
/// limit in any hour and never refuses while fewer were admitted.
#[cfg(test)]
mod proptests {
    use proptest::prelude::*;

    use super::*;
    use crate::clock::Clock;

    /// The reference: all admitted instants; admit when fewer than `limit` lie in `(t - 1 h, t]`.
    #[derive(Default)]
    struct Model {
        admitted: Vec<Timestamp>,
    }

    impl Model {
        fn in_hour_before(&self, t: Timestamp) -> usize {
            self.admitted.iter().filter(|&&at| at > t - WINDOW && at <= t).count()
        }

        fn admit(&mut self, t: Timestamp, limit: u32) -> bool {
            let admit = self.in_hour_before(t) < limit as usize;
            if admit {
                self.admitted.push(t);
            }
            admit
        }
    }

    /// Gaps between requests: bursts (0 ms), sub-second steps, minutes, and jumps past the hour.
    fn gap_ms() -> impl Strategy<Value = i64> {
        prop_oneof![4 => Just(0i64), 4 => 0i64..1_000, 3 => 0i64..600_000, 1 => 3_000_000i64..4_000_000]
    }

    proptest! {
        #![proptest_config(crate::testing::cases(64))]

        #[test]
        fn the_window_decides_like_the_reference_model(
            limit in 1u32..8,
            gaps in proptest::collection::vec(gap_ms(), 1..300),
        ) {
            let clock = Clock::default();
            clock.freeze();
            clock.set(Timestamp::from_second(1_800_000_000).unwrap());
            let mut window = SlidingWindow::default();
            let mut model = Model::default();
            for gap in gaps {
                clock.set(clock.now() + SignedDuration::from_millis(gap));
                let now = clock.now();
                let expected = model.admit(now, limit);
                let decided = window.admit(now, limit);
                prop_assert_eq!(matches!(decided, Admission::Admitted { .. }), expected, "at {}", now);
                prop_assert_eq!(window.used(now), model.in_hour_before(now));
                match decided {
                    Admission::Admitted { remaining, .. } => {
                        prop_assert_eq!(remaining as usize, limit as usize - model.in_hour_before(now));
                    }
                    Admission::Refused { retry_after_secs, .. } => {
                        // Waiting the advertised time always frees a slot.
                        let later = now + SignedDuration::from_secs(i64::try_from(retry_after_secs).unwrap());
                        prop_assert!(model.in_hour_before(later) < limit as usize, "retry after {} s", retry_after_secs);
                    }
                }
            }
            // Never more than `limit` admitted in any hour (the fullest hour ends at an admitted instant).
            for &end in &model.admitted {
                prop_assert!(model.in_hour_before(end) <= limit as usize);
            }
        }
    }
}
