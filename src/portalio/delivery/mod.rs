//! Webhook delivery (reference §5.7.6, CONTRACT §5.1): each event is one JSON
//! envelope `{"id":"evt_…","type","created","data"}`, POSTed to every enabled
//! subscription for it with `X-Webhook-Signature`; any 2xx acknowledges, anything
//! else is retried at 1 min, 5 min, 30 min, 2 h and 12 h of emulator time.
//!
//! Off the request path: an event only puts one attempt per subscription on that
//! subscription's queue and returns. One worker task per subscription sends its
//! attempts in order with reqwest (rustls, connect and total timeouts), so a
//! receiver that hangs or fails holds up only its own queue. Memory is bounded per
//! subscription: at most `--portalio-webhook-queue-capacity` attempts wait (beyond
//! it the oldest is dropped and logged as `dropped`) and at most as many retries are
//! scheduled (beyond it a failure is logged without a retry); the log keeps the
//! newest `--portalio-webhook-log-capacity` attempts.
//!
//! Retries go through the frame's [`Scheduler`]. The retry of attempt *n* is
//! scheduled when *n* starts, due at *n*'s instant plus the back-off, so advancing
//! the clock past it always finds it: if *n* has failed by then, *n + 1* is queued
//! at its due instant; if *n* is still in flight, *n + 1* is queued as soon as *n*
//! fails; if *n* succeeded, nothing happens. Each attempt is signed with its own
//! instant as `t`; the envelope (and its `id`) is the same bytes on every attempt.
//!
//! INFERRED: hosts under the reserved documentation domains (`example.com`,
//! `example.net`, `example.org`, `*.example`, `*.invalid`; RFC 2606) are never
//! contacted: the attempt fails with that reason (the fixtures' subscriptions use them).

pub mod log;
pub mod signing;

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        Arc, Mutex, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use self::{
    log::{DeliveryLog, DeliveryRecord, DeliveryState},
    signing::{SIGNATURE_HEADER, signature_header},
};
use super::config::Settings;
use crate::{Vendor, clock::Clock, scheduler::Scheduler};

/// Documented retry back-off after attempt 1, 2, … 5 (reference §5.7.6): five retries.
pub const RETRY_AFTER_SECONDS: [i64; 5] = [60, 5 * 60, 30 * 60, 2 * 3600, 12 * 3600];

/// Where one subscription receives: captured when the event fires.
#[derive(Clone, Debug)]
pub struct Target {
    pub subscription_id: u64,
    pub url: String,
    pub secret: String,
}

/// One event, serialized once.
#[derive(Debug)]
struct Event {
    id: String,
    kind: &'static str,
    body: Vec<u8>,
}

/// One attempt waiting to be sent.
struct Attempt {
    event: Arc<Event>,
    target: Arc<Target>,
    number: u32,
    at: Timestamp,
    generation: u64,
}

/// What the scheduled retry of an attempt finds when it falls due.
enum RetryState {
    InFlight,
    Failed,
    Acknowledged,
    /// The retry fell due while the attempt was in flight: queue it if the attempt fails.
    Due(Attempt),
}

#[derive(Default)]
struct SubscriptionQueue {
    waiting: VecDeque<Attempt>,
    worker_running: bool,
    retries_scheduled: usize,
}

/// The delivery machinery; clones share it.
#[derive(Clone)]
pub struct Webhooks {
    inner: Arc<Inner>,
}

struct Inner {
    clock: Clock,
    scheduler: Scheduler,
    connect_timeout: Duration,
    total_timeout: Duration,
    queue_capacity: usize,
    client: OnceLock<Result<reqwest::Client, String>>,
    queues: Mutex<HashMap<u64, SubscriptionQueue>>,
    log: DeliveryLog,
    /// Bumped by reset: attempts of an older generation are forgotten.
    generation: AtomicU64,
    next_record: AtomicU64,
    dropped: AtomicU64,
    /// Attempts sent and not yet answered (or timed out).
    in_flight: AtomicU64,
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhooks").field("queue_capacity", &self.inner.queue_capacity).finish_non_exhaustive()
    }
}

/// Counts for the control plane.
#[derive(Clone, Copy, Debug)]
pub struct Backlog {
    pub in_flight: u64,
    pub queued: usize,
    pub retries_scheduled: usize,
    pub dropped: u64,
}

impl Webhooks {
    pub fn new(clock: Clock, scheduler: Scheduler, settings: &Settings) -> Self {
        Self {
            inner: Arc::new(Inner {
                clock,
                scheduler,
                connect_timeout: Duration::from_millis(settings.portalio_webhook_connect_timeout_ms),
                total_timeout: Duration::from_millis(settings.portalio_webhook_timeout_ms),
                queue_capacity: settings.portalio_webhook_queue_capacity.max(1),
                client: OnceLock::new(),
                queues: Mutex::new(HashMap::new()),
                log: DeliveryLog::new(settings.portalio_webhook_log_capacity),
                generation: AtomicU64::new(0),
                next_record: AtomicU64::new(1),
                dropped: AtomicU64::new(0),
                in_flight: AtomicU64::new(0),
            }),
        }
    }

    /// Queues one delivery of the event `kind` (dot-notation) to each target; never waits.
    pub fn emit(&self, event_id: String, kind: &'static str, data: Value, targets: Vec<Target>) {
        if targets.is_empty() {
            return;
        }
        let at = Timestamp::from_second(self.inner.clock.now().as_second()).unwrap_or(Timestamp::UNIX_EPOCH);
        let mut envelope = json!({ "id": event_id, "type": kind, "created": at.to_string() });
        envelope["data"] = data;
        let body = serde_json::to_vec(&envelope).expect("a JSON value serializes");
        let event = Arc::new(Event { id: event_id, kind, body });
        let generation = self.inner.generation.load(Ordering::SeqCst);
        for target in targets {
            let attempt = Attempt { event: Arc::clone(&event), target: Arc::new(target), number: 1, at, generation };
            Inner::enqueue(&self.inner, attempt);
        }
    }

    /// The log, newest first.
    pub fn deliveries(&self, subscription_id: Option<u64>, event: Option<&str>, limit: usize) -> Vec<DeliveryRecord> {
        self.inner.log.list(subscription_id, event, limit)
    }

    pub fn backlog(&self) -> Backlog {
        let queues = self.inner.queues.lock().unwrap();
        Backlog {
            in_flight: self.inner.in_flight.load(Ordering::Relaxed),
            queued: queues.values().map(|q| q.waiting.len()).sum(),
            retries_scheduled: queues.values().map(|q| q.retries_scheduled).sum(),
            dropped: self.inner.dropped.load(Ordering::Relaxed),
        }
    }

    /// Forgets every queued attempt and the log (the frame cancels the scheduled retries).
    pub fn reset(&self) {
        self.inner.generation.fetch_add(1, Ordering::SeqCst);
        for queue in self.inner.queues.lock().unwrap().values_mut() {
            queue.waiting.clear();
            queue.retries_scheduled = 0;
        }
        self.inner.log.clear();
        self.inner.dropped.store(0, Ordering::Relaxed);
    }
}

impl Inner {
    fn current(&self, generation: u64) -> bool {
        self.generation.load(Ordering::SeqCst) == generation
    }

    fn record_id(&self) -> u64 {
        self.next_record.fetch_add(1, Ordering::Relaxed)
    }

    /// Puts an attempt on its subscription's queue (dropping the oldest when full) and
    /// starts the subscription's worker if it is not running.
    fn enqueue(inner: &Arc<Inner>, attempt: Attempt) {
        if !inner.current(attempt.generation) {
            return;
        }
        let subscription = attempt.target.subscription_id;
        let (dropped, start_worker) = {
            let mut queues = inner.queues.lock().unwrap();
            let queue = queues.entry(subscription).or_default();
            let dropped = if queue.waiting.len() >= inner.queue_capacity { queue.waiting.pop_front() } else { None };
            queue.waiting.push_back(attempt);
            let start = !queue.worker_running;
            queue.worker_running = true;
            (dropped, start)
        };
        if let Some(old) = dropped {
            inner.dropped.fetch_add(1, Ordering::Relaxed);
            let error = format!(
                "dropped: {} attempts were already waiting for subscription {subscription} (--portalio-webhook-queue-capacity)",
                inner.queue_capacity
            );
            inner.log.push(inner.record(&old, DeliveryState::Dropped, Some(error), None));
        }
        if start_worker {
            let worker = Arc::clone(inner);
            match tokio::runtime::Handle::try_current() {
                Ok(handle) => {
                    handle.spawn(async move { worker.work(subscription).await });
                }
                Err(_) => inner.queues.lock().unwrap().entry(subscription).or_default().worker_running = false,
            }
        }
    }

    fn record(
        &self,
        attempt: &Attempt,
        state: DeliveryState,
        error: Option<String>,
        next: Option<Timestamp>,
    ) -> DeliveryRecord {
        DeliveryRecord {
            id: self.record_id(),
            event_id: attempt.event.id.clone(),
            subscription_id: attempt.target.subscription_id,
            event: attempt.event.kind.to_owned(),
            url: attempt.target.url.clone(),
            attempt: attempt.number,
            at: attempt.at,
            state,
            status: None,
            error,
            duration_ms: None,
            next_attempt_at: next,
        }
    }

    /// Sends the subscription's attempts one by one until its queue is empty.
    async fn work(self: Arc<Self>, subscription: u64) {
        loop {
            let next = {
                let mut queues = self.queues.lock().unwrap();
                let queue = queues.entry(subscription).or_default();
                let Some(attempt) = queue.waiting.pop_front() else {
                    queue.worker_running = false;
                    if queue.retries_scheduled == 0 {
                        queues.remove(&subscription);
                    }
                    return;
                };
                attempt
            };
            if self.current(next.generation) {
                Arc::clone(&self).send(next).await;
            }
        }
    }

    /// Schedules the retry (if any is left and the backlog allows), sends, logs.
    async fn send(self: Arc<Self>, attempt: Attempt) {
        let index = usize::try_from(attempt.number).unwrap_or(usize::MAX) - 1;
        let mut no_retry = None;
        let mut retry = None;
        if let Some(after) = RETRY_AFTER_SECONDS.get(index) {
            let allowed = {
                let mut queues = self.queues.lock().unwrap();
                let queue = queues.entry(attempt.target.subscription_id).or_default();
                let allowed = queue.retries_scheduled < self.queue_capacity;
                if allowed {
                    queue.retries_scheduled += 1;
                }
                allowed
            };
            if allowed {
                let due = attempt.at + SignedDuration::from_secs(*after);
                let cell = Arc::new(Mutex::new(RetryState::InFlight));
                self.schedule_retry(&attempt, due, Arc::clone(&cell));
                retry = Some((due, cell));
            } else {
                no_retry = Some(format!(
                    "; not retried: {} retries already scheduled for subscription {}",
                    self.queue_capacity, attempt.target.subscription_id
                ));
            }
        }
        let record = self.record(&attempt, DeliveryState::InFlight, None, retry.as_ref().map(|(due, _)| *due));
        let id = record.id;
        self.log.push(record);

        let started = Instant::now();
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        let outcome = self.post(&attempt).await;
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let (state, status, error) = match outcome {
            Ok(status) if (200..300).contains(&status) => (DeliveryState::Delivered, Some(status), None),
            Ok(status) => (DeliveryState::Failed, Some(status), Some(format!("the receiver answered {status}"))),
            Err(error) => (DeliveryState::Failed, None, Some(error)),
        };
        let error = match (error, no_retry) {
            (Some(error), Some(why)) => Some(error + &why),
            (error, _) => error,
        };
        self.log.update(id, |r| {
            r.state = state;
            r.status = status;
            r.error = error;
            r.duration_ms = Some(duration_ms);
            if state == DeliveryState::Delivered {
                r.next_attempt_at = None;
            }
        });
        if let Some((_, cell)) = retry {
            let queue_now = {
                let mut cell = cell.lock().unwrap();
                let previous = std::mem::replace(
                    &mut *cell,
                    if state == DeliveryState::Delivered { RetryState::Acknowledged } else { RetryState::Failed },
                );
                match previous {
                    RetryState::Due(next) if state != DeliveryState::Delivered => Some(next),
                    _ => None,
                }
            };
            if let Some(next) = queue_now {
                Inner::enqueue(&self, next);
            }
        }
    }

    fn schedule_retry(self: &Arc<Self>, attempt: &Attempt, due: Timestamp, cell: Arc<Mutex<RetryState>>) {
        let inner = Arc::clone(self);
        let next = Attempt {
            event: Arc::clone(&attempt.event),
            target: Arc::clone(&attempt.target),
            number: attempt.number + 1,
            at: due,
            generation: attempt.generation,
        };
        self.scheduler.schedule(
            Vendor::Portalio,
            due,
            Box::new(move |_due| {
                Box::pin(async move {
                    if !inner.current(next.generation) {
                        return;
                    }
                    if let Some(queue) = inner.queues.lock().unwrap().get_mut(&next.target.subscription_id) {
                        queue.retries_scheduled = queue.retries_scheduled.saturating_sub(1);
                    }
                    let queue_now = {
                        let mut cell = cell.lock().unwrap();
                        match std::mem::replace(&mut *cell, RetryState::Acknowledged) {
                            RetryState::Failed => Some(next),
                            RetryState::InFlight => {
                                *cell = RetryState::Due(next);
                                None
                            }
                            RetryState::Acknowledged | RetryState::Due(_) => None,
                        }
                    };
                    if let Some(next) = queue_now {
                        Inner::enqueue(&inner, next);
                    }
                })
            }),
        );
    }

    fn client(&self) -> Result<&reqwest::Client, String> {
        self.client
            .get_or_init(|| {
                reqwest::Client::builder()
                    .connect_timeout(self.connect_timeout)
                    .timeout(self.total_timeout)
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent(concat!("Portal.io-Webhooks (vendor-emulator ", env!("CARGO_PKG_VERSION"), ")"))
                    .hickory_dns(true)
                    .build()
                    .map_err(|e| format!("the HTTP client could not be built: {e}"))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// One POST; the receiver's status, or why there is none.
    async fn post(&self, attempt: &Attempt) -> Result<u16, String> {
        let url = reqwest::Url::parse(&attempt.target.url).map_err(|e| format!("bad URL: {e}"))?;
        if let Some(host) = url.host_str().filter(|h| reserved(h)) {
            return Err(format!(
                "not sent: {host} is a reserved documentation domain (RFC 2606) that no receiver can listen on"
            ));
        }
        let signature = signature_header(&attempt.target.secret, attempt.at.as_second(), &attempt.event.body);
        let response = self
            .client()?
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .body(attempt.event.body.clone())
            .send()
            .await
            .map_err(|e| describe(&e))?;
        Ok(response.status().as_u16())
    }
}

/// RFC 2606 names: never contacted.
fn reserved(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    ["example.com", "example.net", "example.org", "example", "invalid"]
        .iter()
        .any(|domain| host == *domain || host.ends_with(&format!(".{domain}")))
}

/// A reqwest error in a line: timeout, connection refused, …
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    format!("{kind}: {}", crate::error_chain::error_chain(error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documentation_domains_are_reserved_and_others_are_not() {
        for host in ["app.example.com", "hooks.lakeside.example", "x.invalid", "example.org"] {
            assert!(reserved(host), "{host}");
        }
        for host in ["127.0.0.1", "localhost", "hooks.example-app.io", "myexample.com"] {
            assert!(!reserved(host), "{host}");
        }
    }
}
