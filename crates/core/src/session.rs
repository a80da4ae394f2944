//! Session affinity (SPEC §4.1): which account a conversation lives on.
//!
//! Keys are hashed before they are stored, so `state.json` never holds a thread id; the map is
//! bounded (the least recently used session is evicted, in O(1)) and its TTL slides with each
//! delivered request.

use std::sync::Arc;
use std::time::Duration;

use hashlink::LinkedHashMap;
use http::HeaderMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::Timestamp;
use crate::body::BodyPeek;

const MAX_KEY_CHARS: usize = 256;

/// A hashed session key: 32 lowercase hex characters of SHA-256, kept inline.
///
/// Inline, not a `String`: every request that carries a session key makes one, the request
/// context and the stream guard carry it, and `state.json` snapshots copy every key of the map
/// under the pool lock; none of that allocates. (Deliberately not `Copy`, so the callers'
/// `.clone()`s stay lint-clean.) On disk it is the same 32-character string as always.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionHash([u8; 32]);

impl SessionHash {
    pub fn of(key: &str) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let end = key
            .char_indices()
            .nth(MAX_KEY_CHARS)
            .map_or(key.len(), |(i, _)| i);
        let digest = Sha256::digest(key.get(..end).unwrap_or(key).as_bytes());
        let mut hex = [0u8; 32];
        for (pair, b) in hex.chunks_exact_mut(2).zip(&digest[..16]) {
            pair[0] = HEX[usize::from(b >> 4)];
            pair[1] = HEX[usize::from(b & 0x0f)];
        }
        Self(hex)
    }

    /// A hash as `state.json` spells it, if `s` is one (32 lowercase hex characters).
    fn from_hex(s: &str) -> Option<Self> {
        let bytes: [u8; 32] = s.as_bytes().try_into().ok()?;
        bytes
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
            .then_some(Self(bytes))
    }

    pub fn as_str(&self) -> &str {
        // Always ASCII: built from hex digits only (`of`, `from_hex`).
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl std::fmt::Debug for SessionHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("SessionHash").field(&self.as_str()).finish()
    }
}

impl Serialize for SessionHash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SessionHash {
    /// A key that is not a hash this router wrote (a hand-edited file) is hashed like a raw key
    /// instead of failing the whole file: it simply never matches a request.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(Self::from_hex(&s).unwrap_or_else(|| Self::of(&s)))
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
    /// Shared with the pool's index of account ids: the sessions of an account hold one copy of
    /// its id between them, and copying an entry (a `state.json` snapshot) allocates nothing.
    pub account_id: Arc<str>,
    pub last_used: Timestamp,
    /// The history holds a remote `compaction` item minted by this account.
    #[serde(default)]
    pub compaction: bool,
    /// The history holds blobs minted by another account (the session moved, or a cleaned
    /// retry was needed): later turns are cleaned before they are sent.
    #[serde(default)]
    pub foreign_history: bool,
}

/// The session map: hashed key → account, in least-recently-used order.
///
/// A linked hash map keeps the entries in the order they were last touched (looked up or bound),
/// so the session to evict when the map is full is always at the front: binding a new session
/// costs a hash lookup and at most one eviction, whatever the number of live sessions. (It used
/// to scan every entry for the oldest `last_used`; at the default 10 000 sessions that scan was a
/// fifth of the daemon's CPU, inside the pool lock, once the map was full.)
///
/// The TTL still slides with `last_used` (set when a request is delivered, as before); recency
/// order only decides which session goes first when the map is full. Expired entries are dropped
/// when looked up, and from the front as new sessions are bound, so dead sessions do not hold
/// the map's slots for ever.
#[derive(Debug, Default)]
pub struct SessionMap {
    entries: LinkedHashMap<SessionHash, SessionEntry>,
    /// Entries looked at (looked up, inserted, evicted) since the map was made: the operation
    /// count that proves binding and eviction are O(1) (see the tests), without timing anything.
    examined: u64,
}

impl SessionMap {
    /// The session's entry while it is within `ttl` of its last use; an expired entry is
    /// dropped. A hit counts as a use for eviction order (not for the TTL, which slides only when
    /// a request is delivered, in [`SessionMap::bind`]).
    pub fn get(&mut self, key: &SessionHash, ttl: Duration, now: Timestamp) -> Option<&SessionEntry> {
        self.examined += 1;
        let expired = self
            .entries
            .get(key)
            .is_some_and(|e| now.since(e.last_used) > ttl);
        if expired {
            self.entries.remove(key);
            return None;
        }
        self.entries.to_back(key).map(|e| &*e)
    }

    /// Binds (or re-binds) a session and makes it the most recently used. A new session in a
    /// full map evicts the least recently used ones until there is room (more than one only
    /// after `max` was lowered by a settings reload). Sessions whose TTL ran out at the front of
    /// the map are dropped first, as long as the front is expired.
    pub fn bind(&mut self, key: SessionHash, entry: SessionEntry, max: usize, ttl: Duration) {
        let now = entry.last_used;
        self.examined += 1;
        if self.entries.contains_key(&key) {
            self.entries.insert(key, entry);
            return;
        }
        while self
            .entries
            .front()
            .is_some_and(|(_, e)| now.since(e.last_used) > ttl)
        {
            self.examined += 1;
            self.entries.pop_front();
        }
        while self.entries.len() >= max.max(1) {
            self.examined += 1;
            if self.entries.pop_front().is_none() {
                break;
            }
        }
        self.entries.insert(key, entry);
    }

    pub fn forget(&mut self, key: &SessionHash) {
        self.examined += 1;
        self.entries.remove(key);
    }

    /// Drops every session of an account (used when the account is removed). Linear in the
    /// number of sessions: it runs when the user removes an account, never per request.
    pub fn forget_account(&mut self, account_id: &str) {
        self.examined += self.entries.len() as u64;
        self.entries.retain(|_, e| &*e.account_id != account_id);
    }

    /// Drops every expired session. Linear in the number of sessions, so never per request:
    /// [`SessionMap::get`] and [`SessionMap::bind`] already drop the expired entries they meet.
    pub fn purge(&mut self, ttl: Duration, now: Timestamp) {
        self.examined += self.entries.len() as u64;
        self.entries.retain(|_, e| now.since(e.last_used) <= ttl);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries from the least to the most recently used.
    pub fn iter(&self) -> impl Iterator<Item = (&SessionHash, &SessionEntry)> {
        self.entries.iter()
    }

    /// Entries looked at since the map was made (lookups, insertions, evictions, and every entry
    /// of a linear `forget_account` or `purge`): an operation count for tests and benchmarks.
    pub fn entries_examined(&self) -> u64 {
        self.examined
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

    const TTL: Duration = Duration::from_secs(60);

    fn entry(id: &str, t: i64) -> SessionEntry {
        SessionEntry {
            account_id: id.into(),
            last_used: Timestamp::from_unix_secs(t),
            compaction: false,
            foreign_history: false,
        }
    }

    fn key(i: usize) -> SessionHash {
        SessionHash::of(&format!("session-{i}"))
    }

    #[test]
    fn ttl_slides_and_oldest_is_evicted() {
        let mut m = SessionMap::default();
        let ttl = TTL;
        m.bind(SessionHash::of("a"), entry("A", 0), 2, ttl);
        m.bind(SessionHash::of("b"), entry("B", 10), 2, ttl);
        m.bind(SessionHash::of("c"), entry("C", 20), 2, ttl);
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
        // A re-bind slides the TTL.
        m.bind(SessionHash::of("c"), entry("C", 75), 2, ttl);
        assert!(
            m.get(&SessionHash::of("c"), ttl, Timestamp::from_unix_secs(130))
                .is_some()
        );
    }

    #[test]
    fn eviction_order_is_least_recently_used_and_a_get_refreshes_recency() {
        let mut m = SessionMap::default();
        for i in 0..4 {
            m.bind(key(i), entry("A", 0), 4, TTL);
        }
        // Touch 0 (a lookup) and 2 (a re-bind): 1 is now the least recently used, then 3.
        assert!(m.get(&key(0), TTL, Timestamp::from_unix_secs(1)).is_some());
        m.bind(key(2), entry("B", 1), 4, TTL);
        m.bind(key(4), entry("A", 2), 4, TTL);
        assert!(
            m.get(&key(1), TTL, Timestamp::from_unix_secs(2)).is_none(),
            "1 went first"
        );
        m.bind(key(5), entry("A", 2), 4, TTL);
        assert!(
            m.get(&key(3), TTL, Timestamp::from_unix_secs(2)).is_none(),
            "then 3"
        );
        let order: Vec<&SessionHash> = m.iter().map(|(k, _)| k).collect();
        assert_eq!(order, [&key(0), &key(2), &key(4), &key(5)]);
        assert_eq!(m.iter().nth(1).map(|(_, e)| &*e.account_id), Some("B"));
        // Re-binding an existing session never evicts another.
        m.bind(key(0), entry("C", 3), 4, TTL);
        assert_eq!(m.len(), 4);
        let order: Vec<&SessionHash> = m.iter().map(|(k, _)| k).collect();
        assert_eq!(order, [&key(2), &key(4), &key(5), &key(0)]);
    }

    /// SPEC §4.1; bind/evict is O(1): 200 000 new sessions past a full map of 10 000 cost a
    /// constant number of entry visits each. The old oldest-entry scan visited every entry on
    /// every bind: about 200 000 × 10 000 = 2·10⁹ visits, against the ≤ 3 per bind allowed here.
    #[test]
    fn binding_and_evicting_past_the_cap_is_constant_work_per_request() {
        const MAX: usize = 10_000;
        const PAST: usize = 200_000;
        let mut m = SessionMap::default();
        for i in 0..MAX {
            m.bind(key(i), entry("A", 0), MAX, TTL);
        }
        assert_eq!(m.len(), MAX);
        let before = m.entries_examined();
        for i in MAX..MAX + PAST {
            let now = Timestamp::from_unix_secs(1);
            // Every request of a new session looks its key up first, then binds it.
            assert!(m.get(&key(i), TTL, now).is_none());
            m.bind(key(i), entry("A", 1), MAX, TTL);
        }
        let per_request = (m.entries_examined() - before) as f64 / PAST as f64;
        assert!(
            per_request <= 3.0,
            "{per_request} entries examined per new session"
        );
        assert_eq!(m.len(), MAX);
        // The survivors are exactly the newest MAX sessions, oldest first.
        assert_eq!(m.iter().next().map(|(k, _)| k), Some(&key(PAST)));
        assert_eq!(m.iter().last().map(|(k, _)| k), Some(&key(MAX + PAST - 1)));
    }

    #[test]
    fn lowering_the_cap_evicts_down_to_it_on_the_next_new_session() {
        let mut m = SessionMap::default();
        for i in 0..10 {
            m.bind(key(i), entry("A", 0), 10, TTL);
        }
        m.bind(key(10), entry("A", 0), 4, TTL);
        assert_eq!(m.len(), 4);
        let order: Vec<&SessionHash> = m.iter().map(|(k, _)| k).collect();
        assert_eq!(order, [&key(7), &key(8), &key(9), &key(10)]);
    }

    #[test]
    fn expired_sessions_at_the_front_make_room_before_live_ones_are_evicted() {
        let mut m = SessionMap::default();
        m.bind(key(0), entry("A", 0), 3, TTL);
        m.bind(key(1), entry("A", 10), 3, TTL);
        m.bind(key(2), entry("A", 100), 3, TTL);
        // At 100 s the first two are past the 60 s TTL: both go, nothing live is evicted.
        m.bind(key(3), entry("A", 100), 3, TTL);
        let order: Vec<&SessionHash> = m.iter().map(|(k, _)| k).collect();
        assert_eq!(order, [&key(2), &key(3)]);
    }

    #[test]
    fn forget_and_forget_account() {
        let mut m = SessionMap::default();
        m.bind(key(0), entry("A", 0), 10, TTL);
        m.bind(key(1), entry("B", 0), 10, TTL);
        m.bind(key(2), entry("A", 0), 10, TTL);
        m.forget(&key(1));
        assert_eq!(m.len(), 2);
        m.forget_account("A");
        assert!(m.is_empty());
        m.bind(key(3), entry("A", 0), 10, TTL);
        m.bind(key(4), entry("A", 100), 10, TTL);
        m.purge(TTL, Timestamp::from_unix_secs(100));
        assert_eq!(m.iter().map(|(k, _)| k).collect::<Vec<_>>(), [&key(4)]);
    }

    #[test]
    fn hash_is_lowercase_hex_of_the_first_16_bytes() {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
        assert_eq!(
            SessionHash::of("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223"
        );
    }
}
