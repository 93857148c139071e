//! `vendor-emulator healthcheck [--url URL]`: exit 0 when `/_emulator/health`
//! answers 200, non-zero otherwise, so images without curl can have a HEALTHCHECK.

use std::{net::SocketAddr, time::Duration};

use axum::body::Body;
use hyper::Request;
use hyper_util::{client::legacy::Client, rt::TokioExecutor};

/// `/_emulator/health` on the main listener; a bind to all interfaces is reached over loopback.
pub fn default_url(bind: SocketAddr) -> String {
    let host = match bind.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => "127.0.0.1".to_owned(),
        ip if ip.is_unspecified() => "[::1]".to_owned(),
        ip if ip.is_ipv6() => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    format!("http://{host}:{}/_emulator/health", bind.port())
}

/// Calls `url` (with the admin token when one is set) and returns the exit code.
pub async fn run(url: &str, admin_token: Option<&str>) -> i32 {
    match check(url, admin_token).await {
        Ok(()) => 0,
        Err(reason) => {
            eprintln!("unhealthy: {reason}");
            1
        }
    }
}

async fn check(url: &str, admin_token: Option<&str>) -> Result<(), String> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Body>();
    let mut request = Request::get(url);
    if let Some(token) = admin_token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = request.body(Body::empty()).map_err(|e| format!("bad url {url}: {e}"))?;
    let response = tokio::time::timeout(Duration::from_secs(5), client.request(request))
        .await
        .map_err(|_| format!("{url} did not answer within 5 s"))?
        .map_err(|e| format!("{url}: {e}"))?;
    if response.status().is_success() { Ok(()) } else { Err(format!("{url} answered {}", response.status())) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_url_uses_loopback_for_unspecified_binds() {
        assert_eq!(default_url("0.0.0.0:8080".parse().unwrap()), "http://127.0.0.1:8080/_emulator/health");
        assert_eq!(default_url("127.0.0.1:9000".parse().unwrap()), "http://127.0.0.1:9000/_emulator/health");
        assert_eq!(default_url("[::]:8080".parse().unwrap()), "http://[::1]:8080/_emulator/health");
    }
}
