//! Generated ids, keys and tokens. With `--seed N` every generator is seeded from
//! N and its own stream number, so a run with the same requests in the same order
//! yields the same values; without it they come from the operating system.

use std::sync::Mutex;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::{RngCore, SeedableRng, rngs::StdRng};
use uuid::Uuid;

/// Streams keep one generator's draws from shifting another's.
#[derive(Clone, Copy, Debug)]
pub enum Stream {
    RequestIds = 1,
    Portalio = 2,
    Propal = 3,
    Holm = 4,
}

/// A random source for one part of the emulator.
#[derive(Debug)]
pub struct IdGen {
    rng: Mutex<StdRng>,
}

impl IdGen {
    pub fn new(seed: Option<u64>, stream: Stream) -> Self {
        let rng = match seed {
            Some(seed) => StdRng::seed_from_u64(seed ^ (stream as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            None => StdRng::from_os_rng(),
        };
        Self { rng: Mutex::new(rng) }
    }

    /// `n` random bytes.
    pub fn bytes(&self, n: usize) -> Vec<u8> {
        let mut out = vec![0; n];
        self.rng.lock().unwrap().fill_bytes(&mut out);
        out
    }

    /// A version-4 UUID.
    pub fn uuid(&self) -> Uuid {
        let mut raw = [0u8; 16];
        self.rng.lock().unwrap().fill_bytes(&mut raw);
        uuid::Builder::from_random_bytes(raw).into_uuid()
    }

    /// `n` random bytes as unpadded base64url.
    pub fn base64url(&self, n: usize) -> String {
        URL_SAFE_NO_PAD.encode(self.bytes(n))
    }

    /// `n` random bytes as lowercase hex.
    pub fn hex(&self, n: usize) -> String {
        hex::encode(self.bytes(n))
    }
}

/// A number drawn from some texts (a restored state's files): mixed into `--seed`
/// after a restore, so ids generated next differ from the restored ones yet stay
/// the same for the same state.
pub fn salt<'a>(texts: impl IntoIterator<Item = &'a str>) -> u64 {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for text in texts {
        hasher.update(text.as_bytes());
        hasher.update([0]);
    }
    let digest = hasher.finalize();
    u64::from_le_bytes(digest[..8].try_into().expect("a SHA-256 digest has 8 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_values_and_streams_differ() {
        let a = IdGen::new(Some(7), Stream::Propal);
        let b = IdGen::new(Some(7), Stream::Propal);
        let c = IdGen::new(Some(7), Stream::Holm);
        let (ua, ub, uc) = (a.uuid(), b.uuid(), c.uuid());
        assert_eq!(ua, ub);
        assert_ne!(ua, uc);
        assert_eq!(ua.get_version_num(), 4);
    }

    #[test]
    fn unseeded_values_differ() {
        assert_ne!(IdGen::new(None, Stream::Propal).hex(16), IdGen::new(None, Stream::Propal).hex(16));
    }
}
