//! Portal.io's settings, flattened into the emulator's [`Config`](crate::Config)
//! (CONTRACT §5.1): how signatures are checked where the docs leave it open.

use clap::{Args, ValueEnum};

/// Default `--portalio-max-skew-seconds`: INFERRED ±5 minutes (reference §3.5).
pub const DEFAULT_MAX_SKEW_SECONDS: u64 = 300;

/// INFERRED delivery limits: Portal.io documents none.
pub const DEFAULT_WEBHOOK_CONNECT_TIMEOUT_MS: u64 = 2_000;
pub const DEFAULT_WEBHOOK_TIMEOUT_MS: u64 = 10_000;
pub const DEFAULT_WEBHOOK_QUEUE_CAPACITY: usize = 100;
pub const DEFAULT_WEBHOOK_LOG_CAPACITY: usize = 1_000;

/// Portal.io flags.
#[derive(Clone, Debug, Args)]
#[group(id = "portalio_settings")]
pub struct Settings {
    /// Which bytes key the HMAC: the secret string's UTF-8 bytes, its Base64-decoded bytes, or either.
    #[arg(long, env = "EMULATOR_PORTALIO_SECRET_ENCODING", value_enum, default_value_t = SecretEncoding::Utf8)]
    pub portalio_secret_encoding: SecretEncoding,
    /// `also` additionally accepts a canonical URL with `?` + the raw query (the 2026.04.08 Redoc wording).
    #[arg(long, env = "EMULATOR_PORTALIO_SIGN_QUERY", value_enum, default_value_t = SignQuery::No)]
    pub portalio_sign_query: SignQuery,
    /// How far `X-MSS-CUSTOM-DATE` may lie from the emulator clock, either way.
    #[arg(long, env = "EMULATOR_PORTALIO_MAX_SKEW_SECONDS", default_value_t = DEFAULT_MAX_SKEW_SECONDS)]
    pub portalio_max_skew_seconds: u64,
    /// Replaces scheme + host + prefix of the signed URL, e.g. `https://sandbox.api.portal.io`
    /// for clients that sign the production URL while sending to localhost.
    #[arg(long, env = "EMULATOR_PORTALIO_PUBLIC_BASE_URL")]
    pub portalio_public_base_url: Option<String>,
    /// Enforce the documented webhook URL rules (https only, publicly routable host).
    #[arg(long, env = "EMULATOR_PORTALIO_STRICT_WEBHOOK_URLS")]
    pub portalio_strict_webhook_urls: bool,
    /// Webhook delivery: how long to wait for the receiver's TCP connection, in milliseconds.
    #[arg(long, env = "EMULATOR_PORTALIO_WEBHOOK_CONNECT_TIMEOUT_MS", default_value_t = DEFAULT_WEBHOOK_CONNECT_TIMEOUT_MS)]
    pub portalio_webhook_connect_timeout_ms: u64,
    /// Webhook delivery: how long one attempt may take in all (connect, send, answer), in milliseconds.
    #[arg(long, env = "EMULATOR_PORTALIO_WEBHOOK_TIMEOUT_MS", default_value_t = DEFAULT_WEBHOOK_TIMEOUT_MS)]
    pub portalio_webhook_timeout_ms: u64,
    /// Webhook delivery: attempts waiting per subscription (beyond it the oldest is dropped and
    /// reported), and retries scheduled per subscription (beyond it a failure is not retried).
    #[arg(long, env = "EMULATOR_PORTALIO_WEBHOOK_QUEUE_CAPACITY", default_value_t = DEFAULT_WEBHOOK_QUEUE_CAPACITY)]
    pub portalio_webhook_queue_capacity: usize,
    /// Webhook delivery log: the newest attempts kept for `GET /_emulator/portalio/webhook-deliveries`.
    #[arg(long, env = "EMULATOR_PORTALIO_WEBHOOK_LOG_CAPACITY", default_value_t = DEFAULT_WEBHOOK_LOG_CAPACITY)]
    pub portalio_webhook_log_capacity: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            portalio_secret_encoding: SecretEncoding::Utf8,
            portalio_sign_query: SignQuery::No,
            portalio_max_skew_seconds: DEFAULT_MAX_SKEW_SECONDS,
            portalio_public_base_url: None,
            portalio_strict_webhook_urls: false,
            portalio_webhook_connect_timeout_ms: DEFAULT_WEBHOOK_CONNECT_TIMEOUT_MS,
            portalio_webhook_timeout_ms: DEFAULT_WEBHOOK_TIMEOUT_MS,
            portalio_webhook_queue_capacity: DEFAULT_WEBHOOK_QUEUE_CAPACITY,
            portalio_webhook_log_capacity: DEFAULT_WEBHOOK_LOG_CAPACITY,
        }
    }
}

/// The HMAC key bytes (reference §3.5: the docs do not say).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SecretEncoding {
    /// The UTF-8 bytes of the Secret Key string (the one public client does this).
    Utf8,
    /// The Base64-decoded bytes of the Secret Key string.
    Base64,
    /// Either of the two.
    Either,
}

/// Whether the query string may be part of the signed URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SignQuery {
    /// Only the documented form: no query string.
    No,
    /// Also accept `base URL + "?" + raw query`.
    Also,
}
