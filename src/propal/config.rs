//! Propal's settings, flattened into the emulator's [`Config`](crate::Config).

use clap::Args;

/// Propal flags.
#[derive(Clone, Debug, Args)]
#[group(id = "propal_settings")]
pub struct Settings {
    /// Requests per sliding hour per organization (Propal: 1000).
    #[arg(long, env = "EMULATOR_PROPAL_RATE_LIMIT", default_value_t = super::limits::REQUESTS_PER_HOUR)]
    pub propal_rate_limit: u32,
}

#[cfg(test)]
mod tests {
    use crate::Config;

    #[test]
    fn the_default_limit_is_propals_documented_thousand() {
        assert_eq!(Config::for_tests().vendors.propal.propal_rate_limit, 1000);
    }
}
