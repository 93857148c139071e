//! The two-key session model (seed: "How API keys work", "Session validity").
//!
//! Opening, in this order: the organization key must name an organization with API
//! access on (401 `invalid_credentials`), the API key must be one of its live keys
//! (401), the request origin must pass the key's allowed origins (403, see
//! [`super::origin`]), and the organization must hold fewer than five live
//! sessions (409, or the oldest is evicted under `--holm-session-cap-policy
//! evict-oldest`). Checks and insertion run under the organization's lock.
//!
//! Using, in this order: `Authorization: Session <token>` naming a live session
//! (401 `invalid_session`, or `session_expired` once its hour is over), the IP it
//! is locked to (401 `session_ip_mismatch`), the key's allowed origins again
//! (403); then, in the handler, the scope (403) and the rate window (429).

use std::sync::Arc;

use axum::http::{HeaderMap, header};
use jiff::Timestamp;

use super::{
    config::CapPolicy,
    error::HolmError,
    limits::{MAX_SESSIONS_PER_ORG, SESSION_LIFETIME},
    org::{Key, Org, Session},
    origin::{ClientOrigin, Verdict, canonical, check},
    secret::{API_KEY_PREFIX, ORG_KEY_PREFIX, SESSION_TOKEN_PREFIX, SecretHash, new_session_token, well_formed},
    state::Store,
};
use crate::journal::Trail;

/// INFERRED wording of the seed's "Created without IP lock (warning returned)".
pub const NO_IP_LOCK_WARNING: &str =
    "Session created without IP lock: the request origin could not be determined, so the session works from any IP.";

/// A session just opened: the raw token is returned once and never kept.
#[derive(Debug)]
pub struct Opened {
    pub token: String,
    pub expires_at: Timestamp,
    pub warning: Option<&'static str>,
}

/// A session that passed the checks of use, with a copy of its key.
#[derive(Clone, Debug)]
pub struct Authenticated {
    pub org: Arc<Org>,
    pub session_id: String,
    pub key: Key,
}

/// The two keys of a session request.
pub struct Credentials<'a> {
    pub organizer_key: &'a str,
    pub api_key: &'a str,
}

impl Store {
    /// Opens a session, or says which rule refused.
    pub fn open_session(
        &self,
        credentials: &Credentials<'_>,
        origin: &ClientOrigin,
        now: Timestamp,
        policy: CapPolicy,
        trail: &Trail,
    ) -> Result<Opened, HolmError> {
        let refuse = |reason, detail: String| {
            trail.fail("credentials", detail.clone());
            HolmError::InvalidCredentials { reason, detail }
        };
        if !well_formed(credentials.organizer_key, ORG_KEY_PREFIX) {
            return Err(refuse(
                "malformed_organization_key",
                "organizer_key is not hsp_org_ followed by letters and digits".into(),
            ));
        }
        let org_hash = SecretHash::of(credentials.organizer_key);
        let Some(org) = self.org_via(&self.org_keys, &org_hash.0) else {
            return Err(refuse(
                "unknown_organization_key",
                format!("no organization key has SHA-256 {}...", org_hash.short()),
            ));
        };
        let mut inner = org.lock();
        if !inner.org_key.as_ref().is_some_and(|stored| stored.matches(&org_hash)) {
            return Err(refuse(
                "unknown_organization_key",
                format!("organization {} has no such organization key now", org.id),
            ));
        }
        trail.set_account(org.id.clone());
        if !well_formed(credentials.api_key, API_KEY_PREFIX) {
            return Err(refuse("malformed_api_key", "api_key is not hsp_ followed by letters and digits".into()));
        }
        let key_hash = SecretHash::of(credentials.api_key);
        let Some(key) = inner.key_by_hash(&key_hash) else {
            let detail = format!("no API key of organization {} has SHA-256 {}...", org.id, key_hash.short());
            return Err(refuse("unknown_api_key", detail));
        };
        if let Some(at) = key.revoked_at {
            return Err(refuse("revoked_api_key", format!("key {} ({}) was revoked at {at}", key.prefix, key.id)));
        }
        trail.pass("credentials", format!("key {} ({}) of organization {}", key.prefix, key.id, org.id));
        let key_id = key.id.clone();
        check_origins(key, origin, trail)?;
        self.purge(&mut inner, now);
        if inner.sessions.len() >= MAX_SESSIONS_PER_ORG {
            match policy {
                CapPolicy::Reject => {
                    let oldest = inner.sessions.iter().map(|s| s.expires_at).min().map(|t| t.to_string());
                    let detail = format!(
                        "organization {} holds {MAX_SESSIONS_PER_ORG} live sessions; the first frees its slot at {}",
                        org.id,
                        oldest.unwrap_or_default()
                    );
                    trail.fail("session_cap", detail.clone());
                    return Err(HolmError::SessionLimit { detail });
                }
                CapPolicy::EvictOldest => {
                    let oldest = inner.sessions.remove(0);
                    trail.pass("session_cap", format!("evicted the oldest session {}", oldest.id));
                    self.forget_sessions(&[(oldest.id, oldest.token_hash)]);
                }
            }
        } else {
            trail.pass("session_cap", format!("{} of {MAX_SESSIONS_PER_ORG} slots in use", inner.sessions.len()));
        }
        let token = new_session_token(&self.ids);
        let token_hash = SecretHash::of(&token);
        let session_id = format!("ses_{}", self.ids.hex(8));
        let expires_at = now + SESSION_LIFETIME;
        self.tokens.insert(token_hash.0.clone(), org.id.clone());
        self.session_orgs.insert(session_id.clone(), org.id.clone());
        let warning = origin.ip.is_none().then_some(NO_IP_LOCK_WARNING);
        match origin.ip {
            Some(ip) => trail.pass("ip_lock", format!("session {session_id} locked to {ip}")),
            None => trail.pass("ip_lock", format!("session {session_id} has no IP lock (no client IP)")),
        }
        inner.sessions.push(Session {
            id: session_id.clone(),
            token_hash,
            key_id,
            ip: origin.ip,
            created_at: now,
            expires_at,
            last_used_at: None,
            rate: super::limits::RateWindow::default(),
        });
        Ok(Opened { token, expires_at, warning })
    }

    /// The checks of use: token, expiry, IP lock, allowed origins.
    pub fn authenticate(
        &self,
        headers: &HeaderMap,
        origin: &ClientOrigin,
        now: Timestamp,
        trail: &Trail,
    ) -> Result<Authenticated, HolmError> {
        let invalid = |reason, detail: String| {
            trail.fail("session", detail.clone());
            HolmError::InvalidSession { reason, detail }
        };
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Err(invalid(
                "missing_header",
                "no Authorization header; send Authorization: Session <token>".into(),
            ));
        };
        let Ok(value) = value.to_str() else {
            return Err(invalid("malformed_token", "the Authorization header is not ASCII".into()));
        };
        let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
        if !scheme.eq_ignore_ascii_case("session") {
            let shown: String = scheme.chars().take(20).collect();
            return Err(invalid("wrong_scheme", format!("scheme `{shown}` instead of Session")));
        }
        let token = token.trim();
        if !well_formed(token, SESSION_TOKEN_PREFIX) {
            return Err(invalid("malformed_token", "the token is not pps_ followed by base64url characters".into()));
        }
        let hash = SecretHash::of(token);
        let Some(org) = self.org_via(&self.tokens, &hash.0) else {
            return Err(invalid("unknown_session", format!("no session has token SHA-256 {}...", hash.short())));
        };
        let mut inner = org.lock();
        self.purge(&mut inner, now);
        let Some(session) = inner.sessions.iter().find(|s| s.token_hash.matches(&hash)) else {
            if let Some((_, at)) = inner.expired.iter().find(|(h, _)| h.matches(&hash)) {
                let detail = format!("the session expired at {at} (one hour after creation); now is {now}");
                trail.fail("session", detail.clone());
                return Err(HolmError::SessionExpired { detail });
            }
            return Err(invalid(
                "ended_session",
                "the session was ended (deleted, invalidated or its key revoked)".into(),
            ));
        };
        trail.set_account(org.id.clone());
        trail.pass(
            "session",
            format!("session {} of key {}, expires at {}", session.id, session.key_id, session.expires_at),
        );
        if let Some(locked) = session.ip {
            let from = origin.ip;
            if from.map(canonical) != Some(canonical(locked)) {
                let from = from.map_or_else(|| "no client IP".to_owned(), |ip| ip.to_string());
                let error = HolmError::SessionIpMismatch { locked: locked.to_string(), from };
                trail.fail("ip_lock", error.to_string());
                return Err(error);
            }
            trail.pass("ip_lock", format!("request from {locked}, the IP the session is locked to"));
        } else {
            trail.pass("ip_lock", "the session has no IP lock");
        }
        let session_id = session.id.clone();
        let Some(key) = inner.key(&session.key_id).filter(|k| k.revoked_at.is_none()).cloned() else {
            return Err(invalid("ended_session", "the session's key is gone".into()));
        };
        check_origins(&key, origin, trail)?;
        drop(inner);
        Ok(Authenticated { org, session_id, key })
    }

    /// The rate rule for one request of a session that passed every other check.
    pub fn admit(
        &self,
        org: &Org,
        session_id: &str,
        now: Timestamp,
        limit: u32,
        trail: &Trail,
    ) -> Result<(), HolmError> {
        let mut inner = org.lock();
        let Some(session) = inner.sessions.iter_mut().find(|s| s.id == session_id) else {
            let detail = "the session ended while this request was on its way".to_owned();
            trail.fail("session", detail.clone());
            return Err(HolmError::InvalidSession { reason: "ended_session", detail });
        };
        if let Err(retry_after_ms) = session.rate.admit(now, limit) {
            let detail = format!(
                "session {session_id} may send {limit} request(s) per second; next one allowed in {retry_after_ms} ms"
            );
            trail.fail("rate_limit", detail.clone());
            return Err(HolmError::RateLimited { retry_after_ms, detail });
        }
        if limit == 0 {
            trail.pass("rate_limit", "off (--holm-requests-per-second 0)");
        } else {
            trail.pass("rate_limit", format!("within {limit} request(s) per second"));
        }
        session.last_used_at = Some(now);
        let key_id = session.key_id.clone();
        if let Some(key) = inner.key_mut(&key_id) {
            key.last_used_at = Some(now);
        }
        Ok(())
    }

    /// Ends one session (the caller's own, or one the portal invalidates).
    pub fn end_session(&self, org: &Org, session_id: &str) -> bool {
        let mut inner = org.lock();
        let Some(hash) = inner.end_session(session_id) else { return false };
        self.forget_sessions(&[(session_id.to_owned(), hash)]);
        true
    }
}

/// The key's allowed origins against the request's origin (the seed's table, rows 3 and 4).
fn check_origins(key: &Key, origin: &ClientOrigin, trail: &Trail) -> Result<(), HolmError> {
    let refuse = |reason, detail: String| {
        trail.fail("allowed_origins", detail.clone());
        Err(HolmError::OriginNotAllowed { reason, detail })
    };
    match check(&key.origins, origin) {
        Verdict::Unavailable => refuse(
            "origin_unavailable",
            format!(
                "key {} has allowed origins but the request carries no origin (no client IP, Origin or Referer)",
                key.id
            ),
        ),
        Verdict::NoMatch => refuse("origin_not_allowed", no_match_detail(key, origin)),
        Verdict::Matched(rule) => {
            trail.pass("allowed_origins", format!("{} matched rule {rule}", origin.describe()));
            Ok(())
        }
        Verdict::NoRules => {
            trail.pass("allowed_origins", "the key has no allowed origins");
            Ok(())
        }
    }
}

fn no_match_detail(key: &Key, origin: &ClientOrigin) -> String {
    let rules: Vec<String> = key.origins.iter().map(ToString::to_string).collect();
    format!(
        "request origin ({}) matches none of key {}'s allowed origins [{}]",
        origin.describe(),
        key.id,
        rules.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;
    use crate::holm::{accounts::NewKey, limits::EXPIRED_MEMORY};

    #[test]
    fn memory_stays_bounded_however_many_sessions_are_opened_and_expire() {
        let store = Store::empty();
        let (org, org_key) = store.create_org(None);
        let mut now: Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
        let new = NewKey {
            name: "k".into(),
            partnership_id: None,
            partnership_type: Some(crate::holm::model::PartnershipType::Mssp),
            customers_read: false,
            allowed_origins: vec![],
            acknowledge_any_origin: true,
        };
        let api_key = store.create_key(&org.id, &new, now).unwrap().api_key;
        let credentials = Credentials { organizer_key: &org_key, api_key: &api_key };
        let origin = ClientOrigin { ip: Some("192.0.2.1".parse().unwrap()), host: None };
        let trail = Trail::default();
        let mut first_token = None;
        for _ in 0..400 {
            for _ in 0..MAX_SESSIONS_PER_ORG {
                let opened = store.open_session(&credentials, &origin, now, CapPolicy::Reject, &trail).unwrap();
                first_token.get_or_insert(opened.token);
            }
            now += SESSION_LIFETIME;
        }
        store.open_session(&credentials, &origin, now, CapPolicy::Reject, &trail).unwrap();
        assert!(store.tokens.len() <= MAX_SESSIONS_PER_ORG + EXPIRED_MEMORY, "{}", store.tokens.len());
        assert!(store.session_orgs.len() <= MAX_SESSIONS_PER_ORG);
        assert!(org.lock().expired.len() <= EXPIRED_MEMORY);
        // A long-forgotten token is simply unknown.
        let mut headers = HeaderMap::new();
        let value = format!("Session {}", first_token.unwrap());
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&value).unwrap());
        let error = store.authenticate(&headers, &origin, now, &trail).unwrap_err();
        assert_eq!(error.reason(), "unknown_session");
    }
}

/// Model-based property test: random create / use / delete / expire / rotate
/// sequences, driven through the emulator clock, against a plain reference model of
/// the five-session cap, the one-hour lifetime and the per-second rate rule. The
/// store decides every step as the model does, so it never holds more than five live
/// sessions and never refuses a session or a request the rules allow.
#[cfg(test)]
mod proptests {
    use axum::http::{HeaderValue, StatusCode};
    use jiff::SignedDuration;
    use proptest::prelude::*;

    use super::*;
    use crate::{
        clock::Clock,
        holm::{accounts::NewKey, limits::RATE_WINDOW},
    };

    #[derive(Clone, Debug)]
    enum Op {
        Create { key: usize },
        Use { session: usize },
        Delete { session: usize },
        Advance { ms: i64 },
        Rotate { key: usize },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0usize..2).prop_map(|key| Op::Create { key }),
            6 => any::<usize>().prop_map(|session| Op::Use { session }),
            1 => any::<usize>().prop_map(|session| Op::Delete { session }),
            4 => prop_oneof![0i64..1_500, 0i64..900_000, 3_000_000i64..4_000_000].prop_map(|ms| Op::Advance { ms }),
            1 => (0usize..2).prop_map(|key| Op::Rotate { key }),
        ]
    }

    /// The reference model's view of one session.
    struct ModelSession {
        id: String,
        token: String,
        key: usize,
        expires_at: Timestamp,
        ended: bool,
        admitted: Vec<Timestamp>,
    }

    impl ModelSession {
        fn live(&self, now: Timestamp) -> bool {
            !self.ended && self.expires_at > now
        }
    }

    fn headers(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&format!("Session {token}")).unwrap());
        headers
    }

    proptest! {
        #![proptest_config(crate::testing::cases(48))]

        #[test]
        fn sessions_follow_the_reference_model(
            evict in any::<bool>(),
            limit in 1u32..4,
            ops in proptest::collection::vec(op(), 1..120),
        ) {
            let policy = if evict { CapPolicy::EvictOldest } else { CapPolicy::Reject };
            let clock = Clock::default();
            clock.freeze();
            clock.set("2026-06-01T00:00:00Z".parse().unwrap());
            let store = Store::empty();
            let (org, org_key) = store.create_org(None);
            let trail = Trail::default();
            let new = |name: &str| NewKey {
                name: name.into(),
                partnership_id: None,
                partnership_type: Some(crate::holm::model::PartnershipType::Mssp),
                customers_read: false,
                allowed_origins: vec![],
                acknowledge_any_origin: true,
            };
            let mut keys: Vec<(String, String)> = ["a", "b"]
                .iter()
                .map(|name| {
                    let issued = store.create_key(&org.id, &new(name), clock.now()).unwrap();
                    (issued.key.id, issued.api_key)
                })
                .collect();
            let origin = ClientOrigin { ip: Some("192.0.2.1".parse().unwrap()), host: None };
            let mut sessions: Vec<ModelSession> = Vec::new();

            for op in ops {
                let now = clock.now();
                match op {
                    Op::Advance { ms } => clock.set(now + SignedDuration::from_millis(ms)),
                    Op::Create { key } => {
                        let live: Vec<usize> = (0..sessions.len()).filter(|&i| sessions[i].live(now)).collect();
                        let full = live.len() >= MAX_SESSIONS_PER_ORG;
                        let credentials = Credentials { organizer_key: &org_key, api_key: &keys[key].1 };
                        let opened = store.open_session(&credentials, &origin, now, policy, &trail);
                        if full && policy == CapPolicy::Reject {
                            let error = opened.err();
                            prop_assert_eq!(error.map(|e| e.status()), Some(StatusCode::CONFLICT));
                            continue;
                        }
                        let opened = opened.map_err(|e| TestCaseError::fail(format!("create refused: {e}")))?;
                        if full {
                            sessions[live[0]].ended = true; // the oldest live one is evicted
                        }
                        let id = store.authenticate(&headers(&opened.token), &origin, now, &trail).unwrap().session_id;
                        prop_assert_eq!(opened.expires_at, now + SESSION_LIFETIME);
                        sessions.push(ModelSession { id, token: opened.token, key, expires_at: opened.expires_at, ended: false, admitted: vec![] });
                    }
                    Op::Use { session } if !sessions.is_empty() => {
                        let count = sessions.len();
                        let s = &mut sessions[session % count];
                        let outcome = store
                            .authenticate(&headers(&s.token), &origin, now, &trail)
                            .and_then(|auth| store.admit(&auth.org, &auth.session_id, now, limit, &trail))
                            .map_err(|e| e.status());
                        let expected = if !s.live(now) {
                            Err(StatusCode::UNAUTHORIZED)
                        } else if s.admitted.iter().filter(|&&at| at > now - RATE_WINDOW).count() < limit as usize {
                            s.admitted.push(now);
                            Ok(())
                        } else {
                            Err(StatusCode::TOO_MANY_REQUESTS)
                        };
                        prop_assert_eq!(outcome, expected, "use of {} at {}", s.id, now);
                    }
                    Op::Delete { session } if !sessions.is_empty() => {
                        let count = sessions.len();
                        let s = &mut sessions[session % count];
                        let ended = store.invalidate_session(&s.id, now).is_ok();
                        prop_assert_eq!(ended, s.live(now), "delete of {}", s.id);
                        s.ended = true;
                    }
                    Op::Rotate { key } => {
                        keys[key].1 = store.rotate_key(&keys[key].0, now).unwrap().api_key;
                        for s in sessions.iter_mut().filter(|s| s.key == key) {
                            s.ended = true;
                        }
                    }
                    Op::Use { .. } | Op::Delete { .. } => {}
                }
                let now = clock.now();
                let live = sessions.iter().filter(|s| s.live(now)).count();
                prop_assert!(live <= MAX_SESSIONS_PER_ORG);
                prop_assert_eq!(store.sessions_of(&org.id, now).unwrap().len(), live);
            }
        }

        #[test]
        fn any_authorization_header_is_a_401(
            value in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..80),
                "(Session|session|Bearer|) {0,2}pps_[A-Za-z0-9_-]{0,40} ?".prop_map(String::into_bytes),
            ],
        ) {
            let store = Store::empty();
            let mut headers = HeaderMap::new();
            if let Ok(value) = HeaderValue::from_bytes(&value) {
                headers.insert(header::AUTHORIZATION, value);
            }
            let origin = ClientOrigin::default();
            let error = store.authenticate(&headers, &origin, Timestamp::UNIX_EPOCH, &Trail::default()).err();
            prop_assert_eq!(error.map(|e| e.status()), Some(StatusCode::UNAUTHORIZED));
        }
    }
}
