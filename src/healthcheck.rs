//! `vendor-emulator healthcheck [--url URL]`: exit 0 when `/_emulator/health`
//! answers 200, non-zero otherwise, so images without curl can have a HEALTHCHECK.
//!
//! The health endpoint needs no admin token, and the server writes its listening
//! line to `--run-file`, so the check finds a server started with any flags.

use std::{net::SocketAddr, path::Path, time::Duration};

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

/// Where to look for the server: an explicit URL, an explicit bind, the address a running
/// server wrote to its run file, else the configured (or default) bind.
pub fn target_url(
    url: Option<String>,
    explicit_bind: Option<SocketAddr>,
    run_file: Option<&Path>,
    bind: SocketAddr,
) -> String {
    if let Some(url) = url {
        return url;
    }
    if let Some(bind) = explicit_bind {
        return default_url(bind);
    }
    let written = run_file
        .and_then(|path| std::fs::read_to_string(path).ok())
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|line| line["addr"].as_str().and_then(|addr| addr.parse().ok()));
    default_url(written.unwrap_or(bind))
}

/// Calls `url` and returns the exit code.
pub async fn run(url: &str) -> i32 {
    match check(url).await {
        Ok(()) => 0,
        Err(reason) => {
            eprintln!("unhealthy: {reason}");
            1
        }
    }
}

async fn check(url: &str) -> Result<(), String> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Body>();
    let request = Request::get(url).body(Body::empty()).map_err(|e| format!("bad url {url}: {e}"))?;
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

    #[test]
    fn target_prefers_url_then_explicit_bind_then_run_file_then_configured_bind() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("run.json");
        std::fs::write(&file, r#"{"event":"listening","addr":"127.0.0.1:9123"}"#).unwrap();
        let configured: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let explicit: SocketAddr = "127.0.0.1:7000".parse().unwrap();

        assert_eq!(target_url(Some("http://x/h".into()), Some(explicit), Some(&file), configured), "http://x/h");
        assert_eq!(target_url(None, Some(explicit), Some(&file), configured), "http://127.0.0.1:7000/_emulator/health");
        assert_eq!(target_url(None, None, Some(&file), configured), "http://127.0.0.1:9123/_emulator/health");
        let missing = dir.path().join("absent.json");
        assert_eq!(target_url(None, None, Some(&missing), configured), "http://127.0.0.1:8080/_emulator/health");
    }
}
