//! `GET /_emulator/tls/ca.pem`: the CA certificate a client trusts to call the
//! `--tls-bind` listener (public data: it needs no admin token; the CA's key never
//! leaves the process or `--tls-ca-dir`).

use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};

use crate::{admin::EmulatorError, app::AppState};

/// The PEM media type of a certificate (RFC 8555 §9.1 uses it for chains).
const PEM: &str = "application/x-pem-file";

/// The emulator's CA certificate, PEM.
#[utoipa::path(get, path = "/_emulator/tls/ca.pem", tag = "control plane",
    responses(
        (status = 200, description = "The CA certificate that signs the TLS listener's certificate",
            content_type = "application/x-pem-file", body = String),
        (status = 404, description = "No TLS listener (no --tls-bind), or it serves --tls-cert",
            body = crate::admin::EmulatorErrorBody)))]
pub async fn get_ca_pem(State(state): State<AppState>) -> Response {
    match state.tls.as_deref().map(|identity| identity.ca_pem()) {
        Some(Some(pem)) => ([(header::CONTENT_TYPE, PEM)], pem.to_owned()).into_response(),
        Some(None) => {
            EmulatorError::NotFound("the TLS listener serves --tls-cert: trust that certificate's issuer".into())
                .into_response()
        }
        None => EmulatorError::NotFound("no TLS listener: start with --tls-bind".into()).into_response(),
    }
}
