//! `vendor-emulator healthcheck [--url URL]`: exit 0 when `/_emulator/health`
//! answers 200, non-zero otherwise, so images without curl can have a HEALTHCHECK.
//!
//! The health endpoint needs no admin token, and the server writes its listening
//! line to `--run-file`, so the check finds a server started with any flags.
//! `healthcheck --tls` checks the TLS listener the same way, trusting the emulator's CA;
//! `vendor-emulator tls ca` fetches that CA from a running server.

use std::{net::SocketAddr, path::Path, time::Duration};

use crate::error_chain::error_chain;

/// `/_emulator/health` on the main listener; a bind to all interfaces is reached over loopback.
pub fn default_url(bind: SocketAddr) -> String {
    format!("{}/_emulator/health", base_url(bind))
}

/// `http://host:port` of a listener; a bind to all interfaces is reached over loopback.
pub fn base_url(bind: SocketAddr) -> String {
    let host = match reachable(bind).ip() {
        ip if ip.is_ipv6() => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    format!("http://{host}:{}", bind.port())
}

/// The address to connect to for a bound address: loopback for all interfaces.
fn reachable(bind: SocketAddr) -> SocketAddr {
    match bind.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => SocketAddr::from(([127, 0, 0, 1], bind.port())),
        ip if ip.is_unspecified() => SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, bind.port())),
        _ => bind,
    }
}

/// The listening line a running server wrote to its run file, if any.
fn written(run_file: Option<&Path>) -> Option<serde_json::Value> {
    run_file
        .and_then(|path| std::fs::read_to_string(path).ok())
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
}

/// The main listener's address: an explicit bind, the one in the run file, else the configured one.
pub fn main_addr(explicit_bind: Option<SocketAddr>, run_file: Option<&Path>, bind: SocketAddr) -> SocketAddr {
    explicit_bind
        .or_else(|| written(run_file).and_then(|line| line["addr"].as_str().and_then(|addr| addr.parse().ok())))
        .unwrap_or(bind)
}

/// The TLS listener's address: the one in the run file, else `--tls-bind`.
pub fn tls_addr(run_file: Option<&Path>, tls_bind: Option<SocketAddr>) -> Option<SocketAddr> {
    written(run_file).and_then(|line| line["tls"].as_str().and_then(|addr| addr.parse().ok())).or(tls_bind)
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
    default_url(main_addr(explicit_bind, run_file, bind))
}

/// Calls `url` and returns the exit code.
pub async fn run(url: &str) -> i32 {
    exit_code(check(url).await)
}

/// Calls `/_emulator/health` on the TLS listener at `addr` as `https://localhost:<port>`,
/// trusting only the PEM certificates in `trusted`, and returns the exit code.
pub async fn run_tls(addr: SocketAddr, trusted: &str) -> i32 {
    exit_code(check_tls(addr, trusted).await)
}

fn exit_code(result: Result<(), String>) -> i32 {
    match result {
        Ok(()) => 0,
        Err(reason) => {
            eprintln!("unhealthy: {reason}");
            1
        }
    }
}

async fn check_tls(addr: SocketAddr, trusted: &str) -> Result<(), String> {
    let url = format!("https://localhost:{}/_emulator/health", addr.port());
    let roots = reqwest::Certificate::from_pem_bundle(trusted.as_bytes())
        .map_err(|e| format!("the trusted certificates are not PEM: {e}"))?;
    let mut builder = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .resolve("localhost", reachable(addr))
        .timeout(Duration::from_secs(5));
    for root in roots {
        builder = builder.add_root_certificate(root);
    }
    let client = builder.build().map_err(|e| format!("TLS client: {e}"))?;
    let response = client.get(&url).send().await.map_err(|e| format!("{url}: {}", error_chain(&e)))?;
    if response.status().is_success() { Ok(()) } else { Err(format!("{url} answered {}", response.status())) }
}

/// The emulator CA a running server serves at `{base}/_emulator/tls/ca.pem`.
pub async fn fetch_ca(base: &str) -> Result<String, String> {
    let url = format!("{}/_emulator/tls/ca.pem", base.trim_end_matches('/'));
    let response = get(&url).await?;
    let status = response.status();
    let text = response.text().await.map_err(|e| format!("{url}: {}", error_chain(&e)))?;
    if status.is_success() { Ok(text) } else { Err(format!("{url} answered {status}: {text}")) }
}

/// A GET with a 5 s limit. Names are resolved by hickory (`/etc/resolv.conf`,
/// `/etc/hosts`), not by libc: the image's static binary cannot load glibc's resolver,
/// and `tls ca --url http://emulator:8080` runs in a Compose network.
async fn get(url: &str) -> Result<reqwest::Response, String> {
    let client = reqwest::Client::builder()
        .hickory_dns(true)
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| format!("HTTP client: {}", error_chain(&e)))?;
    client.get(url).send().await.map_err(|e| {
        if e.is_timeout() { format!("{url} did not answer within 5 s") } else { format!("{url}: {}", error_chain(&e)) }
    })
}

async fn check(url: &str) -> Result<(), String> {
    let status = get(url).await?.status();
    if status.is_success() { Ok(()) } else { Err(format!("{url} answered {status}")) }
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
