//! Portal.io's settings, flattened into the emulator's [`Config`](crate::Config).

use clap::Args;

/// Portal.io flags (none yet).
#[derive(Clone, Debug, Default, Args)]
#[group(id = "portalio_settings")]
pub struct Settings {}
