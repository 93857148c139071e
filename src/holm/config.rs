//! Holm's settings (CONTRACT §5.3), flattened into the emulator's config: each
//! `--holm-…` flag also reads its `EMULATOR_HOLM_…` variable.

use clap::{Args, ValueEnum};

/// What a session creation does when the organization already holds the maximum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum CapPolicy {
    /// 409 `session_limit_reached` (the seed says "a maximum of five active sessions").
    #[default]
    Reject,
    /// End the organization's oldest live session and open the new one.
    EvictOldest,
}

/// Holm flags.
#[derive(Clone, Debug, Args)]
#[group(id = "holm_settings")]
pub struct Settings {
    /// Requests per second per session (Holm: 1); 0 turns the limit off.
    #[arg(long, env = "EMULATOR_HOLM_REQUESTS_PER_SECOND", default_value_t = super::limits::REQUESTS_PER_SECOND)]
    pub holm_requests_per_second: u32,
    /// What a session beyond the per-organization cap does.
    #[arg(long, env = "EMULATOR_HOLM_SESSION_CAP_POLICY", value_enum, default_value_t = CapPolicy::Reject)]
    pub holm_session_cap_policy: CapPolicy,
    /// The socket peer does not count as the client IP (only `X-Forwarded-For`), so a
    /// request can carry no origin at all: the "origin not available" rows of the seed's table.
    #[arg(long, env = "EMULATOR_HOLM_IGNORE_SOCKET_IP")]
    pub holm_ignore_socket_ip: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            holm_requests_per_second: super::limits::REQUESTS_PER_SECOND,
            holm_session_cap_policy: CapPolicy::Reject,
            holm_ignore_socket_ip: false,
        }
    }
}
