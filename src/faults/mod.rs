//! Fault injection: rules, set under `/_emulator/faults`, that make a vendor's
//! routes fail for exactly the requests they match, so an integration's retry code
//! can be tested: a status in the vendor's own error shape (with `Retry-After`), a
//! delay before the real answer, a connection reset, or a close after part of the head.
//!
//! A rule matches a vendor, optionally a method, a path template (the vendor's
//! documented path, see [`pattern`]) and a tenant (the organization or account the
//! credential belongs to, as the vendor tells it from the headers); it fires every
//! time, the next N times, and/or with a probability drawn from a generator seeded
//! by `--seed`; it may expire at an emulator-clock instant. The first live rule that
//! matches (in creation order) fires. Rules are frame data: they never reach a
//! vendor's state, a reset removes them, and they are not part of saved state.
//!
//! [`inject`] applies a fired rule in the dispatcher, after the frame's own
//! refusals and before the vendor's handlers; every injected answer is marked
//! `fault:<rule id>` in the explain header and the journal.

pub mod connection;
mod inject;
pub mod pattern;

use std::sync::{
    Arc, Mutex, RwLock,
    atomic::{AtomicU64, AtomicUsize, Ordering},
};

use axum::http::Method;
use jiff::{SignedDuration, Timestamp};
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use inject::inject;
use pattern::PathPattern;

use crate::{Vendor, clock::Clock};

/// What a rule does to a matched request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultAction {
    /// Answer this status in the vendor's own error shape; the vendor's handler does not run.
    Status {
        /// 400 to 599.
        status: u16,
        /// Adds `Retry-After: <seconds>`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_seconds: Option<u64>,
    },
    /// Wait this long (wall time: what a client's timeout sees) before the real answer.
    /// Other requests are not held up.
    Delay {
        /// 1 to 600000.
        delay_ms: u64,
    },
    /// Close the connection abortively (TCP RST): the client gets an error, not a response.
    Reset {
        /// Run the vendor's handler first (the work is done, the answer is lost).
        #[serde(default)]
        processed: bool,
    },
    /// Send the status line and part of a header, then close: a truncated response.
    PartialHeaders {
        /// Run the vendor's handler first (the work is done, the answer is lost).
        #[serde(default)]
        processed: bool,
    },
}

/// `POST /_emulator/faults`: a rule to add.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    pub vendor: Vendor,
    /// Only this method (any when absent).
    #[serde(default)]
    pub method: Option<String>,
    /// A path template at the vendor's root, e.g. `/v1/proposals/{id}`; `{name}` is one
    /// segment, a final `*` the rest. Every path when absent.
    #[serde(default)]
    pub path: Option<String>,
    /// Only requests acting for this organization or account (the journal's `account`).
    #[serde(default)]
    pub tenant: Option<String>,
    pub action: FaultAction,
    /// Fire this many times, then stop (every time when absent).
    #[serde(default)]
    pub times: Option<u64>,
    /// Fire with this probability, 0 to 1 (seeded by `--seed`); always when absent.
    #[serde(default)]
    pub probability: Option<f64>,
    /// Stop firing this many seconds of emulator-clock time after creation.
    #[serde(default)]
    pub expires_in_seconds: Option<f64>,
}

/// A rule as the control plane lists it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FaultRule {
    /// `fault_<n>`: what explain headers and journal entries name.
    pub id: String,
    pub vendor: Vendor,
    pub method: Option<String>,
    pub path: Option<String>,
    pub tenant: Option<String>,
    pub action: FaultAction,
    pub times: Option<u64>,
    pub probability: Option<f64>,
    /// RFC 3339, emulator clock; `null` when it never expires.
    pub expires_at: Option<String>,
    /// How many requests it has hit.
    pub fired: u64,
    /// Whether it can still fire (not spent, not expired).
    pub active: bool,
}

/// A rule in force.
#[derive(Debug)]
struct Rule {
    id: String,
    spec: FaultSpec,
    method: Option<Method>,
    pattern: Option<PathPattern>,
    expires_at: Option<Timestamp>,
    fired: Mutex<u64>,
}

impl Rule {
    fn view(&self, now: Timestamp) -> FaultRule {
        let fired = *self.fired.lock().unwrap();
        FaultRule {
            id: self.id.clone(),
            vendor: self.spec.vendor,
            method: self.method.as_ref().map(ToString::to_string),
            path: self.spec.path.clone(),
            tenant: self.spec.tenant.clone(),
            action: self.spec.action.clone(),
            times: self.spec.times,
            probability: self.spec.probability,
            expires_at: self.expires_at.map(|at| at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
            fired,
            active: self.spec.times.is_none_or(|n| fired < n) && self.expires_at.is_none_or(|at| now < at),
        }
    }
}

/// A rule that fired for a request.
#[derive(Clone, Debug)]
pub struct Fired {
    pub rule: String,
    pub action: FaultAction,
    /// The rule's path template, when it has one (the journal's `route`).
    pub path: Option<String>,
}

/// Every rule; clones share them.
#[derive(Clone, Debug)]
pub struct Faults {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    rules: RwLock<Vec<Arc<Rule>>>,
    /// How many rules exist: the fast path of every request reads only this.
    count: AtomicUsize,
    next_id: AtomicU64,
    seed: Option<u64>,
    rng: Mutex<StdRng>,
    clock: Clock,
}

fn rng(seed: Option<u64>) -> StdRng {
    match seed {
        // Its own stream, like `ids::Stream`: fault draws never shift generated ids.
        Some(seed) => StdRng::seed_from_u64(seed ^ 0x6661_756c_7473_u64.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        None => StdRng::from_os_rng(),
    }
}

impl Faults {
    pub fn new(clock: Clock, seed: Option<u64>) -> Self {
        let inner = Inner {
            rules: RwLock::new(Vec::new()),
            count: AtomicUsize::new(0),
            next_id: AtomicU64::new(1),
            seed,
            rng: Mutex::new(rng(seed)),
            clock,
        };
        Self { inner: Arc::new(inner) }
    }

    /// Checks and adds a rule.
    pub fn add(&self, spec: FaultSpec) -> Result<FaultRule, String> {
        let method = spec
            .method
            .as_deref()
            .map(|m| Method::from_bytes(m.trim().to_ascii_uppercase().as_bytes()))
            .transpose()
            .map_err(|_| "`method` is not an HTTP method".to_owned())?;
        let pattern = spec.path.as_deref().map(PathPattern::parse).transpose()?;
        match &spec.action {
            FaultAction::Status { status, .. } if !(400..=599).contains(status) => {
                return Err(format!("`action.status` must be from 400 to 599, not {status}"));
            }
            FaultAction::Delay { delay_ms } if !(1..=600_000).contains(delay_ms) => {
                return Err(format!("`action.delay_ms` must be from 1 to 600000, not {delay_ms}"));
            }
            _ => {}
        }
        if spec.times == Some(0) {
            return Err("`times` must be at least 1 (leave it out for every time)".into());
        }
        if let Some(p) = spec.probability
            && !(0.0..=1.0).contains(&p)
        {
            return Err(format!("`probability` must be from 0 to 1, not {p}"));
        }
        if spec.tenant.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err("`tenant` is empty (leave it out for every tenant)".into());
        }
        let now = self.inner.clock.now();
        let expires_at = match spec.expires_in_seconds {
            None => None,
            Some(s) if s > 0.0 && s <= 1e9 => Some(now + SignedDuration::from_secs_f64(s)),
            Some(s) => return Err(format!("`expires_in_seconds` must be above 0 and at most 1e9, not {s}")),
        };
        let id = format!("fault_{}", self.inner.next_id.fetch_add(1, Ordering::Relaxed));
        let rule = Arc::new(Rule { id, spec, method, pattern, expires_at, fired: Mutex::new(0) });
        let view = rule.view(now);
        let mut rules = self.inner.rules.write().unwrap();
        rules.push(rule);
        self.inner.count.store(rules.len(), Ordering::SeqCst);
        Ok(view)
    }

    /// Every rule, oldest first.
    pub fn list(&self) -> Vec<FaultRule> {
        let now = self.inner.clock.now();
        self.inner.rules.read().unwrap().iter().map(|r| r.view(now)).collect()
    }

    pub fn get(&self, id: &str) -> Option<FaultRule> {
        let now = self.inner.clock.now();
        self.inner.rules.read().unwrap().iter().find(|r| r.id == id).map(|r| r.view(now))
    }

    /// Removes one rule; whether it existed.
    pub fn remove(&self, id: &str) -> bool {
        self.retain(|rule| rule.id != id) > 0
    }

    /// Removes every rule of a vendor (a vendor reset).
    pub fn clear_vendor(&self, vendor: Vendor) {
        self.retain(|rule| rule.spec.vendor != vendor);
    }

    /// Removes every rule and restarts the seeded draws and the rule ids (a full reset).
    pub fn clear(&self) {
        let mut rules = self.inner.rules.write().unwrap();
        rules.clear();
        self.inner.count.store(0, Ordering::SeqCst);
        self.inner.next_id.store(1, Ordering::Relaxed);
        *self.inner.rng.lock().unwrap() = rng(self.inner.seed);
    }

    fn retain(&self, keep: impl Fn(&Rule) -> bool) -> usize {
        let mut rules = self.inner.rules.write().unwrap();
        let before = rules.len();
        rules.retain(|rule| keep(rule));
        self.inner.count.store(rules.len(), Ordering::SeqCst);
        before - rules.len()
    }

    /// The rule that fires for a request, if any: the first live one that matches,
    /// counted at once (so `times` holds exactly under parallel requests). `tenant` is
    /// asked at most once, and only when a matching rule is scoped to a tenant.
    pub fn check(
        &self,
        vendor: Vendor,
        method: &Method,
        path: &str,
        tenant: impl FnOnce() -> Option<String>,
    ) -> Option<Fired> {
        if self.inner.count.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let rules: Vec<Arc<Rule>> = self.inner.rules.read().unwrap().clone();
        let now = self.inner.clock.now();
        let mut tenant = Some(tenant);
        let mut known: Option<Option<String>> = None;
        for rule in rules.iter().filter(|r| r.spec.vendor == vendor) {
            if rule.method.as_ref().is_some_and(|m| m != method)
                || rule.pattern.as_ref().is_some_and(|p| !p.matches(path))
                || rule.expires_at.is_some_and(|at| now >= at)
            {
                continue;
            }
            if let Some(wanted) = &rule.spec.tenant {
                let actual = known.get_or_insert_with(|| tenant.take().and_then(|ask| ask()));
                if actual.as_deref() != Some(wanted.as_str()) {
                    continue;
                }
            }
            let mut fired = rule.fired.lock().unwrap();
            if rule.spec.times.is_some_and(|n| *fired >= n) {
                continue;
            }
            if let Some(p) = rule.spec.probability
                && !self.inner.rng.lock().unwrap().random_bool(p)
            {
                continue;
            }
            *fired += 1;
            return Some(Fired {
                rule: rule.id.clone(),
                action: rule.spec.action.clone(),
                path: rule.spec.path.clone(),
            });
        }
        None
    }
}
