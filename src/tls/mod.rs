//! `--tls-bind`: HTTPS on the vendors' real host names, so an SDK whose base URL is a
//! fixed `https://` address works unchanged once its host names resolve to the emulator
//! and it trusts one CA file.
//!
//! The TLS listener routes exactly like the main listener (by `Host`, or HTTP/2's
//! `:authority`; the SNI picks nothing, since one leaf covers every name), and
//! [`mark`] tags each request with [`OverTls`] so the URL a vendor reconstructs says `https`.
//! - [`certs`]: the local CA (generated, or kept in `--tls-ca-dir`), the leaf it issues,
//!   or the user's `--tls-cert`/`--tls-key`.
//! - [`listener`]: the accepting socket: handshakes in their own tasks with a timeout,
//!   HTTP/2 and HTTP/1.1 by ALPN, a plain `400` for plain HTTP.

pub mod certs;
pub mod listener;

use axum::{
    extract::Request,
    http::{HeaderValue, Version, header},
};

/// Request extension: the request came over the TLS listener (its scheme is `https`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverTls;

impl OverTls {
    /// `https` for a request that came over TLS, else `http`.
    pub fn scheme(over_tls: Option<&OverTls>) -> &'static str {
        if over_tls.is_some() { "https" } else { "http" }
    }
}

/// Every request of the TLS listener: marked [`OverTls`], and an HTTP/2 request (which
/// names its host in `:authority`, not in a header) given the `Host` header an HTTP/1.1
/// client sends, so everything that reads `Host` reads the same over both protocols.
pub async fn mark(mut request: Request) -> Request {
    request.extensions_mut().insert(OverTls);
    if request.version() == Version::HTTP_2 && !request.headers().contains_key(header::HOST) {
        let authority = request.uri().authority().and_then(|a| HeaderValue::from_str(a.as_str()).ok());
        if let Some(host) = authority {
            request.headers_mut().insert(header::HOST, host);
        }
    }
    request
}

#[cfg(test)]
mod tests {
    use axum::body::Body;

    use super::*;

    #[tokio::test]
    async fn an_http2_request_gets_its_authority_as_host_and_every_request_the_mark() {
        let request = Request::builder()
            .version(Version::HTTP_2)
            .uri("https://api.propal.io:8443/v1/leads")
            .body(Body::empty())
            .unwrap();
        let marked = mark(request).await;
        assert_eq!(marked.headers()[header::HOST], "api.propal.io:8443");
        assert_eq!(OverTls::scheme(marked.extensions().get::<OverTls>()), "https");

        let request = Request::builder().header(header::HOST, "localhost:8443").body(Body::empty()).unwrap();
        let marked = mark(request).await;
        assert_eq!(marked.headers()[header::HOST], "localhost:8443");
        assert!(marked.extensions().get::<OverTls>().is_some());
    }
}
