//! Holm's handlers, one file per area of the API.

pub mod customers;
pub mod me;
pub mod reports;
pub mod session;
