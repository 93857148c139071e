//! The webhook signature (reference §5.7.6): `X-Webhook-Signature: t=<unix seconds>,v1=<hex>`,
//! where `v1 = hex(HMAC-SHA256(key = the subscription's secretKey UTF-8 bytes, t + "." + raw body))`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header's name, as documented.
pub const SIGNATURE_HEADER: &str = "X-Webhook-Signature";

/// The header value for `body` sent at unix second `t`.
pub fn signature_header(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_test_vector_signs_as_calculated() {
        let body = br#"{"id":"evt_abc123","type":"proposal.status_changed","created":"2026-04-06T00:22:19Z","data":{"proposalId":1042,"status":"Accepted"}}"#;
        assert_eq!(
            signature_header("whsec_test_0123456789", 1_710_000_000, body),
            "t=1710000000,v1=85a3beec943c318f3e01b90b02c9f6c05e6f7662f6257a598acfe5779fe9571a"
        );
    }
}
