//! The in-process harness: an emulator started inside the current tokio runtime, for
//! Rust test suites, with one call.
//!
//! [`Emulator::start`] builds the same application as the binary (`build_app`), binds
//! with [`app::bind`] on an ephemeral loopback port and serves with [`app::serve`] on a
//! spawned task, so it costs what the binary's start-up costs (no process, no printed
//! line to read). The handle gives each vendor's base URL, the fixture credentials
//! and fresh tenants as typed values (each vendor declares its types in its own
//! `harness` module: [`FixtureCredentials`], [`Tenant`]), drives the clock, reads the
//! journal, and reaches any control-plane route in-process. Dropping it stops the
//! server gracefully (in-flight requests finish); [`Emulator::stop`] waits for that.
//!
//! ```
//! use vendor_emulator::{Vendor, harness::Emulator, propal::harness::PropalTenant};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> anyhow::Result<()> {
//! let emulator = Emulator::start().await;
//! let tenant: PropalTenant = emulator.tenant().await?;
//! emulator.freeze_clock();
//! let url = format!("{}/proposals", emulator.base_url(Vendor::Propal));
//! // … point the client under test at `url` with `tenant.key.key` …
//! # let _ = url;
//! # Ok(())
//! # }
//! ```

use std::{collections::HashMap, future::Future, net::SocketAddr, time::Duration};

use anyhow::Context;
use axum::{
    Router,
    body::Body,
    http::{Method, Request, header},
};
use http_body_util::BodyExt;
use jiff::{SignedDuration, Timestamp};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::{sync::oneshot, task::JoinHandle};
use tower::ServiceExt;

use crate::{
    AppState, Config, Vendor, app,
    journal::{Entry, Filter},
};

/// The bind the harness uses unless the flags name one: loopback, a port the OS picks.
const EPHEMERAL_LOOPBACK: &str = "127.0.0.1:0";

/// A vendor's fixture credentials as a typed value: the part of `GET /_emulator/credentials`
/// under the vendor's name, read from the same source. Implemented in each vendor's
/// `harness` module; read them with [`Emulator::credentials`].
pub trait FixtureCredentials: DeserializeOwned {
    /// Whose credentials these are.
    const VENDOR: Vendor;
}

/// A fresh tenant of one vendor (an account or organization with its own credentials),
/// made through the vendor's control-plane routes. Implemented in each vendor's `harness`
/// module; make one with [`Emulator::tenant`].
pub trait Tenant: Sized {
    /// Whose tenant this is.
    const VENDOR: Vendor;

    /// Creates one on `emulator`.
    fn create(emulator: &Emulator) -> impl Future<Output = anyhow::Result<Self>> + Send;
}

/// A running emulator on an ephemeral port of this process; dropping it stops the server.
///
/// ```
/// use vendor_emulator::{Vendor, harness::Emulator};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> anyhow::Result<()> {
/// let emulator = Emulator::with_args(["--seed", "7", "--holm-requests-per-second", "0"]).await?;
/// assert!(emulator.base_url(Vendor::Holm).starts_with("http://127.0.0.1:"));
/// assert!(emulator.base_url(Vendor::Holm).ends_with("/holm/v1"));
/// emulator.stop().await?;
/// # Ok(())
/// # }
/// ```
pub struct Emulator {
    state: AppState,
    /// The main listener's router, for in-process control-plane calls.
    router: Router,
    addr: SocketAddr,
    dedicated: HashMap<Vendor, SocketAddr>,
    /// Dropping the sender (with the handle) tells the server to shut down.
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

impl Emulator {
    /// Starts an emulator with the binary's defaults (embedded fixtures, a running clock),
    /// its main listener on `127.0.0.1` at a port the OS picks.
    ///
    /// # Panics
    /// When it cannot start: no loopback port can be bound.
    pub async fn start() -> Self {
        Self::with_args(std::iter::empty::<&str>()).await.expect("the emulator starts on 127.0.0.1:0")
    }

    /// Starts an emulator with the binary's flags (`--seed 7`, `--propal-rate-limit 5`,
    /// `--fixtures DIR`, `--propal-bind 127.0.0.1:0`, …), parsed by the binary's own parser.
    /// Without `--bind` among them the main listener takes `127.0.0.1:0` (whatever
    /// `EMULATOR_BIND` says); other `EMULATOR_*` variables set in the environment apply as
    /// they do to the binary, below the flags.
    pub async fn with_args<I, S>(args: I) -> anyhow::Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<std::ffi::OsString> + Clone,
    {
        let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
        let names_bind = args.iter().any(|arg| arg.to_str().is_some_and(|a| a == "--bind" || a.starts_with("--bind=")));
        let mut config = Config::try_from_args(&args).map_err(|e| anyhow::anyhow!("{}", e.render()))?;
        if !names_bind {
            config.bind = EPHEMERAL_LOOPBACK.parse().expect("a socket address");
        }
        Self::with_config(config).await
    }

    /// Starts an emulator with a [`Config`] as given (its `bind` included).
    pub async fn with_config(config: Config) -> anyhow::Result<Self> {
        let app = crate::build_app(config)?;
        let listeners = app::bind(&app.state.config).await?;
        let addr = listeners.main.local_addr()?;
        let dedicated = listeners
            .dedicated
            .iter()
            .map(|(vendor, listener)| Ok((*vendor, listener.local_addr()?)))
            .collect::<std::io::Result<_>>()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let (state, router) = (app.state.clone(), app.router());
        // A sent stop and a dropped sender both end the wait: either way the server shuts down.
        let server = tokio::spawn(app::serve(app, listeners, async move {
            let _ = stopped.await;
        }));
        Ok(Self { state, router, addr, dedicated, stop: Some(stop), server: Some(server) })
    }

    /// The main listener's address (`127.0.0.1:<port>`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The main listener's root, `http://127.0.0.1:<port>`: the control plane is under
    /// `/_emulator`, each vendor under its prefix.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base URL a client of the vendor is configured with, on the main listener:
    /// `http://127.0.0.1:<port>/propal/v1`, `…/portalio`, `…/holm/v1` (the `base_path`
    /// of `/_emulator/credentials`).
    pub fn base_url(&self, vendor: Vendor) -> String {
        format!("{}{}", self.url(), self.base_path(vendor))
    }

    /// The same base URL on the vendor's dedicated listener (`--propal-bind 127.0.0.1:0`),
    /// which serves it at the root path: `http://127.0.0.1:<port>/v1`; `None` without one.
    pub fn dedicated_base_url(&self, vendor: Vendor) -> Option<String> {
        let addr = self.dedicated.get(&vendor)?;
        let base_path = self.base_path(vendor);
        Some(format!("http://{addr}{}", base_path.strip_prefix(vendor.prefix()).unwrap_or(&base_path)))
    }

    fn base_path(&self, vendor: Vendor) -> String {
        let credentials = self.state.vendor(vendor).credentials();
        credentials["base_path"].as_str().map_or_else(|| vendor.prefix().to_owned(), str::to_owned)
    }

    /// The whole state the server runs on (clock, journal, vendors, config), for what this
    /// handle has no method for.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// One vendor's fixture credentials, typed: `let propal: PropalCredentials = emulator.credentials();`.
    ///
    /// # Panics
    /// When the vendor's credentials no longer read as its type: a bug of this crate.
    pub fn credentials<C: FixtureCredentials>(&self) -> C {
        let raw = self.state.vendor(C::VENDOR).credentials();
        serde_json::from_value(raw).unwrap_or_else(|e| panic!("{} credentials read as their type: {e}", C::VENDOR))
    }

    /// A fresh tenant of one vendor, typed: `let tenant: HolmTenant = emulator.tenant().await?;`.
    /// One per test keeps parallel tests apart.
    pub async fn tenant<T: Tenant>(&self) -> anyhow::Result<T> {
        T::create(self).await.with_context(|| format!("creating a {} tenant", T::VENDOR))
    }

    /// Calls a control-plane route in-process (no socket), with the admin token when one
    /// is configured, and reads a 2xx answer as `T` (`serde_json::Value` reads any; an
    /// empty body reads as `null`). Another status is an error carrying the answer.
    ///
    /// ```
    /// use axum::http::Method;
    /// use serde_json::{Value, json};
    /// use vendor_emulator::harness::Emulator;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> anyhow::Result<()> {
    /// let emulator = Emulator::start().await;
    /// let rule = json!({"vendor": "propal", "times": 1, "action": {"kind": "status", "status": 503}});
    /// let created: Value = emulator.control(Method::POST, "/_emulator/faults", Some(rule)).await?;
    /// assert_eq!(created["id"], "fault_1");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn control<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<T> {
        let mut request = Request::builder().method(&method).uri(path).header(header::HOST, self.addr.to_string());
        if let Some(token) = &self.state.config.admin_token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {}", token.expose()));
        }
        let body = match body {
            Some(json) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        let response = self.router.clone().oneshot(request.body(body)?).await?;
        let status = response.status();
        let bytes = response.into_body().collect().await?.to_bytes();
        anyhow::ensure!(status.is_success(), "{method} {path} answered {status}: {}", String::from_utf8_lossy(&bytes));
        let text = if bytes.is_empty() { b"null".as_slice() } else { &bytes };
        serde_json::from_slice(text).with_context(|| format!("{method} {path}: {}", String::from_utf8_lossy(&bytes)))
    }

    /// Now, on the emulator clock.
    pub fn now(&self) -> Timestamp {
        self.state.clock.now()
    }

    /// Stops the clock where it stands (`{"freeze":true}`).
    pub fn freeze_clock(&self) {
        self.state.clock.freeze();
    }

    /// Lets the clock run again from where it stands (`{"resume":true}`).
    pub fn resume_clock(&self) {
        self.state.clock.resume();
    }

    /// Puts the clock at `at`, frozen or running as it was, and runs every job that
    /// became due, in order (`{"set":…}`).
    pub async fn set_clock(&self, at: Timestamp) {
        self.state.scheduler.move_to(at).await;
    }

    /// Moves the clock forward and runs every job that became due, in order
    /// (`{"advance_seconds":…}`): how a test waits for a rate window, a session expiry
    /// or a webhook retry without sleeping.
    ///
    /// ```
    /// use std::time::Duration;
    /// use vendor_emulator::harness::Emulator;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let emulator = Emulator::start().await;
    /// emulator.freeze_clock();
    /// let before = emulator.now();
    /// emulator.advance_clock(Duration::from_millis(1500)).await;
    /// assert_eq!(emulator.now().duration_since(before).as_millis(), 1500);
    /// # }
    /// ```
    ///
    /// # Panics
    /// When `by` is beyond what a clock instant can hold (centuries).
    pub async fn advance_clock(&self, by: Duration) {
        let by = SignedDuration::try_from(by).expect("a duration the clock can hold");
        self.state.scheduler.move_to(self.now() + by).await;
    }

    /// The journal, newest first, as `GET /_emulator/journal` filters it.
    ///
    /// ```
    /// use vendor_emulator::{Vendor, harness::Emulator, journal::Filter};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> anyhow::Result<()> {
    /// let emulator = Emulator::start().await;
    /// let url = format!("{}/leads", emulator.base_url(Vendor::Propal));
    /// let response = reqwest::get(&url).await?;
    /// assert_eq!(response.status(), 401);
    /// let entries = emulator.journal(&Filter { vendor: Some(Vendor::Propal), ..Filter::default() });
    /// assert_eq!(entries[0].status, 401);
    /// assert!(entries[0].explain.as_deref().unwrap().starts_with("missing_header"));
    /// # Ok(())
    /// # }
    /// ```
    pub fn journal(&self, filter: &Filter) -> Vec<Entry> {
        self.state.journal.list(filter).iter().map(|entry| Entry::clone(entry)).collect()
    }

    /// One journal entry by its `X-Emulator-Request-Id`.
    pub fn journal_entry(&self, request_id: &str) -> Option<Entry> {
        self.state.journal.get(request_id).map(|entry| Entry::clone(&entry))
    }

    /// Every vendor back to its fixtures, fault rules gone (`POST /_emulator/reset`).
    pub async fn reset(&self) -> anyhow::Result<()> {
        self.control::<Value>(Method::POST, "/_emulator/reset", None).await.map(drop)
    }

    /// Stops the server and waits until it has: in-flight requests finish and, with
    /// `--state-dir`, the state is written.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.server.take() {
            Some(server) => server.await.context("the server task")?,
            None => Ok(()),
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator").field("addr", &self.addr).field("dedicated", &self.dedicated).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the address still accepts connections, after letting the server task run:
    /// a bounded number of yields, no sleeping.
    async fn closes(addr: SocketAddr) -> bool {
        for _ in 0..1000 {
            if tokio::net::TcpStream::connect(addr).await.is_err() {
                return true;
            }
            tokio::task::yield_now().await;
        }
        false
    }

    #[tokio::test]
    async fn stop_waits_for_the_server_and_the_port_closes() {
        let emulator = Emulator::start().await;
        let addr = emulator.addr();
        assert!(tokio::net::TcpStream::connect(addr).await.is_ok());
        emulator.stop().await.unwrap();
        assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "nothing listens on {addr} after stop");
    }

    #[tokio::test]
    async fn dropping_the_handle_stops_the_server() {
        let emulator = Emulator::start().await;
        let addr = emulator.addr();
        drop(emulator);
        assert!(closes(addr).await, "{addr} still accepts connections after the handle was dropped");
    }

    #[tokio::test]
    async fn flags_are_the_binarys_and_a_wrong_one_says_so() {
        let error = Emulator::with_args(["--propal-rate-limit", "many"]).await.unwrap_err().to_string();
        assert!(error.contains("--propal-rate-limit"), "{error}");
        let error = Emulator::with_args(["--no-such-flag"]).await.unwrap_err().to_string();
        assert!(error.contains("unexpected argument '--no-such-flag'"), "{error}");
    }

    #[tokio::test]
    async fn dedicated_listeners_get_their_own_base_url() {
        let emulator = Emulator::with_args(["--propal-bind", "127.0.0.1:0"]).await.unwrap();
        let dedicated = emulator.dedicated_base_url(Vendor::Propal).expect("a dedicated Propal listener");
        assert!(dedicated.starts_with("http://127.0.0.1:") && dedicated.ends_with("/v1"), "{dedicated}");
        assert_ne!(dedicated, emulator.base_url(Vendor::Propal));
        assert_eq!(emulator.dedicated_base_url(Vendor::Holm), None);
        let response = reqwest::get(format!("{dedicated}/leads")).await.unwrap();
        assert_eq!(response.status(), 401, "Propal answers at the root path of its listener");
    }

    #[tokio::test]
    async fn control_calls_carry_the_admin_token_and_report_refusals() {
        let emulator = Emulator::with_args(["--admin-token", "sekret"]).await.unwrap();
        let clock: Value = emulator.control(Method::GET, "/_emulator/clock", None).await.unwrap();
        assert_eq!(clock["frozen"], false);
        let refused = emulator.control::<Value>(Method::POST, "/_emulator/clock", Some(serde_json::json!({}))).await;
        let error = refused.unwrap_err().to_string();
        assert!(error.starts_with("POST /_emulator/clock answered 400 Bad Request: {\"error\":"), "{error}");
        let over_http = reqwest::get(format!("{}/_emulator/clock", emulator.url())).await.unwrap();
        assert_eq!(over_http.status(), 401, "the token is still required over HTTP");
    }

    #[tokio::test]
    async fn the_clock_moves_as_the_control_plane_moves_it() {
        let emulator = Emulator::start().await;
        emulator.freeze_clock();
        let at: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        emulator.set_clock(at).await;
        emulator.advance_clock(Duration::from_secs(90)).await;
        let clock: Value = emulator.control(Method::GET, "/_emulator/clock", None).await.unwrap();
        assert_eq!(clock, serde_json::json!({"now": "2030-01-01T00:01:30.000Z", "frozen": true}));
        emulator.resume_clock();
        assert!(!emulator.state().clock.is_frozen());
    }
}
