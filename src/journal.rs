//! The request journal (CONTRACT §6.5) and the explain mechanism (§4).
//!
//! The [`record`] middleware wraps every request on every listener. It gives the
//! request an id (`X-Emulator-Request-Id` on the response), hands vendor code a
//! [`Trail`] through the request extensions to which auth code appends decision
//! steps, and when the vendor answers with a refusal it finds the [`Denial`] the
//! vendor error left in the response extensions and turns it into the
//! `X-Emulator-Explain` header (unless `--no-explain`). Vendor requests are kept
//! in a ring buffer of `--journal-capacity` entries and logged at `info` (the path
//! with any [`Redact`]ed credential masked); control-plane calls are not journaled,
//! so reading the journal does not fill it.
//!
//! The buffer is a `VecDeque` behind a `std::sync::Mutex`: the critical section is
//! a push or a scan, never awaits, and is far shorter than a request.

use std::{
    collections::VecDeque,
    net::{IpAddr, SocketAddr},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Instant,
};

use axum::{
    extract::{ConnectInfo, FromRequestParts, Request, State, connect_info::MockConnectInfo},
    http::{Extensions, HeaderMap, HeaderName, HeaderValue, request::Parts},
    middleware::Next,
    response::Response,
};
use jiff::Timestamp;
use serde::Serialize;
use tokio::sync::broadcast;

use crate::{
    Vendor,
    clock::Clock,
    ids::{IdGen, Stream},
    routing::MatchedRoute,
};

/// `X-Emulator-Request-Id`: on every response.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-emulator-request-id");
/// `X-Emulator-Explain`: on every refusal, `<reason>; <detail>`.
pub static EXPLAIN: HeaderName = HeaderName::from_static("x-emulator-explain");

/// Whether a decision step let the request on or stopped it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
}

/// One step of a decision trail, e.g. `{"step":"scope","outcome":"fail","detail":"needs proposals:write"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Step {
    pub step: String,
    pub outcome: Outcome,
    pub detail: String,
    /// What the emulator expected beside what the client sent, when the step compared
    /// two strings (a signature's canonical string and the near-miss one the client
    /// signed); the monitor page shows them side by side with the difference marked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compared: Option<Compared>,
}

/// Two strings a decision step compared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Compared {
    /// What the emulator expected.
    pub expected: String,
    /// What the client's request amounts to.
    pub received: String,
}

/// The decision trail of one request. Vendor code takes it as an extractor (or from
/// the request extensions) and appends steps; clones share one trail.
#[derive(Clone, Debug, Default)]
pub struct Trail(Arc<Mutex<TrailData>>);

#[derive(Debug, Default)]
struct TrailData {
    steps: Vec<Step>,
    account: Option<String>,
}

impl Trail {
    pub fn pass(&self, step: &str, detail: impl Into<String>) {
        self.push(step, Outcome::Pass, detail.into());
    }

    pub fn fail(&self, step: &str, detail: impl Into<String>) {
        self.push(step, Outcome::Fail, detail.into());
    }

    /// A failed step that compared what the emulator expected with what the client sent.
    pub fn fail_compared(&self, step: &str, detail: impl Into<String>, compared: Compared) {
        self.0.lock().unwrap().steps.push(Step {
            step: step.to_owned(),
            outcome: Outcome::Fail,
            detail: detail.into(),
            compared: Some(compared),
        });
    }

    /// The vendor account (dealer, organization) the request acted for.
    pub fn set_account(&self, account: impl Into<String>) {
        self.0.lock().unwrap().account = Some(account.into());
    }

    pub fn steps(&self) -> Vec<Step> {
        self.0.lock().unwrap().steps.clone()
    }

    fn push(&self, step: &str, outcome: Outcome, detail: String) {
        self.0.lock().unwrap().steps.push(Step { step: step.to_owned(), outcome, detail, compared: None });
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Trail {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Trail>().cloned().unwrap_or_default())
    }
}

/// Left in a refusal's response extensions by the vendor error: why, in our words.
/// `reason` is a short code (`unknown_key`, `clock_skew:+412s`), `detail` one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    pub reason: String,
    pub detail: String,
}

impl Denial {
    pub fn new(reason: impl Into<String>, detail: impl Into<String>) -> Self {
        Self { reason: reason.into(), detail: detail.into() }
    }

    /// The header value: ASCII only, no control characters, at most 1000 bytes.
    pub fn header_value(&self) -> HeaderValue {
        let text: String = format!("{}; {}", self.reason, self.detail)
            .chars()
            .map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '?' })
            .take(1000)
            .collect();
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("refused"))
    }
}

/// Left in a response's extensions by a handler whose URL carries a credential (a
/// signed upload token): the journal writes `[redacted]` in its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redact(pub String);

/// One journaled request.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Entry {
    pub id: String,
    #[schema(value_type = String)]
    pub at: Timestamp,
    pub vendor: Option<Vendor>,
    pub method: String,
    /// The path as the client addressed it (with the prefix when one was used).
    pub path: String,
    /// The vendor route that answered, as declared (`/v1/leads/{id}`); `null` when
    /// no route matched.
    pub route: Option<String>,
    pub query: Option<String>,
    /// The request headers in the order sent, credentials masked (see [`redacted_headers`]).
    pub headers: Vec<HeaderLine>,
    pub status: u16,
    pub client_ip: Option<String>,
    pub account: Option<String>,
    pub duration_us: u64,
    /// The explain text when the request was refused.
    pub explain: Option<String>,
    pub decision: Vec<Step>,
}

/// One request header as the journal keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HeaderLine {
    pub name: String,
    pub value: String,
}

/// Header-name fragments that mark a credential.
const CREDENTIAL_NAMES: &[&str] =
    &["authorization", "cookie", "key", "token", "secret", "password", "signature", "session"];

/// The request headers for the journal: a header that carries a credential (by its
/// name: `Authorization`, `Cookie`, anything naming a key, token, secret, password,
/// signature or session) keeps only its scheme and first four characters and says how
/// long it was, so a reader can tell which key was sent without the journal holding it.
pub fn redacted_headers(headers: &HeaderMap) -> Vec<HeaderLine> {
    headers
        .iter()
        .map(|(name, value)| {
            let text = String::from_utf8_lossy(value.as_bytes());
            let secret = CREDENTIAL_NAMES.iter().any(|fragment| name.as_str().contains(fragment));
            let value = if secret { mask(&text) } else { text.into_owned() };
            HeaderLine { name: name.as_str().to_owned(), value }
        })
        .collect()
}

/// `Bearer sk_live_abcdef…` → `Bearer sk_l… [redacted, 40 characters]`.
fn mask(value: &str) -> String {
    let (scheme, secret) = match value.split_once(' ') {
        // A scheme is a word of letters (`Bearer`, `Session`, `Basic`): a first part
        // with digits or `_` may itself be a secret, so it is masked with the rest.
        Some((scheme, rest))
            if (1..=16).contains(&scheme.len())
                && scheme.bytes().all(|b| b.is_ascii_alphabetic())
                && !rest.is_empty() =>
        {
            (format!("{scheme} "), rest)
        }
        _ => (String::new(), value),
    };
    let length = secret.chars().count();
    if length == 0 {
        return scheme;
    }
    let shown: String = secret.chars().take(if length > 8 { 4 } else { 0 }).collect();
    let unit = if length == 1 { "character" } else { "characters" };
    format!("{scheme}{shown}… [redacted, {length} {unit}]")
}

/// What a journal query keeps.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub vendor: Option<Vendor>,
    pub status: Option<u16>,
    pub limit: Option<usize>,
}

/// A bounded ring of entries; clones share one journal.
#[derive(Clone, Debug)]
pub struct Journal {
    inner: Arc<Mutex<VecDeque<Arc<Entry>>>>,
    capacity: usize,
    live: Live,
}

/// How many entries a live watcher may fall behind before it misses some.
pub const LIVE_BACKLOG: usize = 1024;

/// The live feed of new entries: a bounded broadcast channel, fed only while someone
/// watches (one atomic load per request otherwise). A watcher that falls more than
/// [`LIVE_BACKLOG`] entries behind misses the oldest and is told how many.
#[derive(Clone, Debug)]
struct Live {
    sender: broadcast::Sender<Arc<Entry>>,
    watchers: Arc<AtomicUsize>,
}

/// A subscription to the live feed; dropping it stops the feed when it was the last.
#[derive(Debug)]
pub struct Watch {
    pub receiver: broadcast::Receiver<Arc<Entry>>,
    watchers: Arc<AtomicUsize>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.watchers.fetch_sub(1, Ordering::Release);
    }
}

impl Journal {
    pub fn new(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(LIVE_BACKLOG);
        Self {
            inner: Arc::new(Mutex::new(VecDeque::with_capacity(capacity.min(4096)))),
            capacity,
            live: Live { sender, watchers: Arc::new(AtomicUsize::new(0)) },
        }
    }

    /// Every entry pushed from now on, until the [`Watch`] is dropped.
    pub fn watch(&self) -> Watch {
        self.live.watchers.fetch_add(1, Ordering::Acquire);
        Watch { receiver: self.live.sender.subscribe(), watchers: Arc::clone(&self.live.watchers) }
    }

    /// How many live watchers there are.
    pub fn watchers(&self) -> usize {
        self.live.watchers.load(Ordering::Acquire)
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Adds an entry, evicting the oldest when full.
    pub fn push(&self, entry: Entry) {
        if self.capacity == 0 {
            return;
        }
        let entry = Arc::new(entry);
        if self.live.watchers.load(Ordering::Acquire) > 0 {
            // No receiver left (a watcher dropped between the load and here) is fine.
            let _ = self.live.sender.send(Arc::clone(&entry));
        }
        let mut entries = self.inner.lock().unwrap();
        while entries.len() >= self.capacity {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    /// Newest first.
    pub fn list(&self, filter: &Filter) -> Vec<Arc<Entry>> {
        let entries = self.inner.lock().unwrap();
        entries
            .iter()
            .rev()
            .filter(|e| filter.vendor.is_none_or(|v| e.vendor == Some(v)))
            .filter(|e| filter.status.is_none_or(|s| e.status == s))
            .take(filter.limit.unwrap_or(usize::MAX))
            .cloned()
            .collect()
    }

    pub fn get(&self, id: &str) -> Option<Arc<Entry>> {
        self.inner.lock().unwrap().iter().rev().find(|e| e.id == id).cloned()
    }

    pub fn len(&self) -> usize {
        self.inner.lock().unwrap().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&self) {
        self.inner.lock().unwrap().clear();
    }
}

/// What the [`record`] middleware needs.
#[derive(Clone)]
pub struct Recorder {
    pub journal: Journal,
    pub clock: Clock,
    pub explain: bool,
    ids: Arc<IdGen>,
}

impl Recorder {
    pub fn new(journal: Journal, clock: Clock, explain: bool, seed: Option<u64>) -> Self {
        Self { journal, clock, explain, ids: Arc::new(IdGen::new(seed, Stream::RequestIds)) }
    }
}

/// The request id of a request, as the middleware assigned it.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Middleware: request id, trail, explain header, journal entry.
pub async fn record(State(recorder): State<Recorder>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = format!("req_{}", recorder.ids.hex(10));
    let at = recorder.clock.now();
    let trail = Trail::default();
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let peer = peer_ip(request.extensions());
    let client_ip = client_ip(request.headers(), peer).map(|ip| ip.to_string());
    let headers = redacted_headers(request.headers());
    request.extensions_mut().insert(trail.clone());
    request.extensions_mut().insert(RequestId(id.clone()));

    let mut response = next.run(request).await;

    let header_id = HeaderValue::from_str(&id).expect("request ids are ASCII");
    response.headers_mut().insert(REQUEST_ID.clone(), header_id);
    let denial = response.extensions().get::<Denial>().cloned();
    if let Some(denial) = &denial {
        if recorder.explain {
            response.headers_mut().insert(EXPLAIN.clone(), denial.header_value());
        }
        // A step already named after the denial (an injected fault's) is its record.
        if !trail.steps().iter().any(|s| s.outcome == Outcome::Fail || s.step == denial.reason) {
            trail.fail(&denial.reason, denial.detail.clone());
        }
    }
    let Some(vendor) = response.extensions().get::<Vendor>().copied() else {
        tracing::debug!(request_id = %id, %method, %path, status = response.status().as_u16(), "control plane");
        return response;
    };
    let (mut path, mut query) = (path, query);
    if let Some(Redact(secret)) = response.extensions().get::<Redact>().filter(|r| !r.0.is_empty()) {
        path = path.replace(secret.as_str(), "[redacted]");
        query = query.map(|q| q.replace(secret.as_str(), "[redacted]"));
    }
    let route = response.extensions().get::<MatchedRoute>().map(|m| m.0.clone());
    let data = std::mem::take(&mut *trail.0.lock().unwrap());
    let duration_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let status = response.status().as_u16();
    let explain = denial.map(|d| d.header_value().to_str().unwrap_or_default().to_owned());
    tracing::info!(
        request_id = %id, %vendor, %method, %path, status, duration_us,
        explain = explain.as_deref().unwrap_or(""), "request"
    );
    recorder.journal.push(Entry {
        id,
        at,
        vendor: Some(vendor),
        method,
        path,
        route,
        query,
        headers,
        status,
        client_ip,
        account: data.account,
        duration_us,
        explain,
        decision: data.steps,
    });
    response
}

/// The socket peer: the real `ConnectInfo`, or the `MockConnectInfo` in-process tests set.
pub fn peer_ip(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .or_else(|| extensions.get::<MockConnectInfo<SocketAddr>>().map(|m| m.0.ip()))
}

/// The client's address: the left-most `X-Forwarded-For` entry, else the socket peer.
pub fn client_ip(headers: &HeaderMap, peer: Option<IpAddr>) -> Option<IpAddr> {
    headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .and_then(|first| first.trim().parse().ok())
        .or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, vendor: Vendor, status: u16) -> Entry {
        Entry {
            id: id.into(),
            at: Timestamp::UNIX_EPOCH,
            vendor: Some(vendor),
            method: "GET".into(),
            path: "/".into(),
            route: None,
            query: None,
            headers: vec![],
            status,
            client_ip: None,
            account: None,
            duration_us: 1,
            explain: None,
            decision: vec![],
        }
    }

    #[test]
    fn ring_evicts_the_oldest_at_capacity() {
        let journal = Journal::new(3);
        for i in 0..5 {
            journal.push(entry(&format!("r{i}"), Vendor::Propal, 200));
        }
        let ids: Vec<_> = journal.list(&Filter::default()).iter().map(|e| e.id.clone()).collect();
        assert_eq!(ids, ["r4", "r3", "r2"]);
        assert!(journal.get("r1").is_none());
        assert!(journal.get("r2").is_some());
    }

    #[test]
    fn filters_by_vendor_status_and_limit() {
        let journal = Journal::new(10);
        journal.push(entry("a", Vendor::Propal, 200));
        journal.push(entry("b", Vendor::Holm, 401));
        journal.push(entry("c", Vendor::Propal, 401));
        let filter = Filter { vendor: Some(Vendor::Propal), status: Some(401), limit: None };
        assert_eq!(journal.list(&filter).len(), 1);
        assert_eq!(journal.list(&Filter { limit: Some(2), ..Filter::default() }).len(), 2);
    }

    #[test]
    fn credential_headers_keep_a_short_prefix_and_their_length() {
        assert_eq!(mask("Bearer pp_live_0123456789"), "Bearer pp_l… [redacted, 18 characters]");
        assert_eq!(mask("Session abc"), "Session … [redacted, 3 characters]");
        assert_eq!(mask("G18yG+IhfOelZWQxe2NJsmNWKpHPPkWoaqwa9FWYK0M="), "G18y… [redacted, 44 characters]");
        assert_eq!(mask("x"), "… [redacted, 1 character]");
        let mut headers = HeaderMap::new();
        headers.insert("x-mss-api-userkey", HeaderValue::from_static("G18yG+IhfOelZWQxe2NJ"));
        headers.insert("x-mss-api-appid", HeaderValue::from_static("app_7f3c9a1e2b4d"));
        headers.insert("accept", HeaderValue::from_static("application/json"));
        let lines = redacted_headers(&headers);
        let value = |name: &str| lines.iter().find(|h| h.name == name).unwrap().value.clone();
        assert_eq!(value("x-mss-api-userkey"), "G18y… [redacted, 20 characters]");
        assert_eq!(value("x-mss-api-appid"), "app_7f3c9a1e2b4d");
        assert_eq!(value("accept"), "application/json");
    }

    #[test]
    fn the_live_feed_counts_watchers_and_holds_at_most_its_backlog() {
        let journal = Journal::new(10);
        journal.push(entry("before", Vendor::Propal, 200));
        let mut watch = journal.watch();
        assert_eq!(journal.watchers(), 1);
        for i in 0..10_000 {
            journal.push(entry(&format!("r{i}"), Vendor::Propal, 200));
        }
        // A reader that never read holds only the backlog: it is told what it missed.
        let missed = 10_000 - LIVE_BACKLOG as u64;
        assert_eq!(watch.receiver.try_recv().unwrap_err(), broadcast::error::TryRecvError::Lagged(missed));
        let mut kept = Vec::new();
        while let Ok(entry) = watch.receiver.try_recv() {
            kept.push(entry.id.clone());
        }
        assert_eq!(kept.len(), LIVE_BACKLOG);
        assert_eq!(kept.first().unwrap(), &format!("r{missed}"));
        assert_eq!(journal.len(), 10);
        drop(watch);
        assert_eq!(journal.watchers(), 0);
    }

    #[test]
    fn explain_header_is_ascii_without_newlines() {
        let denial = Denial::new("unknown_key", "key hash é\nabc");
        assert_eq!(denial.header_value().to_str().unwrap(), "unknown_key; key hash ??abc");
    }

    #[test]
    fn client_ip_prefers_the_leftmost_forwarded_entry() {
        let mut headers = HeaderMap::new();
        let peer: IpAddr = "10.1.1.1".parse().unwrap();
        assert_eq!(client_ip(&headers, Some(peer)), Some(peer));
        headers.insert("x-forwarded-for", HeaderValue::from_static("203.0.113.9, 10.0.0.1"));
        assert_eq!(client_ip(&headers, Some(peer)), Some("203.0.113.9".parse().unwrap()));
    }
}

/// Property tests: the client-IP reader takes any `X-Forwarded-For`, and a masked
/// credential never shows more than its scheme and first four characters.
#[cfg(test)]
mod proptests {
    use axum::http::HeaderValue;
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(crate::testing::cases(256))]

        #[test]
        fn client_ip_takes_any_forwarded_for(value in proptest::collection::vec(any::<u8>(), 0..80), ip in any::<std::net::IpAddr>()) {
            let mut headers = HeaderMap::new();
            if let Ok(value) = HeaderValue::from_bytes(&value) {
                headers.insert("x-forwarded-for", value);
            }
            let _ = client_ip(&headers, None);
            let mut headers = HeaderMap::new();
            headers.insert("x-forwarded-for", HeaderValue::from_str(&format!("{ip}, 10.0.0.1")).unwrap());
            prop_assert_eq!(client_ip(&headers, None), Some(ip));
        }

        #[test]
        fn masked_credentials_keep_at_most_four_characters(
            scheme in prop_oneof![Just(String::new()), Just("Bearer ".to_owned()), Just("Session ".to_owned()), "[A-Za-z0-9_]{1,16} "],
            secret in "[!-~]{9,80}",
        ) {
            let headers: HeaderMap = [("authorization", format!("{scheme}{secret}")), ("x-mss-api-userkey", secret.clone())]
                .into_iter()
                .map(|(name, value)| (axum::http::HeaderName::from_static(name), HeaderValue::from_str(&value).unwrap()))
                .collect();
            for line in redacted_headers(&headers) {
                prop_assert!(!line.value.contains(&secret), "{:?}", line);
                prop_assert!(!line.value.contains(&secret[4..]), "{:?}", line);
                prop_assert!(line.value.contains("[redacted,"), "{:?}", line);
            }
        }
    }
}
