//! Portal.io: signature refusals and their near-miss diagnosis, addressing by
//! prefix, host and dedicated port, the key exchange, the resources and their model
//! rules, and the control plane. Requests are signed by [`signer`], written from the
//! docs' rules, never by the server's code.

mod admin;
mod ai;
mod catalog;
mod delivery;
mod people;
mod proposals;
mod receiver;
pub mod signer;
mod signing;
mod webhooks;
mod zapier;
