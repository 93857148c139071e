//! Holm's secrets: the organization key (`hsp_org_…`), API keys (`hsp_…`) and
//! session tokens (`pps_…`). None is ever stored: only its SHA-256 (hex), and a
//! presented value is compared with a stored hash in constant time.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::ids::IdGen;

/// Seed: "The Organization Key (format: hsp_org_...)".
pub const ORG_KEY_PREFIX: &str = "hsp_org_";
/// Reference §3.1: API keys are `hsp_…`.
pub const API_KEY_PREFIX: &str = "hsp_";
/// Seed: "The API returns a session token (format: pps_...)".
pub const SESSION_TOKEN_PREFIX: &str = "pps_";
/// Seed: "Only the first 8 characters (the key prefix) are shown in the keys table".
pub const KEY_PREFIX_LEN: usize = 8;

/// SHA-256 of a secret, lowercase hex: the only form one is kept in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SecretHash(pub String);

impl SecretHash {
    pub fn of(raw: &str) -> Self {
        Self(hex::encode(Sha256::digest(raw.as_bytes())))
    }

    /// Constant-time equality of two hashes.
    pub fn matches(&self, other: &SecretHash) -> bool {
        self.0.len() == other.0.len() && bool::from(self.0.as_bytes().ct_eq(other.0.as_bytes()))
    }

    /// The first 12 hex digits, safe to log.
    pub fn short(&self) -> &str {
        &self.0[..self.0.len().min(12)]
    }
}

/// Whether `raw` has the shape of a value with `prefix`: the prefix, then 1 to 200
/// characters of `[A-Za-z0-9_-]`.
pub fn well_formed(raw: &str, prefix: &str) -> bool {
    raw.strip_prefix(prefix).is_some_and(|rest| {
        (1..=200).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    })
}

/// A fresh organization key.
pub fn new_org_key(ids: &IdGen) -> String {
    format!("{ORG_KEY_PREFIX}{}", alphanumeric(ids, 24))
}

/// A fresh API key.
pub fn new_api_key(ids: &IdGen) -> String {
    format!("{API_KEY_PREFIX}{}", alphanumeric(ids, 28))
}

/// A fresh session token: 32 random bytes, base64url. INFERRED: length and alphabet.
pub fn new_session_token(ids: &IdGen) -> String {
    format!("{SESSION_TOKEN_PREFIX}{}", ids.base64url(32))
}

/// The portal's key prefix: the first 8 characters.
pub fn key_prefix(raw: &str) -> String {
    raw.chars().take(KEY_PREFIX_LEN).collect()
}

fn alphanumeric(ids: &IdGen, n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    ids.bytes(n).into_iter().map(|b| ALPHABET[usize::from(b) % ALPHABET.len()] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Stream;

    #[test]
    fn hash_is_sha256_hex_and_matches_compare_whole_values() {
        // sha256("hsp_org_N0rdsecOrgKey7Qx2Lm9Pz4Rt"), the fixture's stored hash.
        let hash = SecretHash::of("hsp_org_N0rdsecOrgKey7Qx2Lm9Pz4Rt");
        assert_eq!(hash.0, "654f58668e9b3c7211ece4d84a3b44d817378bb8a9ceae2488f9e004cb868f64");
        assert!(hash.matches(&SecretHash(hash.0.clone())));
        assert!(!hash.matches(&SecretHash::of("hsp_org_other")));
    }

    #[test]
    fn generated_values_have_their_documented_prefixes() {
        let ids = IdGen::new(Some(1), Stream::Holm);
        assert!(well_formed(&new_org_key(&ids), ORG_KEY_PREFIX));
        assert!(well_formed(&new_api_key(&ids), API_KEY_PREFIX));
        let token = new_session_token(&ids);
        assert!(well_formed(&token, SESSION_TOKEN_PREFIX), "{token}");
        assert_eq!(key_prefix("hsp_NsProdK3y"), "hsp_NsPr");
        assert!(!well_formed("hsp_", API_KEY_PREFIX));
        assert!(!well_formed("pps_a b", SESSION_TOKEN_PREFIX));
    }
}

/// Property tests: the shape check takes any text; hashes match exactly when the
/// secrets are equal.
#[cfg(test)]
mod proptests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(crate::testing::cases(256))]

        #[test]
        fn shapes_and_hashes(a in prop_oneof![".{0,30}", "(hsp_|hsp_org_|pps_)[A-Za-z0-9_-]{0,30}"], b in ".{0,30}") {
            for prefix in [ORG_KEY_PREFIX, API_KEY_PREFIX, SESSION_TOKEN_PREFIX] {
                let rest = a.strip_prefix(prefix);
                let expected = rest.is_some_and(|r| !r.is_empty() && r.len() <= 200 && r.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-'));
                prop_assert_eq!(well_formed(&a, prefix), expected);
            }
            prop_assert_eq!(SecretHash::of(&a).matches(&SecretHash::of(&b)), a == b);
            prop_assert!(SecretHash::of(&a).matches(&SecretHash::of(&a)));
        }
    }
}
