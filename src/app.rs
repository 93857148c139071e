//! The application: shared state, the routers of every listener, and serving.
//!
//! Layers on every listener, outermost first: the journal recorder (request id,
//! trail, explain header, the request log line), then the dispatcher that picks the vendor
//! (see [`crate::routing`]). Each vendor router carries, outermost first, panic
//! recovery (a panic becomes the vendor's 500, never a dropped connection) and the
//! body limit its extractors enforce.

use std::{collections::HashMap, future::Future, net::SocketAddr, sync::Arc, time::Instant};

use anyhow::Context;
use axum::{
    Router,
    extract::{DefaultBodyLimit, FromRef},
    http::{StatusCode, header},
    middleware,
    response::Response,
};
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;

use crate::{
    Config, Vendor,
    clock::Clock,
    fixtures::FixtureSet,
    holm::HolmState,
    journal::{self, Denial, Journal, Recorder},
    portalio::PortalioState,
    propal::PropalState,
    routing::{self, Dispatcher, Listener},
    scheduler::Scheduler,
    vendor::{FrameError, frame_error},
};

/// Everything the handlers share: cheap handles only.
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
    pub portalio: Arc<PortalioState>,
    pub propal: Arc<PropalState>,
    pub holm: Arc<HolmState>,
}

/// What a vendor state needs from the frame when it is built.
pub struct VendorContext<'a> {
    pub config: &'a Config,
    pub clock: Clock,
    pub scheduler: Scheduler,
    pub fixtures: &'a FixtureSet,
}

impl AppState {
    /// Loads the fixtures (embedded or `--fixtures`) and builds every vendor's state.
    pub fn new(config: Config) -> anyhow::Result<Self> {
        let fixtures = match &config.fixtures {
            Some(dir) => FixtureSet::with_dir(dir)?,
            None => FixtureSet::embedded(),
        };
        let clock = Clock::default();
        let scheduler = Scheduler::new(clock.clone());
        let context =
            VendorContext { config: &config, clock: clock.clone(), scheduler: scheduler.clone(), fixtures: &fixtures };
        let portalio = Arc::new(PortalioState::new(
            clock.clone(),
            &fixtures,
            config.portalio.clone(),
            config.seed,
        )?);
        let propal = Arc::new(PropalState::new(&context)?);
        let holm = Arc::new(HolmState::new(&context)?);
        Ok(Self {
            journal: Journal::new(config.journal_capacity),
            config: Arc::new(config),
            clock,
            scheduler,
            started: Instant::now(),
            portalio,
            propal,
            holm,
        })
    }

    /// Puts one vendor back to its fixtures, atomically, and drops its pending jobs.
    pub fn reset(&self, vendor: Vendor) {
        self.scheduler.cancel(vendor);
        match vendor {
            Vendor::Portalio => self.portalio.reset(),
            Vendor::Propal => self.propal.reset(),
            Vendor::Holm => self.holm.reset(),
        }
    }

    /// The raw test credentials of the fixtures, per vendor (CONTRACT §6.2).
    pub fn credentials(&self) -> Value {
        let mut all = Map::new();
        for vendor in Vendor::ALL {
            let value = match vendor {
                Vendor::Portalio => self.portalio.credentials(),
                Vendor::Propal => self.propal.credentials(),
                Vendor::Holm => self.holm.credentials(),
            };
            all.insert(vendor.as_str().to_owned(), value);
        }
        Value::Object(all)
    }

    /// Record counts per vendor, for the health answer.
    pub fn counts(&self) -> Value {
        let mut all = Map::new();
        for vendor in Vendor::ALL {
            let value = match vendor {
                Vendor::Portalio => self.portalio.counts(),
                Vendor::Propal => self.propal.counts(),
                Vendor::Holm => self.holm.counts(),
            };
            all.insert(vendor.as_str().to_owned(), value);
        }
        Value::Object(all)
    }

    fn vendor_routes(&self, vendor: Vendor) -> Router {
        match vendor {
            Vendor::Portalio => crate::portalio::router(Arc::clone(&self.portalio)),
            Vendor::Propal => crate::propal::router(Arc::clone(&self.propal)),
            Vendor::Holm => crate::holm::router(Arc::clone(&self.holm)),
        }
    }
}

/// The built application: its state and the routers of its listeners.
#[derive(Clone)]
pub struct App {
    pub state: AppState,
    recorder: Recorder,
    vendors: Arc<HashMap<Vendor, Router>>,
    admin: Router,
    hosts: Arc<HashMap<String, Vendor>>,
}

/// Builds the whole service from a config, without binding anything.
pub fn build_app(config: Config) -> anyhow::Result<App> {
    let state = AppState::new(config)?;
    let config = &state.config;
    let recorder = Recorder::new(state.journal.clone(), state.clock.clone(), !config.no_explain, config.seed);
    let vendors = Vendor::ALL
        .into_iter()
        .map(|vendor| (vendor, harden(state.vendor_routes(vendor), vendor, config.max_body_bytes)))
        .collect();
    let mut hosts: HashMap<String, Vendor> = Vendor::ALL
        .into_iter()
        .flat_map(|vendor| vendor.real_hosts().iter().map(move |host| ((*host).to_owned(), vendor)))
        .collect();
    hosts.extend(config.host_aliases.iter().map(|alias| (alias.host.clone(), alias.vendor)));
    let admin = crate::admin::router(state.clone());
    Ok(App { recorder, vendors: Arc::new(vendors), admin, hosts: Arc::new(hosts), state })
}

/// The layers every vendor router gets: panic recovery outermost (a panic becomes the
/// vendor's own 500, never a dropped connection), then the body limit its extractors enforce.
pub fn harden(routes: Router, vendor: Vendor, max_body_bytes: usize) -> Router {
    routes
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(middleware::map_response(move |response: Response| async move {
            vendor_shaped_413(vendor, max_body_bytes, response)
        }))
        .layer(CatchPanicLayer::custom(move |_| frame_error(vendor, FrameError::Internal)))
}

/// A body without `Content-Length` that outgrows the limit is refused by the extractor
/// with axum's plain-text 413; give it the vendor's shape like the declared-length case.
fn vendor_shaped_413(vendor: Vendor, max_body_bytes: usize, response: Response) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if response.status() != StatusCode::PAYLOAD_TOO_LARGE || is_json {
        return response;
    }
    let mut shaped = frame_error(vendor, FrameError::PayloadTooLarge);
    let detail = format!("streamed body exceeds --max-body-bytes {max_body_bytes}");
    shaped.extensions_mut().insert(Denial::new("payload_too_large", detail));
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

/// The bound sockets: the main listener and any dedicated ones.
pub struct Listeners {
    pub main: TcpListener,
    pub dedicated: Vec<(Vendor, TcpListener)>,
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
    Ok(Listeners { main, dedicated })
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
            "version": env!("CARGO_PKG_VERSION"),
        });
        if !self.dedicated.is_empty() {
            let mut dedicated = Map::new();
            for (vendor, listener) in &self.dedicated {
                dedicated.insert(vendor.as_str().to_owned(), Value::from(listener.local_addr()?.to_string()));
            }
            line["dedicated"] = Value::Object(dedicated);
        }
        Ok(line.to_string())
    }
}

/// Serves every listener until `shutdown` completes, then lets in-flight requests finish.
pub async fn serve(
    app: App,
    listeners: Listeners,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let background = app.state.scheduler.run_in_background();
    let mut servers = tokio::task::JoinSet::new();
    let mut all = vec![(app.router(), listeners.main)];
    all.extend(listeners.dedicated.into_iter().map(|(vendor, listener)| (app.dedicated_router(vendor), listener)));
    for (router, listener) in all {
        let mut stop = stop_rx.clone();
        servers.spawn(async move {
            axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
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
        for (vendor, body) in cases {
            let router = harden(Router::new().route("/boom", get(boom)), vendor, 1024);
            let response = router.oneshot(Request::get("/boom").body(Body::empty()).unwrap()).await.unwrap();
            assert_eq!(response.status(), 500, "{vendor}");
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(std::str::from_utf8(&bytes).unwrap(), body, "{vendor}");
        }
    }
}
