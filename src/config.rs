//! Every setting, parsed once at boot. Each `--flag` also reads `EMULATOR_FLAG`
//! (CONTRACT §2); a vendor's own settings live in its folder and are flattened in.

use std::{net::SocketAddr, path::PathBuf, str::FromStr};

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum, builder::BoolishValueParser};

use crate::Vendor;

/// The command line: the server (default) or one of its subcommands.
#[derive(Debug, Parser)]
#[command(name = "vendor-emulator", version, about = "Faithful local emulator of the Portal.io, Propal and Holm APIs")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: Config,
}

/// Subcommands besides serving.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Exit 0 when `/_emulator/health` answers 200 (for images without curl).
    ///
    /// Finds the server by, in order: `--url`; `--bind` given to this subcommand on its
    /// command line; the address in `--run-file` (written by the running server);
    /// `--bind` from the environment or its default (loopback when it binds all interfaces).
    Healthcheck {
        /// The health URL.
        #[arg(long, env = "EMULATOR_HEALTHCHECK_URL")]
        url: Option<String>,
        /// Check the TLS listener instead: `https://localhost:<port>` of the address in
        /// `--run-file`, else `--tls-bind`, trusting the emulator's CA (the one in
        /// `--tls-ca-dir`, else the one the main listener serves) or `--tls-cert`.
        #[arg(long)]
        tls: bool,
    },
    /// Print the OpenAPI 3.1 document (the whole one, or one vendor's) and exit, for
    /// client generators and validators; no socket is opened.
    Openapi {
        /// One vendor's API at its root path (`portalio`, `propal`, `holm`); the whole document when absent.
        #[arg(long)]
        vendor: Option<Vendor>,
        /// Print every document as the bundle a `prebuilt-openapi` build embeds
        /// (VENDOR_EMULATOR_OPENAPI at build time), instead of one document.
        #[arg(long, conflicts_with = "vendor")]
        bundle: bool,
    },
    /// TLS helpers for `--tls-bind`.
    #[command(subcommand)]
    Tls(TlsCommand),
    /// Print the canonical string and signature for a described request (for debugging a signer).
    #[command(subcommand)]
    Sign(crate::app::SignCommand),
}

/// `vendor-emulator tls …`.
#[derive(Debug, Subcommand)]
pub enum TlsCommand {
    /// Print the CA certificate (PEM) that signs the TLS listener's certificate: the one
    /// in `--tls-ca-dir` (created there when absent, so it can be trusted before the
    /// first start), else the running server's (`GET /_emulator/tls/ca.pem`, found like
    /// `healthcheck` finds it).
    Ca {
        /// The running server's main listener, e.g. `http://127.0.0.1:8080`.
        #[arg(long)]
        url: Option<String>,
    },
}

/// How the server runs. `Config::for_tests()` gives the defaults without reading the process environment.
#[derive(Debug, Args)]
pub struct Config {
    /// Main listener: the three vendor prefixes and `/_emulator`.
    #[arg(long, env = "EMULATOR_BIND", default_value = "127.0.0.1:8080", global = true)]
    pub bind: SocketAddr,
    /// A dedicated Portal.io listener serving at the root path.
    #[arg(long, env = "EMULATOR_PORTALIO_BIND")]
    pub portalio_bind: Option<SocketAddr>,
    /// A dedicated Propal listener serving at the root path.
    #[arg(long, env = "EMULATOR_PROPAL_BIND")]
    pub propal_bind: Option<SocketAddr>,
    /// A dedicated Holm listener serving at the root path.
    #[arg(long, env = "EMULATOR_HOLM_BIND")]
    pub holm_bind: Option<SocketAddr>,
    /// An HTTPS listener routing like the main one (vendors by `Host`, `/_emulator` on
    /// `localhost`), HTTP/2 and HTTP/1.1; its certificate covers the vendors' real host
    /// names, every `--host-alias`, `localhost`, `127.0.0.1` and `::1`.
    #[arg(long, env = "EMULATOR_TLS_BIND", global = true)]
    pub tls_bind: Option<SocketAddr>,
    /// Keep the local CA that signs the TLS certificate in DIR (`ca.pem`, `ca-key.pem`),
    /// created when absent and reused at the next start, so it is trusted once.
    #[arg(long, env = "EMULATOR_TLS_CA_DIR", global = true, conflicts_with = "tls_cert")]
    pub tls_ca_dir: Option<PathBuf>,
    /// Serve this PEM certificate chain on `--tls-bind` instead of one from the local CA.
    #[arg(long, env = "EMULATOR_TLS_CERT", requires = "tls_key", global = true)]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of `--tls-cert`.
    #[arg(long, env = "EMULATOR_TLS_KEY", requires = "tls_cert", global = true)]
    pub tls_key: Option<PathBuf>,
    /// Extra host names routed to a vendor, `HOST=VENDOR` (repeatable; comma-separated in the env variable).
    #[arg(long = "host-alias", env = "EMULATOR_HOST_ALIAS", value_delimiter = ',')]
    pub host_aliases: Vec<HostAlias>,
    /// How many requests the journal keeps (oldest evicted first).
    #[arg(long, env = "EMULATOR_JOURNAL_CAPACITY", default_value_t = 1000)]
    pub journal_capacity: usize,
    /// Leave out the `X-Emulator-Explain` header (the journal still holds the trail).
    /// The variable takes 1/0, true/false, yes/no, on/off, in any case.
    #[arg(long, env = "EMULATOR_NO_EXPLAIN", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub no_explain: bool,
    /// Largest accepted request body; larger gets 413 in the vendor's shape.
    #[arg(long, env = "EMULATOR_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// How long a client may take to send a request's head (and a kept-alive connection
    /// may stay silent) before its connection is closed, in milliseconds.
    #[arg(long, env = "EMULATOR_HEADER_READ_TIMEOUT_MS", default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout_ms: u64,
    /// Log format on stderr.
    #[arg(long, env = "EMULATOR_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty)]
    pub log_format: LogFormat,
    /// Log filter: a level (`trace`, `debug`, `info`, `warn`, `error`, `off`) or
    /// per-target directives such as `info,vendor_emulator=debug`.
    #[arg(long, env = "EMULATOR_LOG_LEVEL", default_value = "info", value_parser = parse_log_filter)]
    pub log_level: tracing_subscriber::filter::Targets,
    /// Load fixtures from this directory instead of the embedded set (a vendor folder present there replaces that vendor's).
    #[arg(long, env = "EMULATOR_FIXTURES")]
    pub fixtures: Option<PathBuf>,
    /// Keep the state in DIR/state.json across restarts: loaded at start (the fixtures
    /// when absent), written back while it changes and on a graceful shutdown.
    #[arg(long, env = "EMULATOR_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// With `--state-dir`: write the state at most this often (seconds) while it changes.
    #[arg(long, env = "EMULATOR_STATE_FLUSH_SECONDS", default_value_t = 5.0, value_parser = flush_seconds)]
    pub state_flush_seconds: f64,
    /// Make every generated id, key and token (and fault-rule probabilities) deterministic.
    #[arg(long, env = "EMULATOR_SEED")]
    pub seed: Option<u64>,
    /// Require `Authorization: Bearer <token>` on `/_emulator` (except `/_emulator/health`).
    #[arg(long, env = "EMULATOR_ADMIN_TOKEN", hide_env_values = true, global = true)]
    pub admin_token: Option<AdminToken>,
    /// Write the listening line to this file once every socket is bound (removed on a
    /// clean exit), so `vendor-emulator healthcheck` finds the server however it was started.
    #[arg(long, env = "EMULATOR_RUN_FILE", global = true)]
    pub run_file: Option<PathBuf>,
    /// Each vendor's own flags (`--propal-rate-limit`, …), declared in its folder.
    #[command(flatten)]
    pub vendors: crate::app::VendorSettings,
}

impl Config {
    /// The defaults, as `vendor-emulator` with no flags and no environment would have them.
    pub fn for_tests() -> Self {
        Self::from_args(std::iter::empty::<&str>())
    }

    /// Parses flags only (no environment): for tests that want `--flag` values.
    ///
    /// # Panics
    /// On flags that do not parse: a test bug.
    pub fn from_args<I, S>(args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<std::ffi::OsString> + Clone,
    {
        Self::try_from_args(args).expect("test flags parse")
    }

    /// Parses the server's flags (no subcommand; `EMULATOR_*` variables fill what they leave
    /// out), or says which one is wrong as the binary would: for [`crate::harness`].
    pub fn try_from_args<I, S>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = S>,
        S: Into<std::ffi::OsString> + Clone,
    {
        #[derive(Parser)]
        #[command(name = "vendor-emulator")]
        struct Only {
            #[command(flatten)]
            config: Config,
        }
        let arguments =
            std::iter::once(std::ffi::OsString::from("vendor-emulator")).chain(args.into_iter().map(Into::into));
        Only::try_parse_from(arguments).map(|only| only.config)
    }

    /// The dedicated listener address of a vendor, if one was asked for.
    pub fn dedicated_bind(&self, vendor: Vendor) -> Option<SocketAddr> {
        match vendor {
            Vendor::Portalio => self.portalio_bind,
            Vendor::Propal => self.propal_bind,
            Vendor::Holm => self.holm_bind,
        }
    }
}

/// `--admin-token`: shown by no `Debug` (a `Config` may be printed whole), read only where
/// the control plane compares it.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken(String);

impl AdminToken {
    /// The token itself, to compare with what a request presents or to send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for AdminToken {
    fn from(token: String) -> Self {
        Self(token)
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

/// A flush interval: a positive number of seconds, at most a day.
fn flush_seconds(text: &str) -> Result<f64, String> {
    let seconds: f64 = text.parse().map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if seconds > 0.0 && seconds <= 86_400.0 {
        Ok(seconds)
    } else {
        Err(format!("`{text}` is not between 0 (excluded) and 86400 seconds"))
    }
}

/// Log output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// `HOST=VENDOR`: a host name served by a vendor at the root path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostAlias {
    pub host: String,
    pub vendor: Vendor,
}

impl FromStr for HostAlias {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (host, vendor) = s.split_once('=').ok_or_else(|| format!("`{s}` is not HOST=VENDOR"))?;
        let host = host.trim().to_ascii_lowercase();
        if host.is_empty() {
            return Err(format!("`{s}` has an empty host"));
        }
        Ok(HostAlias { host, vendor: vendor.trim().parse()? })
    }
}

/// `--log-level`: tracing's target directives (no regex: a plain level or `target=level` pairs).
fn parse_log_filter(value: &str) -> Result<tracing_subscriber::filter::Targets, String> {
    value
        .parse()
        .map_err(|e| format!("`{value}` is not a log filter ({e}); try `info` or `info,vendor_emulator=debug`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_alias_parses_host_and_vendor() {
        let alias: HostAlias = "Propal.Local=propal".parse().unwrap();
        assert_eq!(alias, HostAlias { host: "propal.local".into(), vendor: Vendor::Propal });
    }

    #[test]
    fn host_alias_rejects_unknown_vendor_and_missing_equals() {
        assert!("x=acme".parse::<HostAlias>().unwrap_err().contains("unknown vendor"));
        assert!("just-a-host".parse::<HostAlias>().unwrap_err().contains("HOST=VENDOR"));
    }

    #[test]
    fn defaults_match_the_contract() {
        let config = Config::for_tests();
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(config.journal_capacity, 1000);
        assert_eq!(config.max_body_bytes, 1_048_576);
    }

    #[test]
    fn the_admin_token_is_read_from_its_flag_and_never_shown_by_debug() {
        let config = Config::try_from_args(["--admin-token", "s3cret-t0ken"]).unwrap();
        assert_eq!(config.admin_token.as_ref().map(AdminToken::expose), Some("s3cret-t0ken"));
        let shown = format!("{config:?} {config:#?}");
        assert!(!shown.contains("s3cret-t0ken"), "{shown}");
        assert!(shown.contains("AdminToken(<redacted>)"));
    }
}
