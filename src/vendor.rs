//! The interface between the frame and a vendor: [`Vendor`] names one (its prefix
//! and real host names are data), [`EmulatedVendor`] is what the frame asks of it,
//! and [`VendorContext`] is what the frame gives it when it is built.

use std::{collections::BTreeMap, fmt, str::FromStr, sync::Arc};

use axum::{
    http::{HeaderMap, StatusCode},
    response::Response,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;

use crate::{
    admin::ui::Panels,
    clock::Clock,
    fixtures::{FixtureError, FixtureSet},
    scheduler::Scheduler,
};

/// One emulated vendor API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Vendor {
    Portalio,
    Propal,
    Holm,
}

impl Vendor {
    /// Every vendor, in the order the listening line and the health answer list them.
    pub const ALL: [Vendor; 3] = [Vendor::Portalio, Vendor::Propal, Vendor::Holm];

    pub fn as_str(self) -> &'static str {
        match self {
            Vendor::Portalio => "portalio",
            Vendor::Propal => "propal",
            Vendor::Holm => "holm",
        }
    }

    /// The vendor's own name for its API, for titles.
    pub fn title(self) -> &'static str {
        match self {
            Vendor::Portalio => "Portal.io",
            Vendor::Propal => "Propal",
            Vendor::Holm => "Holm Security Partner Portal",
        }
    }

    /// The path prefix on the main listener (CONTRACT §3.1).
    pub fn prefix(self) -> &'static str {
        match self {
            Vendor::Portalio => "/portalio",
            Vendor::Propal => "/propal",
            Vendor::Holm => "/holm",
        }
    }

    /// The vendor's production host names, served at the root path (CONTRACT §3.2).
    pub fn real_hosts(self) -> &'static [&'static str] {
        match self {
            Vendor::Portalio => &["sandbox.api.portal.io", "api.portal.io"],
            Vendor::Propal => &["api.propal.io"],
            Vendor::Holm => &["portal-api.holmsecurity.com"],
        }
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Vendor {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Vendor::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown vendor `{s}` (expected portalio, propal or holm)"))
    }
}

/// Errors the frame itself produces before or around a vendor's handlers; each
/// vendor renders them in its own error shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// No route matches the path (or the method).
    NotFound,
    /// The body is larger than `--max-body-bytes`.
    PayloadTooLarge,
    /// A handler panicked.
    Internal,
    /// The request line is longer than the HTTP parser reads (414).
    UriTooLong,
    /// The headers are larger, or more, than the HTTP parser reads (431).
    HeadersTooLarge,
}

/// What a vendor gets from the frame when it is built (and keeps what it needs).
pub struct VendorContext<'a> {
    /// The one source of "now".
    pub clock: Clock,
    /// Jobs due at a clock instant (webhook retries, expiries).
    pub scheduler: Scheduler,
    /// The embedded or `--fixtures` files.
    pub fixtures: &'a FixtureSet,
    /// `--seed`: deterministic ids, keys and tokens.
    pub seed: Option<u64>,
}

/// One emulated vendor, as the frame sees it: the frame mounts its routers, resets
/// it, lists its credentials and counts, renders frame errors through it and
/// assembles the OpenAPI document from its routers. It knows nothing else of it.
pub trait EmulatedVendor: Send + Sync + 'static {
    /// Which vendor this is (name, prefix, real host names).
    fn vendor(&self) -> Vendor;

    /// The API at the vendor's root path, every route documented, with the vendor's own
    /// fallback answering unknown paths (see [`crate::routing::route_not_found`]).
    fn api(self: Arc<Self>) -> OpenApiRouter;

    /// The vendor's control-plane routes, relative to `/_emulator/<vendor>`; the frame
    /// nests them and guards them with the admin token.
    fn admin(self: Arc<Self>) -> OpenApiRouter;

    /// Back to the fixtures, atomically.
    fn reset(&self);

    /// The raw test credentials of the fixtures (CONTRACT §6.2).
    fn credentials(&self) -> Value;

    /// Record counts, for `/_emulator/health`.
    fn counts(&self) -> Value;

    /// A frame error in the vendor's own error shape.
    fn frame_error(&self, error: FrameError) -> Response;

    /// Whether the vendor's own layers refuse a declared `Content-Length` over the limit
    /// (so that, say, authentication answers first, or a route takes larger bodies). When
    /// false, the frame refuses such a request before the vendor runs. Either way the
    /// frame's `--max-body-bytes` caps the vendor's body extractors unless a route sets
    /// its own `DefaultBodyLimit`, and [`crate::routing::Mount`] carries the limit.
    fn checks_body_size_itself(&self) -> bool {
        false
    }

    /// What the monitor page (`/_emulator/ui`) shows of this vendor beyond the journal:
    /// its tenants and whatever else it keeps as tables whose buttons call its own
    /// control-plane routes, and example requests that work now. `base_url` is how
    /// the page's browser reaches the emulator (`http://localhost:8080`).
    fn panels(&self, base_url: &str) -> Panels {
        let _ = base_url;
        Panels::default()
    }

    /// The vendor's own error answer for a status a fault rule injects (500, 502, 503,
    /// 429, …): its error body (which may carry the wait, as Holm's 429 does); the frame
    /// adds the `Retry-After` header itself.
    fn fault_error(&self, status: StatusCode, retry_after_seconds: Option<u64>) -> Response;

    /// The tenant (organization, account) a request acts for, told from its credential
    /// headers alone with a read-only lookup (no rate budget spent, nothing recorded),
    /// as the journal's `account` shows it; `None` when the headers do not say.
    /// Fault rules scoped to a tenant use it.
    fn tenant(&self, headers: &HeaderMap) -> Option<String>;

    /// The whole state as fixture files (file name → content), in a stable order, so
    /// that loading them (`--fixtures`, [`EmulatedVendor::restore`]) gives the same
    /// state back. Keys the vendor stores hashed stay hashes.
    fn snapshot(&self) -> BTreeMap<String, Value>;

    /// Checks and builds a state from fixture files without touching the current one;
    /// committing the answer swaps it in at once, like a reset. The fixtures a reset
    /// returns to stay the ones the emulator started with.
    fn restore(&self, files: &FixtureSet) -> Result<Restore<'_>, FixtureError>;
}

/// A state built by [`EmulatedVendor::restore`], waiting to be swapped in.
pub struct Restore<'a>(Box<dyn FnOnce() + Send + 'a>);

impl<'a> Restore<'a> {
    pub fn new(swap: impl FnOnce() + Send + 'a) -> Self {
        Self(Box::new(swap))
    }

    /// Swaps the built state in.
    pub fn commit(self) {
        (self.0)();
    }
}
