//! Jobs due at an instant of the emulator clock (AI jobs, webhook retries).
//!
//! A vendor registers a job with [`Scheduler::schedule`]. Moving the clock with
//! [`Scheduler::move_to`] runs every job that became due, in due order (ties in
//! the order they were scheduled), each with the clock standing at its due
//! instant, so a job may schedule a follow-up that is itself run if it falls
//! inside the move. While the clock runs on wall time, [`Scheduler::run_in_background`]
//! runs jobs as they fall due. A vendor reset cancels that vendor's pending jobs.

use std::{
    cmp::Ordering,
    collections::BinaryHeap,
    future::Future,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering as AtomicOrdering},
    },
    time::Duration,
};

use jiff::Timestamp;
use tokio::sync::Notify;

use crate::{Vendor, clock::Clock};

/// The work a job does when it runs; it receives its due instant.
pub type Job = Box<dyn FnOnce(Timestamp) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// Shared by every vendor; clones share one queue.
#[derive(Clone)]
pub struct Scheduler {
    inner: Arc<Inner>,
}

struct Inner {
    clock: Clock,
    queue: Mutex<BinaryHeap<Entry>>,
    next_seq: AtomicU64,
    /// Serialises runs, so two clock moves never run the same instant's jobs twice or out of order.
    running: tokio::sync::Mutex<()>,
    /// Wakes the background runner when a job is added or the clock moves.
    changed: Notify,
}

struct Entry {
    due: Timestamp,
    seq: u64,
    owner: Vendor,
    job: Job,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Reversed, so the max-heap pops the earliest due job first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.due, other.seq).cmp(&(self.due, self.seq))
    }
}

impl Scheduler {
    pub fn new(clock: Clock) -> Self {
        Self {
            inner: Arc::new(Inner {
                clock,
                queue: Mutex::new(BinaryHeap::new()),
                next_seq: AtomicU64::new(0),
                running: tokio::sync::Mutex::new(()),
                changed: Notify::new(),
            }),
        }
    }

    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Registers `job` to run when the clock reaches `due`.
    pub fn schedule(&self, owner: Vendor, due: Timestamp, job: Job) {
        let seq = self.inner.next_seq.fetch_add(1, AtomicOrdering::Relaxed);
        self.inner.queue.lock().unwrap().push(Entry { due, seq, owner, job });
        self.inner.changed.notify_one();
    }

    /// How many jobs are waiting, per vendor or in all.
    pub fn pending(&self, owner: Option<Vendor>) -> usize {
        self.inner.queue.lock().unwrap().iter().filter(|e| owner.is_none_or(|o| o == e.owner)).count()
    }

    /// Drops every pending job of `owner` (its state was reset).
    pub fn cancel(&self, owner: Vendor) {
        self.inner.queue.lock().unwrap().retain(|e| e.owner != owner);
    }

    /// Moves the clock to `target`, running in order every job due on the way.
    /// Moving backwards runs nothing.
    pub async fn move_to(&self, target: Timestamp) {
        let _run = self.inner.running.lock().await;
        while let Some(entry) = self.pop_due(target) {
            if entry.due > self.inner.clock.now() {
                self.inner.clock.set(entry.due);
            }
            (entry.job)(entry.due).await;
        }
        self.inner.clock.set(target);
        self.inner.changed.notify_one();
    }

    /// Runs the jobs already due at the clock's current instant.
    pub async fn run_due(&self) {
        let _run = self.inner.running.lock().await;
        while let Some(entry) = self.pop_due(self.inner.clock.now()) {
            (entry.job)(entry.due).await;
        }
    }

    /// Runs jobs as wall time makes them due, until the runtime shuts down.
    /// While the clock is frozen nothing falls due by itself.
    pub fn run_in_background(&self) -> tokio::task::JoinHandle<()> {
        let scheduler = self.clone();
        tokio::spawn(async move {
            loop {
                scheduler.run_due().await;
                let wait = scheduler.time_to_next_due().unwrap_or(Duration::from_secs(3600));
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = scheduler.inner.changed.notified() => {}
                }
            }
        })
    }

    fn time_to_next_due(&self) -> Option<Duration> {
        let due = self.inner.queue.lock().unwrap().peek().map(|e| e.due)?;
        if self.inner.clock.is_frozen() {
            return None;
        }
        let wait = due.duration_since(self.inner.clock.now());
        Some(Duration::try_from(wait).unwrap_or(Duration::ZERO).max(Duration::from_millis(1)))
    }

    fn pop_due(&self, until: Timestamp) -> Option<Entry> {
        let mut queue = self.inner.queue.lock().unwrap();
        if queue.peek().is_some_and(|e| e.due <= until) { queue.pop() } else { None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::SignedDuration;

    fn recorder(log: &Arc<Mutex<Vec<(String, Timestamp)>>>, name: &str, clock: &Clock) -> Job {
        let log = Arc::clone(log);
        let name = name.to_owned();
        let clock = clock.clone();
        Box::new(move |_due| {
            Box::pin(async move {
                log.lock().unwrap().push((name, clock.now()));
            })
        })
    }

    #[tokio::test]
    async fn moving_the_clock_runs_due_jobs_in_order_at_their_instants() {
        let clock = Clock::default();
        clock.freeze();
        let start = clock.now();
        let scheduler = Scheduler::new(clock.clone());
        let log = Arc::new(Mutex::new(Vec::new()));
        scheduler.schedule(Vendor::Portalio, start + SignedDuration::from_secs(5), recorder(&log, "b", &clock));
        scheduler.schedule(Vendor::Portalio, start + SignedDuration::from_secs(2), recorder(&log, "a", &clock));
        scheduler.schedule(Vendor::Holm, start + SignedDuration::from_secs(60), recorder(&log, "late", &clock));

        scheduler.move_to(start + SignedDuration::from_secs(10)).await;

        let log = log.lock().unwrap().clone();
        assert_eq!(
            log,
            vec![
                ("a".to_owned(), start + SignedDuration::from_secs(2)),
                ("b".to_owned(), start + SignedDuration::from_secs(5)),
            ]
        );
        assert_eq!(clock.now(), start + SignedDuration::from_secs(10));
        assert_eq!(scheduler.pending(None), 1);
    }

    #[tokio::test]
    async fn a_job_scheduled_by_a_job_inside_the_move_also_runs() {
        let clock = Clock::default();
        clock.freeze();
        let start = clock.now();
        let scheduler = Scheduler::new(clock.clone());
        let log = Arc::new(Mutex::new(Vec::new()));
        let (inner_scheduler, inner_log, inner_clock) = (scheduler.clone(), Arc::clone(&log), clock.clone());
        scheduler.schedule(
            Vendor::Portalio,
            start + SignedDuration::from_secs(60),
            Box::new(move |due| {
                Box::pin(async move {
                    let retry = recorder(&inner_log, "retry", &inner_clock);
                    inner_scheduler.schedule(Vendor::Portalio, due + SignedDuration::from_secs(300), retry);
                })
            }),
        );
        scheduler.move_to(start + SignedDuration::from_secs(3600)).await;
        assert_eq!(log.lock().unwrap().clone(), vec![("retry".to_owned(), start + SignedDuration::from_secs(360))]);
    }

    #[tokio::test]
    async fn cancel_drops_only_that_vendors_jobs() {
        let clock = Clock::default();
        let scheduler = Scheduler::new(clock.clone());
        let log = Arc::new(Mutex::new(Vec::new()));
        let later = clock.now() + SignedDuration::from_secs(100);
        scheduler.schedule(Vendor::Portalio, later, recorder(&log, "p", &clock));
        scheduler.schedule(Vendor::Holm, later, recorder(&log, "h", &clock));
        scheduler.cancel(Vendor::Portalio);
        assert_eq!(scheduler.pending(Some(Vendor::Portalio)), 0);
        assert_eq!(scheduler.pending(Some(Vendor::Holm)), 1);
    }
}
