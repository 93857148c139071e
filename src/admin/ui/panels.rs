//! `GET /_emulator/ui/panels`: what each vendor shows on the monitor page beyond the
//! journal. A vendor describes its tenants, sessions or deliveries as [`Table`]s whose
//! buttons are [`Action`]s (calls to its own control-plane routes), and ready-made
//! [`Example`] requests with working credentials; the page renders them without
//! knowing which vendor it is looking at.

use axum::{
    Extension, Json,
    extract::State,
    http::{HeaderMap, header},
};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::{Vendor, app::AppState, tls::OverTls};

/// One vendor's panels.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct Panels {
    /// Ready-made requests that succeed with the current credentials and clock.
    pub examples: Vec<Example>,
    /// Tenants first, then whatever else the vendor keeps (sessions, deliveries).
    pub tables: Vec<Table>,
}

/// A ready-made request.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Example {
    /// What it does, e.g. "List proposals as Acme's admin key".
    pub label: String,
    /// A complete curl command line.
    pub command: String,
}

/// A table of records with buttons.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Table {
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
    /// The button above the table (say, "Create a fresh tenant").
    pub create: Option<Action>,
    /// What the table shows when it has no rows.
    pub empty: String,
}

/// One record: a cell per column and its buttons.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Row {
    pub cells: Vec<String>,
    pub actions: Vec<Action>,
}

/// A button: one call to the vendor's own control plane, whose answer the page shows.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Action {
    pub label: String,
    /// `POST`, `DELETE`, …
    pub method: String,
    /// Relative to `/_emulator/<vendor>`, e.g. `/organizations/org_1`.
    pub path: String,
    /// The JSON body to send, if any.
    pub body: Option<Value>,
    /// Whether the page asks before calling (deleting, invalidating).
    pub confirm: bool,
}

impl Action {
    pub fn new(label: impl Into<String>, method: &str, path: impl Into<String>) -> Self {
        Self { label: label.into(), method: method.to_owned(), path: path.into(), body: None, confirm: false }
    }

    /// The page asks "are you sure?" first.
    #[must_use]
    pub fn confirmed(mut self) -> Self {
        self.confirm = true;
        self
    }

    #[must_use]
    pub fn with_body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
}

/// Every vendor's panels, in listening-line order.
#[derive(Debug, Serialize, ToSchema)]
pub struct AllPanels {
    /// How the page's browser reaches the emulator (`http://<Host>`), as used in the examples.
    pub base_url: String,
    pub vendors: Vec<VendorPanels>,
}

/// One vendor's panels, named.
#[derive(Debug, Serialize, ToSchema)]
pub struct VendorPanels {
    pub vendor: Vendor,
    pub title: String,
    /// The vendor's raw test credentials (as `GET /_emulator/credentials` lists them).
    #[schema(value_type = Object)]
    pub credentials: Value,
    #[serde(flatten)]
    pub panels: Panels,
}

/// The monitor page's panels: examples, tenants, sessions, deliveries, per vendor.
#[utoipa::path(get, path = "/_emulator/ui/panels", tag = "control plane",
    responses((status = 200, description = "Each vendor's tables and example requests", body = AllPanels)))]
pub async fn get_panels(
    State(state): State<AppState>,
    over_tls: Option<Extension<OverTls>>,
    headers: HeaderMap,
) -> Json<AllPanels> {
    let base_url = base_url(&headers, &state, OverTls::scheme(over_tls.as_deref()));
    let vendors = state
        .vendors
        .iter()
        .map(|vendor| VendorPanels {
            vendor: vendor.vendor(),
            title: vendor.vendor().title().to_owned(),
            credentials: vendor.credentials(),
            panels: vendor.panels(&base_url),
        })
        .collect();
    Json(AllPanels { base_url, vendors })
}

/// `http://<Host>` (`https` over TLS) as the browser addressed the emulator, else the bound address.
fn base_url(headers: &HeaderMap, state: &AppState, scheme: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)))
        .map_or_else(|| state.config.bind.to_string(), str::to_owned);
    format!("{scheme}://{host}")
}

/// Quotes a word for a POSIX shell: `'…'` with every `'` written `'\''`.
pub fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quote_survives_single_quotes() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
