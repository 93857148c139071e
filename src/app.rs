//! The application: shared state, the routers of every listener, and serving.
//!
//! Layers on every listener, outermost first: the journal recorder (request id,
//! trail, explain header, the request log line), then the dispatcher that picks the vendor
//! (see [`crate::routing`]). Each vendor router carries, outermost first, panic
//! recovery (a panic becomes the vendor's 500, never a dropped connection) and the
//! body limit its extractors enforce.

use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, OnceLock},
    time::Instant,
};

use anyhow::Context;
use axum::{
    Router,
    extract::{ConnectInfo, DefaultBodyLimit, FromRef, Request},
    http::{Method, StatusCode, Uri, header},
    middleware::{self, Next},
    response::Response,
};
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;

use crate::{
    Config, Vendor,
    admin::openapi::ApiDocs,
    clock::Clock,
    faults::Faults,
    fixtures::FixtureError,
    head_guard::{GuardedListener, Peer},
    holm::{self, HolmState},
    journal::{self, Denial, Journal, Recorder},
    persist::StateDir,
    portalio::{self, PortalioState},
    propal::{self, PropalState},
    routing::{self, Dispatcher, Listener, MountedVendor},
    scheduler::Scheduler,
    tls::{
        certs::{Identity, Source, leaf_names},
        listener::TlsListener,
    },
    vendor::{EmulatedVendor, FrameError, VendorContext},
};

/// Each vendor's own flags, flattened into [`Config`]: one line per vendor.
#[derive(Clone, Debug, clap::Args)]
pub struct VendorSettings {
    #[command(flatten)]
    pub portalio: portalio::config::Settings,
    #[command(flatten)]
    pub propal: propal::config::Settings,
    #[command(flatten)]
    pub holm: holm::config::Settings,
}

/// `vendor-emulator sign <vendor>`: the vendors whose requests are signed.
#[derive(Debug, clap::Subcommand)]
pub enum SignCommand {
    /// A Portal.io request (HMAC-SHA256 over the canonical string).
    Portalio(portalio::cli::SignArgs),
}

impl SignCommand {
    /// The canonical string and signature as text, or why the request cannot be signed.
    pub fn run(&self) -> Result<String, String> {
        match self {
            SignCommand::Portalio(args) => portalio::cli::run(args),
        }
    }
}

/// Builds every vendor, in [`Vendor::ALL`] order: the one place that names them.
fn build_vendors(
    context: &VendorContext<'_>,
    settings: &VendorSettings,
) -> anyhow::Result<Vec<Arc<dyn EmulatedVendor>>> {
    Ok(vec![
        Arc::new(PortalioState::new(context, &settings.portalio)?),
        Arc::new(PropalState::new(context, &settings.propal)?),
        Arc::new(HolmState::new(context, &settings.holm)?),
    ])
}

/// Everything the control plane shares: cheap handles only.
///
/// Vendor handlers take only their own `Arc<…State>`, so they cannot reach another
/// vendor's data; only the control plane takes the whole `AppState`.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub config: Arc<Config>,
    pub clock: Clock,
    pub scheduler: Scheduler,
    pub journal: Journal,
    /// When the process started, for `uptime_ms` (wall time, not the emulator clock).
    pub started: Instant,
    /// Every vendor, in [`Vendor::ALL`] order.
    pub vendors: Arc<[Arc<dyn EmulatedVendor>]>,
    /// The OpenAPI documents, assembled from the routers when first asked for (start-up
    /// and idle memory pay nothing for them).
    pub docs: Arc<OnceLock<ApiDocs>>,
    /// Fault rules (`/_emulator/faults`).
    pub faults: Faults,
    /// `--state-dir`, when given.
    pub state_dir: Option<StateDir>,
    /// What the `--tls-bind` listener serves (generated only when it is asked for).
    pub tls: Option<Arc<Identity>>,
}

impl AppState {
    /// Loads the fixtures (embedded or `--fixtures`) and builds every vendor.
    pub fn new(config: Config) -> anyhow::Result<Self> {
        let fixtures = match &config.fixtures {
            Some(path) => crate::snapshot::load_fixtures(path).map_err(crate::snapshot::locate)?,
            None => crate::fixtures::FixtureSet::embedded(),
        };
        let clock = Clock::default();
        let scheduler = Scheduler::new(clock.clone());
        let context = VendorContext {
            clock: clock.clone(),
            scheduler: scheduler.clone(),
            fixtures: &fixtures,
            seed: config.seed,
        };
        // A fixture error inside a state document given as --fixtures names the document.
        let vendors = build_vendors(&context, &config.vendors).map_err(|e| match e.downcast::<FixtureError>() {
            Ok(fixture) => crate::snapshot::locate(fixture).into(),
            Err(other) => other,
        })?;
        debug_assert!(vendors.iter().map(|v| v.vendor()).eq(Vendor::ALL), "vendors are built in Vendor::ALL order");
        let state_dir = config.state_dir.as_deref().map(StateDir::new);
        let tls = config.tls_bind.is_some().then(|| tls_identity(&config)).transpose()?.map(Arc::new);
        let state = Self {
            journal: Journal::new(config.journal_capacity),
            faults: Faults::new(clock.clone(), config.seed),
            config: Arc::new(config),
            clock,
            scheduler,
            started: Instant::now(),
            vendors: vendors.into(),
            docs: Arc::new(OnceLock::new()),
            state_dir,
            tls,
        };
        if let Some(dir) = &state.state_dir {
            dir.load(&state)?;
        }
        Ok(state)
    }

    /// One vendor.
    pub fn vendor(&self, vendor: Vendor) -> &Arc<dyn EmulatedVendor> {
        self.vendors.iter().find(|v| v.vendor() == vendor).expect("every vendor is built")
    }

    /// Puts one vendor back to its fixtures, atomically, and drops its pending jobs.
    pub fn reset(&self, vendor: Vendor) {
        self.scheduler.cancel(vendor);
        self.faults.clear_vendor(vendor);
        self.vendor(vendor).reset();
    }

    /// The raw test credentials of the fixtures, per vendor (CONTRACT §6.2).
    pub fn credentials(&self) -> Value {
        self.per_vendor(EmulatedVendor::credentials)
    }

    /// Record counts per vendor, for the health answer.
    pub fn counts(&self) -> Value {
        self.per_vendor(EmulatedVendor::counts)
    }

    fn per_vendor(&self, value: impl Fn(&dyn EmulatedVendor) -> Value) -> Value {
        let all: Map<String, Value> =
            self.vendors.iter().map(|v| (v.vendor().as_str().to_owned(), value(v.as_ref()))).collect();
        Value::Object(all)
    }

    /// The assembled OpenAPI documents, built on first use from the same routers the
    /// app serves (each vendor's `api()` and the control plane's), so they cannot drift;
    /// with `prebuilt-openapi`, the ones a full build assembled, embedded.
    pub fn docs(&self) -> &ApiDocs {
        #[cfg(feature = "prebuilt-openapi")]
        return self.docs.get_or_init(ApiDocs::prebuilt);
        #[cfg(not(feature = "prebuilt-openapi"))]
        self.docs.get_or_init(|| {
            crate::documented::documenting(|| {
                let api_docs = self
                    .vendors
                    .iter()
                    .map(|vendor| (vendor.vendor(), Arc::clone(vendor).api().split_for_parts().1))
                    .collect();
                let (_, admin_doc) = crate::admin::router(self.clone());
                ApiDocs::assemble(admin_doc, api_docs)
            })
        })
    }
}

/// The TLS listener's certificate: `--tls-cert`, else a leaf from the local CA (kept in
/// `--tls-ca-dir`, or generated now) for every vendor's real host names and every alias.
fn tls_identity(config: &Config) -> anyhow::Result<Identity> {
    let source = match (&config.tls_cert, &config.tls_key, &config.tls_ca_dir) {
        (Some(cert), Some(key), _) => Source::Files { cert, key },
        (_, _, Some(dir)) => Source::CaDir(dir),
        _ => Source::Ephemeral,
    };
    let hosts = Vendor::ALL.iter().flat_map(|vendor| vendor.real_hosts().iter().map(|host| (*host).to_owned()));
    let names = leaf_names(hosts.chain(config.host_aliases.iter().map(|alias| alias.host.clone())));
    Identity::load(&source, &names)
}

/// The built application: its state and the routers of its listeners.
#[derive(Clone)]
pub struct App {
    pub state: AppState,
    recorder: Recorder,
    vendors: Arc<HashMap<Vendor, MountedVendor>>,
    admin: Router,
    hosts: Arc<HashMap<String, Vendor>>,
}

/// Builds the whole service from a config, without binding anything.
pub fn build_app(config: Config) -> anyhow::Result<App> {
    let state = AppState::new(config)?;
    let config = &state.config;
    let recorder = Recorder::new(state.journal.clone(), state.clock.clone(), !config.no_explain, config.seed);
    let mut vendors = HashMap::new();
    for vendor in state.vendors.iter() {
        let (routes, _) = Arc::clone(vendor).api().split_for_parts();
        let hardened = harden(routes, Arc::clone(vendor), config.max_body_bytes);
        vendors.insert(vendor.vendor(), MountedVendor { router: hardened, vendor: Arc::clone(vendor) });
    }
    let mut hosts: HashMap<String, Vendor> = Vendor::ALL
        .into_iter()
        .flat_map(|vendor| vendor.real_hosts().iter().map(move |host| ((*host).to_owned(), vendor)))
        .collect();
    hosts.extend(config.host_aliases.iter().map(|alias| (alias.host.clone(), alias.vendor)));
    let (admin, _) = crate::admin::router(state.clone());
    Ok(App { recorder, vendors: Arc::new(vendors), admin, hosts: Arc::new(hosts), state })
}

/// The layers every vendor router gets: panic recovery outermost (a panic becomes the
/// vendor's own 500, never a dropped connection), then the shaping of axum's own
/// plain-text refusals into the vendor's errors, then the body limit its extractors enforce.
pub fn harden(routes: Router, vendor: Arc<dyn EmulatedVendor>, max_body_bytes: usize) -> Router {
    let shaper = Arc::clone(&vendor);
    let routes =
        if routes.has_routes() { routes.route_layer(middleware::from_fn(routing::tag_matched_route)) } else { routes };
    routes
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let shaper = Arc::clone(&shaper);
            async move {
                let (method, uri) = (request.method().clone(), request.uri().clone());
                let response = next.run(request).await;
                vendor_shaped(shaper.as_ref(), max_body_bytes, &method, &uri, response)
            }
        }))
        .layer(CatchPanicLayer::custom(move |_| vendor.frame_error(FrameError::Internal)))
}

/// axum's own answers, given the vendor's shape: a 405 for a known path with an unserved
/// method is the vendor's 404 (it comes after the vendor's layers, so authentication has
/// already run); a body without `Content-Length` that outgrows the limit is refused by the
/// extractor with a plain-text 413, answered like the declared-length case.
fn vendor_shaped(
    vendor: &dyn EmulatedVendor,
    max_body_bytes: usize,
    method: &Method,
    uri: &Uri,
    response: Response,
) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let mut shaped = match response.status() {
        StatusCode::METHOD_NOT_ALLOWED => routing::route_not_found(vendor, method, uri),
        StatusCode::PAYLOAD_TOO_LARGE => {
            let mut shaped = vendor.frame_error(FrameError::PayloadTooLarge);
            let detail = format!("streamed body exceeds --max-body-bytes {max_body_bytes}");
            shaped.extensions_mut().insert(Denial::new("payload_too_large", detail));
            shaped
        }
        _ => return response,
    };
    // The headers the vendor's own layers put on the answer (rate-limit headers, say) stay.
    for (name, value) in response.headers() {
        let replaced = [header::CONTENT_TYPE, header::CONTENT_LENGTH].contains(name);
        if !replaced && !shaped.headers().contains_key(name) {
            shaped.headers_mut().insert(name.clone(), value.clone());
        }
    }
    shaped
}

impl App {
    /// The main listener: prefixes, host names and `/_emulator`.
    pub fn router(&self) -> Router {
        self.listener_router(Listener::Main)
    }

    /// A vendor's dedicated listener, serving it at the root path.
    pub fn dedicated_router(&self, vendor: Vendor) -> Router {
        self.listener_router(Listener::Dedicated(vendor))
    }

    fn listener_router(&self, listener: Listener) -> Router {
        let dispatcher = Dispatcher {
            listener,
            vendors: Arc::clone(&self.vendors),
            admin: self.admin.clone(),
            hosts: Arc::clone(&self.hosts),
            max_body_bytes: self.state.config.max_body_bytes,
            faults: self.state.faults.clone(),
        };
        // The recorder wraps the dispatcher, so it sees every answer; it also writes
        // the request log line (with credentials redacted), in place of a trace layer
        // that would log raw URLs.
        Router::new()
            .fallback(routing::dispatch)
            .with_state(dispatcher)
            .layer(middleware::from_fn_with_state(self.recorder.clone(), journal::record))
    }
}

/// Copies the guarded connection's peer into `ConnectInfo<SocketAddr>`, which the
/// journal and the vendors read, and its fault switch into the extensions.
async fn peer_as_connect_info(mut request: Request) -> Request {
    if let Some(ConnectInfo(Peer(peer, fault))) = request.extensions().get::<ConnectInfo<Peer>>().cloned() {
        request.extensions_mut().insert(ConnectInfo(peer));
        request.extensions_mut().insert(fault);
    }
    request
}

/// The bound sockets: the main listener, any dedicated ones and the TLS one.
pub struct Listeners {
    pub main: TcpListener,
    pub dedicated: Vec<(Vendor, TcpListener)>,
    pub tls: Option<TcpListener>,
}

/// Binds the main listener and every dedicated one the config asks for.
pub async fn bind(config: &Config) -> anyhow::Result<Listeners> {
    let main = TcpListener::bind(config.bind).await.with_context(|| format!("binding --bind {}", config.bind))?;
    let mut dedicated = Vec::new();
    for vendor in Vendor::ALL {
        if let Some(addr) = config.dedicated_bind(vendor) {
            let listener = TcpListener::bind(addr).await.with_context(|| format!("binding --{vendor}-bind {addr}"))?;
            dedicated.push((vendor, listener));
        }
    }
    let tls = match config.tls_bind {
        Some(addr) => Some(TcpListener::bind(addr).await.with_context(|| format!("binding --tls-bind {addr}"))?),
        None => None,
    };
    Ok(Listeners { main, dedicated, tls })
}

impl Listeners {
    /// The one JSON line printed on stdout once every socket is bound (CONTRACT §2),
    /// with the real ports; dedicated listeners are listed under `"dedicated"`.
    pub fn listening_line(&self) -> anyhow::Result<String> {
        let vendors: Map<String, Value> =
            Vendor::ALL.iter().map(|v| (v.as_str().to_owned(), Value::from(v.prefix()))).collect();
        let mut line = json!({
            "event": "listening",
            "addr": self.main.local_addr()?.to_string(),
            "vendors": vendors,
            "admin": "/_emulator",
            "ui": "/_emulator/ui",
            "version": env!("CARGO_PKG_VERSION"),
        });
        if !self.dedicated.is_empty() {
            let mut dedicated = Map::new();
            for (vendor, listener) in &self.dedicated {
                dedicated.insert(vendor.as_str().to_owned(), Value::from(listener.local_addr()?.to_string()));
            }
            line["dedicated"] = Value::Object(dedicated);
        }
        if let Some(tls) = &self.tls {
            line["tls"] = Value::from(tls.local_addr()?.to_string());
        }
        Ok(line.to_string())
    }
}

/// Serves one listener until `stop` turns true, then waits for its open connections to
/// finish their requests (idle ones close at once). Like `axum::serve`, plus hyper's header
/// read timeout (which needs a timer): a client that sends its head too slowly, or leaves
/// a kept-alive connection silent for that long, has its connection closed.
async fn serve_listener(
    mut listener: GuardedListener,
    router: Router,
    header_read_timeout: std::time::Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<()> {
    use axum::serve::Listener as _;
    use hyper::server::conn::http1;
    use hyper_util::{
        rt::{TokioIo, TokioTimer},
        server::graceful::GracefulShutdown,
        service::TowerToHyperService,
    };
    use tower::ServiceExt;

    // HTTP/1.1 only, like `axum::serve` without its `http2` feature.
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
    let graceful = GracefulShutdown::new();
    loop {
        let (io, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|stopped| *stopped) => break,
        };
        let service = TowerToHyperService::new(router.clone().map_request(move |mut request: Request<_>| {
            request.extensions_mut().insert(ConnectInfo(peer.clone()));
            request
        }));
        let connection = builder.serve_connection(TokioIo::new(io), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::trace!("connection closed: {error}");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Serves every listener until `shutdown` completes, then lets in-flight requests finish.
pub async fn serve(
    app: App,
    listeners: Listeners,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let background = app.state.scheduler.run_in_background();
    let every = std::time::Duration::from_secs_f64(app.state.config.state_flush_seconds);
    let flusher = app.state.state_dir.as_ref().map(|dir| dir.spawn_flusher(app.state.clone(), every));
    let mut servers = tokio::task::JoinSet::new();
    let mut all = vec![(app.router(), listeners.main)];
    all.extend(listeners.dedicated.into_iter().map(|(vendor, listener)| (app.dedicated_router(vendor), listener)));
    let header_read_timeout = std::time::Duration::from_millis(app.state.config.header_read_timeout_ms);
    for (router, listener) in all {
        let stop = stop_rx.clone();
        // The guard answers hyper's own head refusals through the same router.
        let guarded = GuardedListener::new(listener, router.clone());
        let router = router.layer(middleware::map_request(peer_as_connect_info));
        servers.spawn(serve_listener(guarded, router, header_read_timeout, stop));
    }
    if let Some(listener) = listeners.tls {
        let identity = app.state.tls.as_ref().context("--tls-bind without its certificate")?;
        // The main listener's routing, every request marked as having come over TLS.
        let router = app.router().layer(middleware::map_request(crate::tls::mark));
        let tls = TlsListener::new(listener, identity.server_config()?, router.clone())?;
        let router = router.layer(middleware::map_request(peer_as_connect_info));
        let mut stop = stop_rx.clone();
        servers.spawn(async move {
            axum::serve(tls, router.into_make_service_with_connect_info::<Peer>())
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|stopped| *stopped).await;
                })
                .await
        });
    }
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    while let Some(result) = servers.join_next().await {
        result.context("listener task")?.context("serving")?;
    }
    background.abort();
    if let Some(flusher) = flusher {
        flusher.abort();
    }
    if let Some(dir) = &app.state.state_dir {
        dir.flush(&app.state).context("writing --state-dir on shutdown")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use axum::{body::Body, http::Request, routing::get};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_answers_the_vendors_500_shape() {
        #[allow(clippy::unused_async)]
        async fn boom() -> &'static str {
            panic!("handler bug")
        }
        let cases = [
            (Vendor::Propal, r#"{"error":{"code":"internal_error","message":"Internal server error."}}"#),
            (Vendor::Holm, r#"{"error":{"code":"internal_error","message":"Internal server error."}}"#),
            (Vendor::Portalio, r#"{"message":"An unexpected error occurred."}"#),
        ];
        let state = AppState::new(Config::for_tests()).unwrap();
        for (vendor, body) in cases {
            let router = harden(Router::new().route("/boom", get(boom)), Arc::clone(state.vendor(vendor)), 1024);
            let response = router.oneshot(Request::get("/boom").body(Body::empty()).unwrap()).await.unwrap();
            assert_eq!(response.status(), 500, "{vendor}");
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(std::str::from_utf8(&bytes).unwrap(), body, "{vendor}");
        }
    }
}
