//! The delivery log: every webhook attempt (time, URL, status or error, duration,
//! next attempt), newest kept, bounded like the request journal (a capped
//! `VecDeque` behind a `std::sync::Mutex` whose critical sections never await).

use std::{collections::VecDeque, sync::Mutex};

use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

/// Where an attempt stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = PortalioDeliveryState)]
pub enum DeliveryState {
    /// Sent; the receiver has not answered yet.
    InFlight,
    /// A 2xx answer acknowledged it.
    Delivered,
    /// A non-2xx answer, a timeout or a connection error.
    Failed,
    /// Never sent: the subscription's queue was full and this was its oldest waiting attempt.
    Dropped,
}

/// One attempt to deliver one event to one subscription.
#[derive(Clone, Debug, Serialize, ToSchema)]
#[schema(as = PortalioDeliveryRecord)]
pub struct DeliveryRecord {
    /// The attempt's id in this log.
    pub id: u64,
    /// The envelope's `id` (`evt_…`), the same on every attempt and subscription.
    pub event_id: String,
    pub subscription_id: u64,
    /// The event in dot-notation (the envelope's `type`).
    pub event: String,
    pub url: String,
    /// 1 for the first delivery, 2–6 for the retries.
    pub attempt: u32,
    /// The emulator instant of the attempt (its `t`).
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    pub state: DeliveryState,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// Why it failed: a timeout, a connection error, a non-2xx answer, or why it was dropped.
    pub error: Option<String>,
    /// Wall-clock time the attempt took (absent while in flight or when never sent).
    pub duration_ms: Option<u64>,
    /// When the next retry is due (emulator time), if one is scheduled.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_attempt_at: Option<Timestamp>,
}

/// The newest `capacity` attempts.
#[derive(Debug)]
pub struct DeliveryLog {
    capacity: usize,
    records: Mutex<VecDeque<DeliveryRecord>>,
}

impl DeliveryLog {
    pub fn new(capacity: usize) -> Self {
        Self { capacity, records: Mutex::new(VecDeque::new()) }
    }

    /// Appends a record, forgetting the oldest beyond the capacity.
    pub fn push(&self, record: DeliveryRecord) {
        if self.capacity == 0 {
            return;
        }
        let mut records = self.records.lock().unwrap();
        while records.len() >= self.capacity {
            records.pop_front();
        }
        records.push_back(record);
    }

    /// Changes the record `id`, if it is still kept.
    pub fn update(&self, id: u64, change: impl FnOnce(&mut DeliveryRecord)) {
        let mut records = self.records.lock().unwrap();
        if let Some(record) = records.iter_mut().rev().find(|r| r.id == id) {
            change(record);
        }
    }

    /// Newest first, filtered.
    pub fn list(&self, subscription_id: Option<u64>, event: Option<&str>, limit: usize) -> Vec<DeliveryRecord> {
        let records = self.records.lock().unwrap();
        records
            .iter()
            .rev()
            .filter(|r| subscription_id.is_none_or(|s| r.subscription_id == s))
            .filter(|r| event.is_none_or(|e| r.event == e))
            .take(limit)
            .cloned()
            .collect()
    }

    pub fn clear(&self) {
        self.records.lock().unwrap().clear();
    }

    pub fn len(&self) -> usize {
        self.records.lock().unwrap().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: u64, subscription_id: u64) -> DeliveryRecord {
        DeliveryRecord {
            id,
            event_id: format!("evt_{id}"),
            subscription_id,
            event: "proposal.status_changed".into(),
            url: "http://127.0.0.1:1/h".into(),
            attempt: 1,
            at: Timestamp::UNIX_EPOCH,
            state: DeliveryState::InFlight,
            status: None,
            error: None,
            duration_ms: None,
            next_attempt_at: None,
        }
    }

    #[test]
    fn the_log_keeps_the_newest_and_filters() {
        let log = DeliveryLog::new(3);
        for id in 1..=5 {
            log.push(record(id, id % 2));
        }
        assert_eq!(log.len(), 3);
        let ids: Vec<u64> = log.list(None, None, 10).iter().map(|r| r.id).collect();
        assert_eq!(ids, [5, 4, 3]);
        let odd: Vec<u64> = log.list(Some(1), None, 10).iter().map(|r| r.id).collect();
        assert_eq!(odd, [5, 3]);
        log.update(4, |r| r.state = DeliveryState::Delivered);
        assert_eq!(log.list(Some(0), None, 1)[0].state, DeliveryState::Delivered);
        assert!(log.list(None, Some("person.modification"), 10).is_empty());
    }
}
