//! The emulator clock: the only source of "now" (CONTRACT §4, §6.3).
//!
//! It runs on wall time shifted by an offset, or stands frozen at an instant.
//! `set` and `advance` move it in either mode; `freeze` stops it where it is;
//! `resume` lets it run again from where it stands. Every time rule reads it once
//! per request and passes the instant down. Moving it forward through the
//! [`Scheduler`](crate::scheduler::Scheduler) also runs the jobs that became due.

use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};

/// A cheap handle; clones share one clock.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    state: Arc<Mutex<ClockState>>,
}

#[derive(Debug, Default)]
struct ClockState {
    /// Added to wall time while running.
    offset: SignedDuration,
    /// The instant the clock stands at while frozen.
    frozen_at: Option<Timestamp>,
}

impl Clock {
    /// The emulated instant.
    pub fn now(&self) -> Timestamp {
        let state = self.state.lock().unwrap();
        state.frozen_at.unwrap_or_else(|| wall_now() + state.offset)
    }

    pub fn is_frozen(&self) -> bool {
        self.state.lock().unwrap().frozen_at.is_some()
    }

    /// Stops the clock at the current instant.
    pub fn freeze(&self) {
        let mut state = self.state.lock().unwrap();
        if state.frozen_at.is_none() {
            state.frozen_at = Some(wall_now() + state.offset);
        }
    }

    /// Lets a frozen clock run again, from the instant it stands at.
    pub fn resume(&self) {
        let mut state = self.state.lock().unwrap();
        if let Some(at) = state.frozen_at.take() {
            state.offset = at.duration_since(wall_now());
        }
    }

    /// Puts the clock at `at`, frozen or running as it was. Does not run jobs:
    /// use [`Scheduler::move_to`](crate::scheduler::Scheduler::move_to) for that.
    pub fn set(&self, at: Timestamp) {
        let mut state = self.state.lock().unwrap();
        if state.frozen_at.is_some() {
            state.frozen_at = Some(at);
        } else {
            state.offset = at.duration_since(wall_now());
        }
    }
}

/// The one place that reads the machine's time of day.
fn wall_now() -> Timestamp {
    Timestamp::now()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_stands_still_and_set_moves_it() {
        let clock = Clock::default();
        clock.freeze();
        let at = clock.now();
        assert_eq!(clock.now(), at);
        let later: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        clock.set(later);
        assert_eq!(clock.now(), later);
        assert!(clock.is_frozen());
    }

    #[test]
    fn resume_runs_on_from_the_frozen_instant() {
        let clock = Clock::default();
        let past: Timestamp = "2001-02-03T04:05:06Z".parse().unwrap();
        clock.freeze();
        clock.set(past);
        clock.resume();
        assert!(!clock.is_frozen());
        let now = clock.now();
        assert!(now >= past && now.duration_since(past) < SignedDuration::from_secs(60), "{now}");
    }

    #[test]
    fn set_on_a_running_clock_keeps_it_running_from_there() {
        let clock = Clock::default();
        let future: Timestamp = "2040-06-01T12:00:00Z".parse().unwrap();
        clock.set(future);
        assert!(!clock.is_frozen());
        assert!(clock.now() >= future);
    }
}
