//! Which vendor serves a request (CONTRACT §3).
//!
//! On the main listener, in this order: a `Host` that is a vendor's real host name
//! (or a `--host-alias`) goes to that vendor at the root path; `/_emulator…` goes to
//! the control plane; a `/portalio`, `/propal` or `/holm` prefix is stripped and the
//! rest goes to that vendor; anything else gets `404 {"error":"unknown route"}`.
//! A dedicated listener sends everything to its one vendor at the root path.
//!
//! Vendor routers never know where they are mounted: the [`Mount`] request
//! extension tells the few rules that need it (Portal.io signs the URL as the
//! client addressed it; Propal builds upload URLs). Before handing over, a body
//! whose `Content-Length` exceeds `--max-body-bytes` is refused with 413 in the
//! vendor's own shape, unless the vendor checks sizes itself (after authenticating;
//! see [`EmulatedVendor::checks_body_size_itself`]); bodies without a length are
//! capped by the extractors.

use std::{collections::HashMap, sync::Arc};

use axum::{
    Json, Router,
    body::Body,
    extract::{MatchedPath, Request, State},
    http::{HeaderMap, Method, StatusCode, Uri, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::json;
use tower::ServiceExt;

use crate::{
    Vendor,
    faults::Faults,
    head_guard::HeadRefused,
    journal::Denial,
    tls::OverTls,
    vendor::{EmulatedVendor, FrameError},
};

/// Where the vendor router serving this request is mounted.
#[derive(Clone, Debug)]
pub struct Mount {
    pub vendor: Vendor,
    /// `/propal` when the client used the prefix, `""` at the root path.
    pub prefix: &'static str,
    /// The URI as the client sent it, prefix included.
    pub original_uri: Uri,
    /// `--max-body-bytes`, for a vendor that checks body sizes itself.
    pub max_body_bytes: usize,
    /// The scheme of the connection: `https` on the TLS listener, else `http`.
    pub scheme: &'static str,
}

impl Mount {
    /// `scheme://host[:port]` + prefix as the client addressed us: `X-Forwarded-Proto`
    /// and `X-Forwarded-Host` when present, else the connection's scheme and `Host`.
    pub fn public_base(&self, headers: &HeaderMap) -> String {
        let forwarded = |name: &str| {
            headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next()).map(str::trim)
        };
        let scheme = forwarded("x-forwarded-proto").unwrap_or(self.scheme);
        let host = forwarded("x-forwarded-host")
            .or_else(|| headers.get(header::HOST).and_then(|v| v.to_str().ok()))
            .or_else(|| self.original_uri.authority().map(axum::http::uri::Authority::as_str))
            .unwrap_or("localhost");
        format!("{scheme}://{host}{}", self.prefix)
    }
}

/// The route template that answered a request (`/v1/leads/{id}`), as the router
/// declared it: set on the response of every matched route, absent when a fallback
/// answered. The journal records it, and the test suite uses it to look up the
/// documented operation a response belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchedRoute(pub String);

/// Route layer: tags the response with its [`MatchedRoute`]. Applied with
/// `route_layer`, so it wraps every declared route (outside the vendor's own layers)
/// and never a fallback.
pub async fn tag_matched_route(request: Request, next: Next) -> Response {
    let matched = request.extensions().get::<MatchedPath>().map(|m| MatchedRoute(m.as_str().to_owned()));
    let mut response = next.run(request).await;
    if let Some(matched) = matched {
        response.extensions_mut().insert(matched);
    }
    response
}

/// Which listener a dispatcher serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listener {
    Main,
    Dedicated(Vendor),
}

/// A vendor's hardened router, and the vendor (for frame errors in its shape).
#[derive(Clone)]
pub struct MountedVendor {
    pub router: Router,
    pub vendor: Arc<dyn EmulatedVendor>,
}

/// Picks the router for each request; one per listener.
#[derive(Clone)]
pub struct Dispatcher {
    pub listener: Listener,
    pub vendors: Arc<HashMap<Vendor, MountedVendor>>,
    pub admin: Router,
    /// Lower-case host name (no port) → vendor: real hosts plus aliases.
    pub hosts: Arc<HashMap<String, Vendor>>,
    pub max_body_bytes: usize,
    /// Fault rules, checked after the frame's own refusals, before the vendor.
    pub faults: Faults,
}

/// The handler behind every listener.
pub async fn dispatch(State(dispatcher): State<Dispatcher>, request: Request) -> Response {
    if let Listener::Dedicated(vendor) = dispatcher.listener {
        return dispatcher.to_vendor(vendor, "", request).await;
    }
    if let Some(vendor) = host_name(&request).and_then(|host| dispatcher.hosts.get(&host).copied()) {
        return dispatcher.to_vendor(vendor, "", request).await;
    }
    let path = request.uri().path();
    if path == "/_emulator" || path.starts_with("/_emulator/") {
        if let Some(refused) = request.extensions().get::<HeadRefused>() {
            return frame_refusal(refused.0);
        }
        return dispatcher.admin.clone().oneshot(request).await.unwrap_or_else(|e| match e {});
    }
    for vendor in Vendor::ALL {
        let prefix = vendor.prefix();
        if let Some(rest) = path.strip_prefix(prefix)
            && (rest.is_empty() || rest.starts_with('/'))
        {
            return dispatcher.to_vendor(vendor, prefix, request).await;
        }
    }
    if let Some(refused) = request.extensions().get::<HeadRefused>() {
        return frame_refusal(refused.0);
    }
    unknown_route()
}

/// A head refusal outside any vendor, in the frame's own `{"error": …}` shape.
fn frame_refusal(refusal: FrameError) -> Response {
    let (status, error) = match refusal {
        FrameError::UriTooLong => (StatusCode::URI_TOO_LONG, "request URI too long"),
        _ => (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "request headers too large"),
    };
    (status, Json(json!({ "error": error }))).into_response()
}

impl Dispatcher {
    async fn to_vendor(&self, vendor: Vendor, prefix: &'static str, mut request: Request) -> Response {
        let mounted = self.vendors.get(&vendor).expect("every vendor is mounted");
        if let Some(HeadRefused(refusal)) = request.extensions().get::<HeadRefused>().copied() {
            let mut response = mounted.vendor.frame_error(refusal);
            let detail = match refusal {
                FrameError::UriTooLong => "the request line is longer than the HTTP parser reads (64 KiB)",
                _ => "the headers are larger or more than the HTTP parser reads (about 400 KiB, 100 headers)",
            };
            response.extensions_mut().insert(Denial::new("head_too_large", detail));
            response.extensions_mut().insert(vendor);
            return response;
        }
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if let Some(length) = declared.filter(|&n| n > self.max_body_bytes as u64)
            && !mounted.vendor.checks_body_size_itself()
        {
            let mut response = mounted.vendor.frame_error(FrameError::PayloadTooLarge);
            let detail = format!("body of {length} bytes exceeds --max-body-bytes {}", self.max_body_bytes);
            response.extensions_mut().insert(Denial::new("payload_too_large", detail));
            response.extensions_mut().insert(vendor);
            return response;
        }
        let original_uri = request.uri().clone();
        if !prefix.is_empty() {
            *request.uri_mut() = strip_prefix(&original_uri, prefix);
        }
        let scheme = OverTls::scheme(request.extensions().get::<OverTls>());
        let max_body_bytes = self.max_body_bytes;
        request.extensions_mut().insert(Mount { vendor, prefix, original_uri, max_body_bytes, scheme });
        let fired = self
            .faults
            .check(vendor, request.method(), request.uri().path(), || mounted.vendor.tenant(request.headers()));
        let mut response = match fired {
            Some(fired) => crate::faults::inject(fired, mounted.vendor.as_ref(), request, mounted.router.clone()).await,
            None => mounted.router.clone().oneshot(request).await.unwrap_or_else(|e| match e {}),
        };
        // axum's method router adds `Allow` after every layer, also to the vendor's 404
        // that replaced its 405; only a real 405 keeps it.
        if response.status() != StatusCode::METHOD_NOT_ALLOWED {
            response.headers_mut().remove(header::ALLOW);
        }
        response.extensions_mut().insert(vendor);
        response
    }
}

/// The vendor's own 404 for a path (or method) it does not serve, explained.
pub fn route_not_found(vendor: &dyn EmulatedVendor, method: &Method, uri: &Uri) -> Response {
    let mut response = vendor.frame_error(FrameError::NotFound);
    let detail = format!("{} has no route {method} {}", vendor.vendor(), uri.path());
    response.extensions_mut().insert(Denial::new("route_not_found", detail));
    response
}

fn unknown_route() -> Response {
    let prefixes: Vec<&str> = Vendor::ALL.iter().map(|v| v.prefix()).collect();
    let body = json!({
        "error": "unknown route",
        "prefixes": prefixes,
        "admin": "/_emulator",
    });
    (StatusCode::NOT_FOUND, Json(body)).into_response()
}

fn host_name(request: &Request<Body>) -> Option<String> {
    let raw = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().host().map(str::to_owned))?;
    let host = if let Some(v6) = raw.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        raw.rsplit_once(':').map_or(raw.as_str(), |(host, _port)| host)
    };
    Some(host.trim_end_matches('.').to_ascii_lowercase())
}

fn strip_prefix(uri: &Uri, prefix: &str) -> Uri {
    let rest = uri.path().strip_prefix(prefix).unwrap_or(uri.path());
    let path = if rest.is_empty() { "/" } else { rest };
    let path_and_query = match uri.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    Uri::builder().path_and_query(path_and_query).build().unwrap_or_else(|_| Uri::from_static("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_prefix_keeps_query_and_gives_root_for_bare_prefix() {
        let uri: Uri = "/propal/v1/leads?limit=2".parse().unwrap();
        assert_eq!(strip_prefix(&uri, "/propal").to_string(), "/v1/leads?limit=2");
        assert_eq!(strip_prefix(&"/propal".parse().unwrap(), "/propal").to_string(), "/");
    }

    #[test]
    fn host_name_drops_port_and_case() {
        let request = Request::builder().header("host", "API.Propal.io:8080").body(Body::empty()).unwrap();
        assert_eq!(host_name(&request).as_deref(), Some("api.propal.io"));
        let request = Request::builder().header("host", "[::1]:8080").body(Body::empty()).unwrap();
        assert_eq!(host_name(&request).as_deref(), Some("::1"));
    }

    #[test]
    fn public_base_prefers_forwarded_headers() {
        let mount = Mount {
            vendor: Vendor::Propal,
            prefix: "/propal",
            original_uri: "/propal/v1".parse().unwrap(),
            max_body_bytes: 1024,
            scheme: "http",
        };
        let mut headers = HeaderMap::new();
        headers.insert("host", "localhost:8080".parse().unwrap());
        assert_eq!(mount.public_base(&headers), "http://localhost:8080/propal");
        headers.insert("x-forwarded-proto", "https".parse().unwrap());
        headers.insert("x-forwarded-host", "emu.example".parse().unwrap());
        assert_eq!(mount.public_base(&headers), "https://emu.example/propal");
    }

    #[test]
    fn public_base_takes_the_connections_scheme_unless_forwarded() {
        let mount = Mount {
            vendor: Vendor::Portalio,
            prefix: "",
            original_uri: "https://sandbox.api.portal.io:8443/public/users".parse().unwrap(),
            max_body_bytes: 1024,
            scheme: "https",
        };
        // HTTP/2 sends no Host header: the authority comes from the URI.
        assert_eq!(mount.public_base(&HeaderMap::new()), "https://sandbox.api.portal.io:8443");
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-proto", "http".parse().unwrap());
        assert_eq!(mount.public_base(&headers), "http://sandbox.api.portal.io:8443");
    }
}

/// Property tests: the base URL is rebuilt from any `Host` and `X-Forwarded-*`
/// values without panicking, and always as `scheme://host` + the mount prefix.
#[cfg(test)]
mod proptests {
    use axum::http::HeaderValue;
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(crate::testing::cases(256))]

        #[test]
        fn public_base_takes_any_forwarded_headers(
            values in proptest::collection::vec(proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)), 3),
            prefix in prop_oneof![Just(""), Just("/portalio"), Just("/propal"), Just("/holm")],
        ) {
            let mut headers = HeaderMap::new();
            for (name, value) in ["host", "x-forwarded-host", "x-forwarded-proto"].into_iter().zip(values) {
                if let Some(Ok(value)) = value.map(|v| HeaderValue::from_bytes(&v)) {
                    headers.insert(name, value);
                }
            }
            let mount = Mount { vendor: Vendor::Portalio, prefix, original_uri: Uri::from_static("/x"), max_body_bytes: 1, scheme: "http" };
            let base = mount.public_base(&headers);
            prop_assert!(base.contains("://"), "{}", base);
            prop_assert!(base.ends_with(prefix), "{}", base);
        }
    }
}
