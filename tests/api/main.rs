//! One integration-test binary: in-process router tests per vendor and concern,
//! plus a few socket tests that start the real binary.

mod helpers;
mod openapi;
mod openapi_check;

mod admin;
mod control_bodies;
mod faults;
mod holm;
mod monitor;
mod portalio;
mod propal;
mod propal_audit;
mod propal_media_metrics;
mod propal_resources;
mod refusals;
mod robustness;
mod routing;
mod secret_leaks;
mod serve;
mod state;
mod tls;
