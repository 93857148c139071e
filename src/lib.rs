//! vendor-emulator: faithful, stateful local copies of the Portal.io, Propal and
//! Holm Security Partner Portal APIs, in one binary.
//!
//! # Layout
//!
//! - [`app`]: `AppState`, [`build_app`], the listeners and [`app::serve`].
//! - [`config`]: every flag, each with its `EMULATOR_*` environment variable.
//! - [`vendor`]: the [`Vendor`] enum; every place that must learn about a new vendor matches on it.
//! - [`routing`]: which vendor serves a request (path prefix, `Host`, dedicated listener).
//! - [`clock`] and [`scheduler`]: the one source of "now", and jobs due at a clock instant.
//! - [`ids`]: generated ids, keys and tokens (deterministic under `--seed`).
//! - [`journal`]: the request journal, the decision trail and the `X-Emulator-Explain` header.
//! - [`fixtures`]: embedded and `--fixtures DIR` fixture files, with precise load errors.
//! - [`store`]: the swappable snapshot that makes a reset atomic.
//! - [`admin`]: the control plane under `/_emulator`.
//! - [`healthcheck`]: the `vendor-emulator healthcheck` subcommand's client.
//! - [`portalio`], [`propal`], [`holm`]: one folder per vendor, each with the same files.

pub mod admin;
pub mod app;
pub mod clock;
pub mod config;
pub mod fixtures;
pub mod healthcheck;
pub mod holm;
pub mod ids;
pub mod journal;
pub mod portalio;
pub mod propal;
pub mod routing;
pub mod scheduler;
pub mod store;
pub mod vendor;

pub use app::{App, AppState, build_app};
pub use config::Config;
pub use vendor::Vendor;
