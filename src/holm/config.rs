//! Holm's settings, flattened into the emulator's [`Config`](crate::Config).

use clap::Args;

/// Holm flags (none yet).
#[derive(Clone, Debug, Default, Args)]
#[group(id = "holm_settings")]
pub struct Settings {}
