//! Session affinity (SPEC §4.1): which account a conversation lives on.
//!
//! Keys are hashed before they are stored, so `state.json` never holds a thread id; the map is
//! bounded (oldest evicted) and its TTL slides with each use.

use std::collections::HashMap;
use std::time::Duration;

use http::HeaderMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Timestamp;
use crate::body::BodyPeek;

const MAX_KEY_CHARS: usize = 256;

/// A hashed session key: 32 hex characters of SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SessionHash(String);

impl SessionHash {
    pub fn of(key: &str) -> Self {
        let truncated: String = key.chars().take(MAX_KEY_CHARS).collect();
        let digest = Sha256::digest(truncated.as_bytes());
        let mut hex = String::with_capacity(32);
        for b in &digest[..16] {
            hex.push_str(&format!("{b:02x}"));
        }
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The session key of a request, first present of: body `prompt_cache_key`; headers
/// `session-id`, `session_id`, `thread-id`, `conversation_id`; body `previous_response_id`;
/// `metadata.session_id`.
pub fn session_key(headers: &HeaderMap, peek: &BodyPeek) -> Option<SessionHash> {
    let from_header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let key = peek
        .prompt_cache_key
        .as_deref()
        .filter(|s| !s.is_empty())
        .or_else(|| from_header("session-id"))
        .or_else(|| from_header("session_id"))
        .or_else(|| from_header("thread-id"))
        .or_else(|| from_header("conversation_id"))
        .or(peek.previous_response_id.as_deref().filter(|s| !s.is_empty()))
        .or(peek.metadata_session_id.as_deref().filter(|s| !s.is_empty()))?;
    Some(SessionHash::of(key))
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionEntry {
    pub account_id: String,
    pub last_used: Timestamp,
    /// The history holds a remote `compaction` item minted by this account.
    #[serde(default)]
    pub compaction: bool,
    /// The history holds blobs minted by another account (the session moved, or a cleaned
    /// retry was needed): later turns are cleaned before they are sent.
    #[serde(default)]
    pub foreign_history: bool,
}

#[derive(Debug, Default)]
pub struct SessionMap {
    entries: HashMap<SessionHash, SessionEntry>,
}

impl SessionMap {
    pub fn get(&mut self, key: &SessionHash, ttl: Duration, now: Timestamp) -> Option<&SessionEntry> {
        let expired = self
            .entries
            .get(key)
            .is_some_and(|e| now.since(e.last_used) > ttl);
        if expired {
            self.entries.remove(key);
        }
        self.entries.get(key)
    }

    pub fn bind(&mut self, key: SessionHash, entry: SessionEntry, max: usize) {
        if !self.entries.contains_key(&key)
            && self.entries.len() >= max.max(1)
            && let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone())
        {
            self.entries.remove(&oldest);
        }
        self.entries.insert(key, entry);
    }

    pub fn forget(&mut self, key: &SessionHash) {
        self.entries.remove(key);
    }

    /// Drops every session of an account (used when the account is removed).
    pub fn forget_account(&mut self, account_id: &str) {
        self.entries.retain(|_, e| e.account_id != account_id);
    }

    pub fn purge(&mut self, ttl: Duration, now: Timestamp) {
        self.entries.retain(|_, e| now.since(e.last_used) <= ttl);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&SessionHash, &SessionEntry)> {
        self.entries.iter()
    }
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    #[test]
    fn key_precedence() {
        let mut h = HeaderMap::new();
        h.insert("thread-id", HeaderValue::from_static("T"));
        h.insert("session-id", HeaderValue::from_static("S"));
        let body = BodyPeek {
            prompt_cache_key: Some("P".into()),
            ..Default::default()
        };
        assert_eq!(session_key(&h, &body), Some(SessionHash::of("P")));
        assert_eq!(session_key(&h, &BodyPeek::default()), Some(SessionHash::of("S")));
        let only_meta = BodyPeek {
            metadata_session_id: Some("M".into()),
            ..Default::default()
        };
        assert_eq!(
            session_key(&HeaderMap::new(), &only_meta),
            Some(SessionHash::of("M"))
        );
        assert_eq!(session_key(&HeaderMap::new(), &BodyPeek::default()), None);
    }

    #[test]
    fn long_keys_are_truncated_before_hashing() {
        let a = "x".repeat(300);
        let b = format!("{}{}", "x".repeat(256), "y".repeat(44));
        assert_eq!(SessionHash::of(&a), SessionHash::of(&b));
        assert_eq!(SessionHash::of("k").as_str().len(), 32);
    }

    #[test]
    fn ttl_slides_and_oldest_is_evicted() {
        let mut m = SessionMap::default();
        let ttl = Duration::from_secs(60);
        let e = |id: &str, t: i64| SessionEntry {
            account_id: id.into(),
            last_used: Timestamp::from_unix_secs(t),
            compaction: false,
            foreign_history: false,
        };
        m.bind(SessionHash::of("a"), e("A", 0), 2);
        m.bind(SessionHash::of("b"), e("B", 10), 2);
        m.bind(SessionHash::of("c"), e("C", 20), 2);
        assert_eq!(m.len(), 2);
        assert!(
            m.get(&SessionHash::of("a"), ttl, Timestamp::from_unix_secs(20))
                .is_none()
        );
        assert!(
            m.get(&SessionHash::of("b"), ttl, Timestamp::from_unix_secs(70))
                .is_some()
        );
        assert!(
            m.get(&SessionHash::of("b"), ttl, Timestamp::from_unix_secs(71))
                .is_none()
        );
    }
}
