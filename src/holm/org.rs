//! One Holm organization in memory: its organization key, API keys and live
//! sessions, behind one `std::sync::Mutex`.
//!
//! Every check-then-act of the seed's rules (the five-session cap, the per-session
//! rate window, ending a key's sessions on rotation) happens inside one critical
//! section of that mutex, which never awaits; so the limits hold exactly however
//! many requests arrive at once. Expired sessions leave the live list whenever the
//! organization is touched (and free their slot); a bounded memory of them makes
//! their tokens answer `session_expired`.

use std::{
    collections::VecDeque,
    net::IpAddr,
    sync::{Mutex, MutexGuard},
};

use jiff::Timestamp;

use super::{
    limits::{EXPIRED_MEMORY, RateWindow},
    model::{Partnership, PartnershipType},
    origin::OriginRule,
    scope::Scope,
    secret::SecretHash,
};

/// A partner organization: a tenant.
#[derive(Debug)]
pub struct Org {
    pub id: String,
    pub name: String,
    pub partnerships: Vec<Partnership>,
    inner: Mutex<OrgInner>,
}

/// The mutable part of an organization.
#[derive(Debug, Default)]
pub struct OrgInner {
    /// `None` while API access is off.
    pub org_key: Option<SecretHash>,
    pub keys: Vec<Key>,
    /// Live sessions, oldest first (until purged, also some just expired).
    pub sessions: Vec<Session>,
    /// Token hashes of sessions that ended by expiry, newest last, at most [`EXPIRED_MEMORY`].
    pub expired: VecDeque<(SecretHash, Timestamp)>,
}

/// An API key (the raw value is never kept).
#[derive(Clone, Debug)]
pub struct Key {
    pub id: String,
    pub name: String,
    /// The first 8 characters of the raw key.
    pub prefix: String,
    pub hash: SecretHash,
    pub partnership_id: String,
    pub partnership_type: PartnershipType,
    pub customers_read: bool,
    pub origins: Vec<OriginRule>,
    pub acknowledge_any_origin: bool,
    pub created_at: Timestamp,
    pub rotated_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

impl Key {
    pub fn scopes(&self) -> Vec<Scope> {
        Scope::of_key(self.partnership_type, self.customers_read)
    }
}

/// A session opened with a key.
#[derive(Debug)]
pub struct Session {
    pub id: String,
    pub token_hash: SecretHash,
    pub key_id: String,
    /// The client IP it is locked to; `None` when created without one (no lock).
    pub ip: Option<IpAddr>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub rate: RateWindow,
}

impl Org {
    pub fn new(id: String, name: String, partnerships: Vec<Partnership>, inner: OrgInner) -> Self {
        Self { id, name, partnerships, inner: Mutex::new(inner) }
    }

    /// The organization's lock. Never held across an `.await`.
    pub fn lock(&self) -> MutexGuard<'_, OrgInner> {
        self.inner.lock().unwrap()
    }

    pub fn partnership(&self, id: &str) -> Option<&Partnership> {
        self.partnerships.iter().find(|p| p.id == id)
    }
}

impl OrgInner {
    /// Moves sessions expired at `now` out of the live list into the bounded memory.
    /// Returns the ids of the expired sessions and the token hashes forgotten for
    /// good: their index entries must go.
    pub fn purge(&mut self, now: Timestamp) -> (Vec<String>, Vec<SecretHash>) {
        let mut forgotten = Vec::new();
        let mut ids = Vec::new();
        let (live, expired): (Vec<Session>, Vec<Session>) =
            std::mem::take(&mut self.sessions).into_iter().partition(|s| s.expires_at > now);
        self.sessions = live;
        for session in expired {
            ids.push(session.id);
            self.expired.push_back((session.token_hash, session.expires_at));
            while self.expired.len() > EXPIRED_MEMORY {
                if let Some((hash, _)) = self.expired.pop_front() {
                    forgotten.push(hash);
                }
            }
        }
        (ids, forgotten)
    }

    /// The API key whose hash matches, compared in constant time with every key.
    pub fn key_by_hash(&self, hash: &SecretHash) -> Option<&Key> {
        let mut found = None;
        for key in &self.keys {
            if key.hash.matches(hash) && found.is_none() {
                found = Some(key);
            }
        }
        found
    }

    pub fn key(&self, id: &str) -> Option<&Key> {
        self.keys.iter().find(|k| k.id == id)
    }

    pub fn key_mut(&mut self, id: &str) -> Option<&mut Key> {
        self.keys.iter_mut().find(|k| k.id == id)
    }

    /// Ends every session of a key; returns their (session id, token hash).
    pub fn end_sessions_of(&mut self, key_id: &str) -> Vec<(String, SecretHash)> {
        let (ended, kept): (Vec<Session>, Vec<Session>) =
            std::mem::take(&mut self.sessions).into_iter().partition(|s| s.key_id == key_id);
        self.sessions = kept;
        ended.into_iter().map(|s| (s.id, s.token_hash)).collect()
    }

    /// Ends one session by id; returns its token hash.
    pub fn end_session(&mut self, session_id: &str) -> Option<SecretHash> {
        let at = self.sessions.iter().position(|s| s.id == session_id)?;
        Some(self.sessions.remove(at).token_hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(n: i64, expires_at: Timestamp) -> Session {
        Session {
            id: format!("s{n}"),
            token_hash: SecretHash::of(&format!("pps_{n}")),
            key_id: "k".into(),
            ip: None,
            created_at: Timestamp::UNIX_EPOCH,
            expires_at,
            last_used_at: None,
            rate: RateWindow::default(),
        }
    }

    #[test]
    fn purge_keeps_a_bounded_memory_of_expired_tokens() {
        let mut inner = OrgInner::default();
        let at = |s: i64| Timestamp::from_second(s).unwrap();
        let mut forgotten = 0;
        for n in 0..100 {
            inner.sessions.push(session(n, at(n + 1)));
            let (ids, gone) = inner.purge(at(n + 1));
            assert_eq!(ids, [format!("s{n}")]);
            forgotten += gone.len();
        }
        assert!(inner.sessions.is_empty());
        assert_eq!(inner.expired.len(), EXPIRED_MEMORY);
        assert_eq!(forgotten, 100 - EXPIRED_MEMORY);
        inner.sessions.push(session(200, at(500)));
        inner.purge(at(499));
        assert_eq!(inner.sessions.len(), 1, "a session is live until its expiry instant");
    }
}
