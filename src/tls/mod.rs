//! `--tls-bind`: HTTPS on the vendors' real host names, so an SDK whose base URL is a
//! fixed `https://` address works unchanged once its host names resolve to the emulator
//! and it trusts one CA file.
//!
//! The TLS listener routes exactly like the main listener (by `Host`, or HTTP/2's
//! `:authority`; the SNI only picks nothing, since one leaf covers every name), and
//! marks each request with [`OverTls`] so the URL a vendor reconstructs says `https`.
//! - [`certs`]: the local CA (generated, or kept in `--tls-ca-dir`), the leaf it issues,
//!   or the user's `--tls-cert`/`--tls-key`.
//! - [`listener`]: the accepting socket: handshakes in their own tasks with a timeout,
//!   HTTP/2 and HTTP/1.1 by ALPN, a plain `400` for plain HTTP.

pub mod certs;
pub mod listener;

/// Request extension: the request came over the TLS listener (its scheme is `https`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OverTls;
