//! The `state.json` schema: the soft state that survives a restart (SPEC §3).
//!
//! Cooldowns, backoff streaks, quota readings, per-account usage and the session map. No
//! secrets and no raw session keys (only their hashes). Unknown account ids are ignored on
//! import, so a state file never resurrects a removed account.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize, Serializer};

use crate::Timestamp;
use crate::account::{CoolReason, Cooldown, Streak};
use crate::pool::Pool;
use crate::quota::QuotaReading;
use crate::session::{SessionEntry, SessionHash};

pub const STATE_VERSION: u32 = 1;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PoolState {
    pub version: u32,
    #[serde(default)]
    pub saved_at: Option<Timestamp>,
    #[serde(default)]
    pub accounts: BTreeMap<String, AccountState>,
    #[serde(default)]
    pub sessions: BTreeMap<SessionHash, SessionEntry>,
    #[serde(default)]
    pub outage_until: Option<Timestamp>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountState {
    #[serde(default)]
    pub cooldown: Option<Cooldown>,
    #[serde(default)]
    pub streaks: Vec<(CoolReason, Streak)>,
    #[serde(default)]
    pub deactivations: Vec<Timestamp>,
    #[serde(default)]
    pub quota: Option<QuotaReading>,
    #[serde(default)]
    pub requests: u64,
    #[serde(default)]
    pub failures: u64,
    #[serde(default)]
    pub last_used: Option<Timestamp>,
    /// When a usage reading last ended a usage-limit cooldown early; shown in status, and
    /// kept so a restart does not forget that the upstream resets this account early.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_early_at: Option<Timestamp>,
}

/// What a `state.json` write needs from the pool, copied under the pool's lock.
///
/// The daemon writes `state.json` at most once a second while requests flow, and the pool lock
/// is what every request waits for. So the copy taken under the lock is flat: session keys are
/// inline, account ids shared (no allocation per session), and nothing is sorted or encoded;
/// [`StateDraft::into_state`] does that after the lock is released. With 100 000 sessions the
/// old export built the sorted map (two string copies per session) inside the lock.
#[derive(Clone, Debug)]
pub struct StateDraft {
    saved_at: Timestamp,
    accounts: Vec<(String, AccountState)>,
    sessions: Vec<(SessionHash, SessionEntry)>,
    outage_until: Option<Timestamp>,
}

impl StateDraft {
    /// Sessions in the draft (the live ones).
    pub fn sessions(&self) -> &[(SessionHash, SessionEntry)] {
        &self.sessions
    }

    /// What the writer encodes: the same document as [`StateDraft::into_state`], byte for byte,
    /// without building its maps (sorting 100 000 sessions in place costs a fraction of
    /// inserting them into a `BTreeMap`).
    pub fn into_file(mut self) -> StateFile {
        self.sessions.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        StateFile(self)
    }

    /// The file's contents: sessions keyed by hash, in hash order as always.
    pub fn into_state(self) -> PoolState {
        PoolState {
            version: STATE_VERSION,
            saved_at: Some(self.saved_at),
            accounts: self.accounts.into_iter().collect(),
            sessions: self.sessions.into_iter().collect(),
            outage_until: self.outage_until,
        }
    }
}

/// A [`StateDraft`] with its sessions in hash order, ready to encode as `state.json`.
#[derive(Debug)]
pub struct StateFile(StateDraft);

impl Serialize for StateFile {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let d = &self.0;
        // The accounts are few: a map gives them `PoolState`'s order (and its last-wins rule).
        let accounts: BTreeMap<&str, &AccountState> =
            d.accounts.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let mut st = s.serialize_struct("PoolState", 5)?;
        st.serialize_field("version", &STATE_VERSION)?;
        st.serialize_field("saved_at", &Some(d.saved_at))?;
        st.serialize_field("accounts", &accounts)?;
        st.serialize_field("sessions", &SortedSessions(&d.sessions))?;
        st.serialize_field("outage_until", &d.outage_until)?;
        st.end()
    }
}

/// Sessions already sorted by hash (and unique: they come from a map), encoded as a JSON object.
struct SortedSessions<'a>(&'a [(SessionHash, SessionEntry)]);

impl Serialize for SortedSessions<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

impl Pool {
    pub fn export_state(&self, now: Timestamp) -> PoolState {
        self.draft_state(now).into_state()
    }

    /// The copy to take under the pool lock; see [`StateDraft`].
    pub fn draft_state(&self, now: Timestamp) -> StateDraft {
        let accounts = self
            .accounts
            .iter()
            .map(|a| {
                let st = AccountState {
                    cooldown: a.active_cooldown(now),
                    streaks: a.streaks.clone(),
                    deactivations: a.deactivations.clone(),
                    quota: a.quota.clone(),
                    requests: a.requests,
                    failures: a.failures,
                    last_used: a.last_used,
                    reset_early_at: a.reset_early_at,
                };
                (a.id.clone(), st)
            })
            .collect();
        let ttl = self.config.session_ttl;
        let sessions = self
            .sessions
            .iter()
            .filter(|(_, e)| now.since(e.last_used) <= ttl)
            .map(|(k, e)| (k.clone(), e.clone()))
            .collect();
        StateDraft {
            saved_at: now,
            accounts,
            sessions,
            outage_until: self.outage_until(now),
        }
    }

    /// Restores soft state for the accounts currently in the pool.
    pub fn import_state(&mut self, state: PoolState, now: Timestamp) {
        for a in &mut self.accounts {
            let Some(st) = state.accounts.get(&a.id) else {
                continue;
            };
            a.cooldown = st.cooldown.filter(|c| c.until > now);
            a.streaks = st.streaks.clone();
            a.deactivations = st.deactivations.clone();
            a.quota = st.quota.clone();
            a.requests = st.requests;
            a.failures = st.failures;
            a.last_used = st.last_used;
            a.reset_early_at = st.reset_early_at;
        }
        let max = self.config.max_sessions;
        let ttl = self.config.session_ttl;
        // The file lists sessions by hash; binding them oldest first rebuilds the recency order
        // (the least recently used session is the first one a full map evicts), and a file with
        // more sessions than `max_sessions` keeps the newest. A stable sort keeps hash order
        // among equal instants, so the same file always gives the same map.
        let known: HashSet<&str> = self.accounts.iter().map(|a| a.id.as_str()).collect();
        let mut sessions: Vec<(SessionHash, SessionEntry)> = state
            .sessions
            .into_iter()
            .filter(|(_, e)| now.since(e.last_used) <= ttl)
            .filter(|(_, e)| known.contains(&*e.account_id))
            .collect();
        sessions.sort_by_key(|(_, e)| e.last_used);
        for (k, e) in sessions {
            self.sessions.bind(k, e, max, ttl);
        }
        self.outage.until = state.outage_until.filter(|u| *u > now);
    }
}

/// Cooldown reasons are part of the file format; keep their names stable.
pub fn cool_reason_name(r: CoolReason) -> &'static str {
    r.state_reason()
}
