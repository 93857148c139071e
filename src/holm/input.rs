//! Request input in Holm's error shape: a JSON body that does not parse, or a query
//! value that is not what the route documents, is a 400 `invalid_request` naming
//! the problem, and nothing is stored.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::Uri,
};
use jiff::civil::Date;
use serde::de::DeserializeOwned;

use super::error::HolmError;

/// A JSON body; its type documents and parses it.
#[derive(Debug)]
pub struct HolmJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for HolmJson<T> {
    type Rejection = HolmError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                HolmError::PayloadTooLarge
            } else {
                HolmError::invalid_request("The request body could not be read.")
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(HolmError::invalid_request("The request body must be a JSON object."));
        }
        serde_json::from_slice(&bytes).map(HolmJson).map_err(|e| {
            HolmError::invalid_request(format!("Invalid request body: {}.", strip_position(&e.to_string())))
        })
    }
}

impl<T: DeserializeOwned> HolmJson<T> {
    /// Reads the body of a request the handler already took whole.
    pub async fn from_request_body(request: Request) -> Result<Self, HolmError> {
        <Self as FromRequest<()>>::from_request(request, &()).await
    }
}

/// The query string of `uri` as `T`, with 400 naming the bad parameter.
pub fn parse_query<T: DeserializeOwned>(uri: &Uri) -> Result<T, HolmError> {
    serde_urlencoded::from_str(uri.query().unwrap_or_default())
        .map_err(|e| HolmError::invalid_request(format!("Invalid query parameter: {e}.")))
}

/// A `YYYY-MM-DD` date parameter.
pub fn parse_date(name: &str, value: &str) -> Result<Date, HolmError> {
    let strict = value.len() == 10 && value.as_bytes()[4] == b'-' && value.as_bytes()[7] == b'-';
    value.parse::<Date>().ok().filter(|_| strict).ok_or_else(|| {
        HolmError::invalid_request(format!("Query parameter '{name}' must be a date in YYYY-MM-DD format."))
    })
}

/// serde_json's "… at line 1 column 5": the position says little to an API client.
fn strip_position(message: &str) -> &str {
    message.find(" at line ").map_or(message, |at| &message[..at])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_must_be_exactly_yyyy_mm_dd() {
        assert_eq!(parse_date("from", "2026-03-29").unwrap(), jiff::civil::date(2026, 3, 29));
        for bad in ["2026-3-29", "2026-02-30", "29/03/2026", "20260329", "2026-03-29T00:00"] {
            assert!(parse_date("from", bad).is_err(), "{bad}");
        }
    }
}
