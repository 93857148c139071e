//! The three emulated vendors, their mount prefixes and their real host names.
//!
//! Adding a vendor means one more variant here; the compiler then points at every
//! `match` that must learn about it (routing, reset, credentials, health).

use std::{fmt, str::FromStr};

use axum::response::Response;
use serde::{Deserialize, Serialize};

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
}

/// Renders a [`FrameError`] in the vendor's own error shape.
pub fn frame_error(vendor: Vendor, error: FrameError) -> Response {
    match vendor {
        Vendor::Portalio => crate::portalio::error::frame_error(error),
        Vendor::Propal => crate::propal::error::frame_error(error),
        Vendor::Holm => crate::holm::error::frame_error(error),
    }
}

/// One route as the OpenAPI document describes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteDoc {
    pub method: &'static str,
    /// The vendor's documented path (no mount prefix), `{name}` for parameters.
    pub path: &'static str,
    pub summary: &'static str,
    /// The scope the vendor requires, where it has scopes.
    pub scope: Option<&'static str>,
}

impl RouteDoc {
    pub const fn new(method: &'static str, path: &'static str, summary: &'static str) -> Self {
        Self { method, path, summary, scope: None }
    }

    pub const fn scoped(method: &'static str, path: &'static str, scope: &'static str, summary: &'static str) -> Self {
        Self { method, path, summary, scope: Some(scope) }
    }
}

/// The routes a vendor serves today, for the OpenAPI document.
pub fn routes(vendor: Vendor) -> &'static [RouteDoc] {
    match vendor {
        Vendor::Portalio => crate::portalio::ROUTES,
        Vendor::Propal => crate::propal::ROUTES,
        Vendor::Holm => crate::holm::ROUTES,
    }
}
