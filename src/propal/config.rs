//! Propal's settings, flattened into the emulator's [`Config`](crate::Config).

use clap::Args;

/// Propal flags.
#[derive(Clone, Debug, Args)]
#[group(id = "propal_settings")]
pub struct Settings {
    /// Requests per sliding hour per organization (Propal: 1000); 0 turns the limit
    /// off: no window is kept and no `X-RateLimit-*` headers are sent (load tests).
    #[arg(long, env = "EMULATOR_PROPAL_RATE_LIMIT", default_value_t = super::limits::REQUESTS_PER_HOUR)]
    pub propal_rate_limit: u32,
    /// Largest body the signed upload URL takes, in bytes. The upload does not go
    /// through the API in production ("no size limit"), so it has its own limit
    /// instead of --max-body-bytes.
    #[arg(long, env = "EMULATOR_PROPAL_MAX_UPLOAD_BYTES", default_value_t = DEFAULT_MAX_UPLOAD_BYTES)]
    pub propal_max_upload_bytes: usize,
}

/// 50 MiB.
pub const DEFAULT_MAX_UPLOAD_BYTES: usize = 50 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use crate::Config;

    #[test]
    fn the_default_limit_is_propals_documented_thousand() {
        assert_eq!(Config::for_tests().vendors.propal.propal_rate_limit, 1000);
    }

    #[test]
    fn uploads_take_50_mib_by_default() {
        assert_eq!(Config::for_tests().vendors.propal.propal_max_upload_bytes, 52_428_800);
    }
}
