//! The portal's actions on an organization (seed: "Enabling API access",
//! "Creating an API key", "Editing", "Rotating", "Revoking", "Managing active
//! sessions", deleting the Organisation Key), as store operations. Each runs
//! under the organization's lock, so a rotation or revocation ends the key's
//! sessions in the same step that changes the key: no request can use them after.

use std::sync::Arc;

use jiff::Timestamp;

use super::{
    limits::MAX_KEY_NAME_CHARS,
    model::{Partnership, PartnershipType},
    org::{Key, Org, OrgInner},
    origin::{OriginRule, parse_rules},
    secret::{SecretHash, key_prefix, new_api_key, new_org_key},
    state::Store,
};
use crate::admin::error::EmulatorError;

/// What a new key needs.
pub struct NewKey {
    pub name: String,
    pub partnership_id: Option<String>,
    pub partnership_type: Option<PartnershipType>,
    pub customers_read: bool,
    pub allowed_origins: Vec<String>,
    pub acknowledge_any_origin: bool,
}

/// A key just created or rotated, with its raw value (shown once).
pub struct Issued {
    pub key: Key,
    pub api_key: String,
}

impl Store {
    fn org_or_404(&self, id: &str) -> Result<Arc<Org>, EmulatorError> {
        self.org(id).ok_or_else(|| EmulatorError::NotFound(format!("no Holm organization {id}")))
    }

    fn org_of_key(&self, key_id: &str) -> Result<Arc<Org>, EmulatorError> {
        self.org_via(&self.key_orgs, key_id).ok_or_else(|| EmulatorError::NotFound(format!("no Holm API key {key_id}")))
    }

    /// A fresh organization with an MSSP and a reseller partnership and API access on.
    pub fn create_org(&self, name: Option<String>) -> (Arc<Org>, String) {
        let id = format!("org_{}", self.ids.hex(6));
        let name = name.unwrap_or_else(|| format!("Test partner {}", &id[4..]));
        let partnerships = vec![
            Partnership { id: format!("ps_{}", self.ids.hex(6)), kind: PartnershipType::Mssp },
            Partnership { id: format!("ps_{}", self.ids.hex(6)), kind: PartnershipType::Reseller },
        ];
        let raw = new_org_key(&self.ids);
        let inner = OrgInner { org_key: Some(SecretHash::of(&raw)), ..OrgInner::default() };
        (self.insert_org(Org::new(id, name, partnerships, inner)), raw)
    }

    /// "Enable API access": a new organization key; 409 when access is on.
    pub fn enable_api_access(&self, org_id: &str) -> Result<String, EmulatorError> {
        let org = self.org_or_404(org_id)?;
        let mut inner = org.lock();
        if inner.org_key.is_some() {
            return Err(EmulatorError::Conflict(format!("API access is already enabled for {org_id}")));
        }
        let raw = new_org_key(&self.ids);
        let hash = SecretHash::of(&raw);
        self.org_keys.insert(hash.0.clone(), org.id.clone());
        inner.org_key = Some(hash);
        Ok(raw)
    }

    /// Deleting the Organisation Key: "permanently removes all API keys and active sessions".
    pub fn delete_org_key(&self, org_id: &str) -> Result<(), EmulatorError> {
        let org = self.org_or_404(org_id)?;
        let mut inner = org.lock();
        let Some(hash) = inner.org_key.take() else {
            return Err(EmulatorError::Conflict(format!("API access is not enabled for {org_id}")));
        };
        self.org_keys.remove(&hash.0);
        for key in std::mem::take(&mut inner.keys) {
            self.key_orgs.remove(&key.id);
        }
        let ended: Vec<(String, SecretHash)> =
            std::mem::take(&mut inner.sessions).into_iter().map(|s| (s.id, s.token_hash)).collect();
        self.forget_sessions(&ended);
        for (hash, _) in std::mem::take(&mut inner.expired) {
            self.tokens.remove(&hash.0);
        }
        Ok(())
    }

    /// "Create API key".
    pub fn create_key(&self, org_id: &str, input: &NewKey, now: Timestamp) -> Result<Issued, EmulatorError> {
        let org = self.org_or_404(org_id)?;
        let name = input.name.trim().to_owned();
        if name.is_empty() {
            return Err(EmulatorError::BadRequest("`name` must not be empty".into()));
        }
        if name.chars().count() > MAX_KEY_NAME_CHARS {
            return Err(EmulatorError::BadRequest(format!("`name` is longer than {MAX_KEY_NAME_CHARS} characters")));
        }
        let partnership =
            match (&input.partnership_id, input.partnership_type) {
                (Some(id), None) => org
                    .partnership(id)
                    .ok_or_else(|| EmulatorError::BadRequest(format!("{org_id} has no partnership {id}")))?,
                (None, Some(kind)) => org.partnerships.iter().find(|p| p.kind == kind).ok_or_else(|| {
                    EmulatorError::BadRequest(format!("{org_id} has no {} partnership", kind_name(kind)))
                })?,
                _ => {
                    return Err(EmulatorError::BadRequest(
                        "give exactly one of `partnership_id` and `partnership_type`".into(),
                    ));
                }
            };
        let origins = checked_origins(&input.allowed_origins, input.acknowledge_any_origin)?;
        let mut inner = org.lock();
        if inner.org_key.is_none() {
            return Err(EmulatorError::Conflict(format!("API access is not enabled for {org_id}")));
        }
        let raw = new_api_key(&self.ids);
        let key = Key {
            id: format!("key_{}", self.ids.hex(6)),
            name,
            prefix: key_prefix(&raw),
            hash: SecretHash::of(&raw),
            partnership_id: partnership.id.clone(),
            partnership_type: partnership.kind,
            customers_read: input.customers_read,
            origins,
            acknowledge_any_origin: input.acknowledge_any_origin,
            created_at: now,
            rotated_at: None,
            revoked_at: None,
            last_used_at: None,
        };
        self.key_orgs.insert(key.id.clone(), org.id.clone());
        inner.keys.push(key.clone());
        Ok(Issued { key, api_key: raw })
    }

    /// The organization's keys, revoked ones included (kept "for audit purposes").
    pub fn keys_of(&self, org_id: &str) -> Result<Vec<Key>, EmulatorError> {
        Ok(self.org_or_404(org_id)?.lock().keys.clone())
    }

    /// "Editing a key": only the allowed origins; they apply to the next request.
    pub fn edit_origins(&self, key_id: &str, origins: &[String], acknowledge: bool) -> Result<Key, EmulatorError> {
        let org = self.org_of_key(key_id)?;
        let origins = checked_origins(origins, acknowledge)?;
        let mut inner = org.lock();
        let key = live_key(&mut inner, key_id)?;
        key.origins = origins;
        key.acknowledge_any_origin = acknowledge;
        Ok(key.clone())
    }

    /// "Rotating a key": a new secret for the same key; the old one stops working and
    /// every session opened with it ends, in one step.
    pub fn rotate_key(&self, key_id: &str, now: Timestamp) -> Result<Issued, EmulatorError> {
        let org = self.org_of_key(key_id)?;
        let mut inner = org.lock();
        let raw = new_api_key(&self.ids);
        let key = live_key(&mut inner, key_id)?;
        key.hash = SecretHash::of(&raw);
        key.prefix = key_prefix(&raw);
        key.rotated_at = Some(now);
        let key = key.clone();
        let ended = inner.end_sessions_of(key_id);
        self.forget_sessions(&ended);
        Ok(Issued { key, api_key: raw })
    }

    /// "Revoking a key": kept for audit, its sessions ended at once. Idempotent.
    pub fn revoke_key(&self, key_id: &str, now: Timestamp) -> Result<Key, EmulatorError> {
        let org = self.org_of_key(key_id)?;
        let mut inner = org.lock();
        let key = inner.key_mut(key_id).ok_or_else(|| EmulatorError::NotFound(format!("no Holm API key {key_id}")))?;
        key.revoked_at.get_or_insert(now);
        let key = key.clone();
        let ended = inner.end_sessions_of(key_id);
        self.forget_sessions(&ended);
        Ok(key)
    }

    /// The organization's live sessions, oldest first, with their key's name.
    pub fn sessions_of(&self, org_id: &str, now: Timestamp) -> Result<Vec<SessionRow>, EmulatorError> {
        let org = self.org_or_404(org_id)?;
        let mut inner = org.lock();
        self.purge(&mut inner, now);
        Ok(inner
            .sessions
            .iter()
            .map(|s| SessionRow {
                id: s.id.clone(),
                key_id: s.key_id.clone(),
                key_name: inner.key(&s.key_id).map(|k| k.name.clone()).unwrap_or_default(),
                ip: s.ip.map(|ip| ip.to_string()),
                created_at: s.created_at,
                expires_at: s.expires_at,
                last_used_at: s.last_used_at,
            })
            .collect())
    }

    /// "Invalidate" one live session (an expired one is already gone: 404).
    pub fn invalidate_session(&self, session_id: &str, now: Timestamp) -> Result<(), EmulatorError> {
        let missing = || EmulatorError::NotFound(format!("no live Holm session {session_id}"));
        let org = self.org_via(&self.session_orgs, session_id).ok_or_else(missing)?;
        self.purge(&mut org.lock(), now);
        if self.end_session(&org, session_id) { Ok(()) } else { Err(missing()) }
    }
}

/// One row of the portal's Active Sessions table.
pub struct SessionRow {
    pub id: String,
    pub key_id: String,
    pub key_name: String,
    pub ip: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

fn live_key<'a>(inner: &'a mut OrgInner, key_id: &str) -> Result<&'a mut Key, EmulatorError> {
    let key = inner.key_mut(key_id).ok_or_else(|| EmulatorError::NotFound(format!("no Holm API key {key_id}")))?;
    if key.revoked_at.is_some() {
        return Err(EmulatorError::Conflict(format!("API key {key_id} is revoked and cannot be changed")));
    }
    Ok(key)
}

/// Seed: an empty list "can be used from any IP address - you must confirm this by
/// checking the acknowledgement box before the key can be saved".
fn checked_origins(origins: &[String], acknowledge: bool) -> Result<Vec<OriginRule>, EmulatorError> {
    if origins.is_empty() && !acknowledge {
        return Err(EmulatorError::BadRequest(
            "empty `allowed_origins` lets the key be used from any IP; confirm with \"acknowledge_any_origin\": true"
                .into(),
        ));
    }
    parse_rules(origins).map_err(|e| EmulatorError::BadRequest(format!("`allowed_origins`: {e}")))
}

fn kind_name(kind: PartnershipType) -> &'static str {
    match kind {
        PartnershipType::Mssp => "mssp",
        PartnershipType::Reseller => "reseller",
    }
}
