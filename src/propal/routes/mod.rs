//! Propal's handlers, one file per resource. Each is thin: scope check, resource,
//! body, one locked change to the organization's data, the response.

pub mod leads;
pub mod media;
pub mod metrics;
pub mod organization;
pub mod products;
pub mod proposals;
pub mod templates;
pub mod themes;
