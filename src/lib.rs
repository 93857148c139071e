//! vendor-emulator: faithful, stateful local copies of the Portal.io, Propal and
//! Holm Security Partner Portal APIs, in one binary.
//!
//! # Layout
//!
//! - [`app`]: the composition root, and the only frame file that names the vendors:
//!   it builds them, hands them to the frame, and holds `AppState`, [`build_app`],
//!   the listeners and [`app::serve`].
//! - [`config`]: every flag, each with its `EMULATOR_*` environment variable.
//! - [`documented`]: the `routes!` every router declares its routes with (utoipa-axum's,
//!   building each route's OpenAPI side only while the documents are assembled).
//! - [`vendor`]: [`Vendor`] (a vendor's name, prefix and real hosts, as data), the
//!   [`vendor::EmulatedVendor`] trait the frame asks of each vendor, and the
//!   [`vendor::VendorContext`] it gives each one at build time.
//! - [`routing`]: which vendor serves a request (path prefix, `Host`, dedicated listener).
//! - [`clock`] and [`scheduler`]: the one source of "now", and jobs due at a clock instant.
//! - [`ids`]: generated ids, keys and tokens (deterministic under `--seed`).
//! - [`journal`]: the request journal, the decision trail and the `X-Emulator-Explain` header.
//! - [`fixtures`]: embedded and `--fixtures DIR` fixture files, with precise load errors.
//! - [`store`]: the swappable snapshot that makes a reset atomic.
//! - [`faults`]: fault rules (a status, a delay, a reset connection, a truncated head)
//!   for the requests they match, applied by the dispatcher.
//! - [`paging`]: a page of a large list sorted without sorting the whole list.
//! - [`snapshot`]: the whole state as a document of fixture files (export, restore).
//! - [`persist`]: `--state-dir`: the state loaded at start and written back atomically.
//! - [`admin`]: the control plane under `/_emulator` (each vendor's own part is in its
//!   folder) and the OpenAPI documents assembled from the routers.
//! - [`head_guard`]: answers the requests whose head hyper refuses (414, 431) in the vendor's shape.
//! - [`healthcheck`]: the `vendor-emulator healthcheck` subcommand's client.
//! - [`tls`]: `--tls-bind`: the HTTPS listener, the local CA and the certificates it issues.
//! - [`harness`]: an emulator started in-process on an ephemeral port for Rust tests
//!   ([`harness::Emulator`]); each vendor's typed credentials and tenants are in its
//!   folder's `harness.rs`.
//! - [`portalio`], [`propal`], [`holm`]: one folder per vendor: its state, its API
//!   router, its control-plane routes (`admin.rs`), its flags (`config.rs`), its errors.
//!
//! Adding a vendor is one folder that implements [`vendor::EmulatedVendor`], one line
//! in `app::build_vendors` and one `#[command(flatten)]` line in `app::VendorSettings`
//! (plus its variant, prefix and hosts in [`Vendor`]).

pub mod admin;
pub mod app;
pub mod clock;
pub mod config;
pub mod documented;
pub mod error_chain;
pub mod faults;
pub mod fixtures;
pub mod harness;
pub mod head_guard;
pub mod healthcheck;
pub mod holm;
pub mod ids;
pub mod journal;
pub mod json_path;
pub mod paging;
pub mod persist;
pub mod portalio;
pub mod propal;
pub mod routing;
pub mod scheduler;
pub mod snapshot;
pub mod store;
#[cfg(test)]
pub(crate) mod testing;
pub mod tls;
pub mod vendor;

pub use app::{App, AppState, build_app};
pub use config::Config;
pub use vendor::Vendor;
