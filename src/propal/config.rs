//! Propal's settings, flattened into the emulator's [`Config`](crate::Config).

use clap::Args;

/// Propal flags.
#[derive(Clone, Debug, Args)]
pub struct Settings {
    /// Requests per sliding hour per organization (Propal: 1000).
    #[arg(long, env = "EMULATOR_PROPAL_RATE_LIMIT", default_value_t = super::limits::REQUESTS_PER_HOUR)]
    pub propal_rate_limit: u32,
}
