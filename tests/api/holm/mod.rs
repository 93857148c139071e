//! Holm: sessions and every refusal of the seed's rules, the allowed-origins
//! table, the exact limits under parallel load, the data routes, and the portal
//! actions of the control plane.

mod admin;
mod data;
mod limits;
mod origins;
mod sessions;
mod socket;
mod support;
