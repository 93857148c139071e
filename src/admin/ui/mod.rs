//! The requests monitor page (`GET /_emulator/ui`, CONTRACT §6.8) and the two
//! control-plane routes only it needs: the live journal stream and the vendors'
//! panels. Everything the page shows of a vendor comes through the journal or
//! [`EmulatedVendor::panels`](crate::vendor::EmulatedVendor::panels); this module
//! names no vendor.
//!
//! - [`page`]: the HTML, with its script (`monitor.js`) and style sheet inlined.
//! - [`live`]: `GET /_emulator/journal/live`, server-sent events from the journal.
//! - [`panels`]: `GET /_emulator/ui/panels`, and the types a vendor describes its panels with.

pub mod live;
pub mod page;
pub mod panels;

pub use panels::{Action, Example, Panels, Row, Table, shell_quote};
