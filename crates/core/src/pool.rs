//! The account pool: accounts in pool order, session affinity, counters and the outage rule.
//!
//! A `Pool` is plain data. The daemon keeps one behind a mutex and every request takes it for a
//! few microseconds at a time (select, record, release), so selection and the bookkeeping that
//! follows it are one critical section: parallel requests can never lose a counter update or
//! observe half of another request's "last account / last error".

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::account::{Account, AccountStatus, State};
pub use crate::pool_config::{PoolConfig, Strategy, UnknownStrategy};
use crate::quota::QuotaReading;
use crate::session::SessionMap;

/// SPEC §9 counters. Serialised as the `counters` object of `status --json`; a counter added
/// here reaches that stable document, so document it in `docs/status-schema.md` (the schema
/// test fails until it is). Absent members read as 0, so an older daemon's document decodes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Counters {
    pub total_requests: u64,
    pub upstream_requests: u64,
    pub retries: u64,
    pub rotations: u64,
    pub streams_started: u64,
    pub streams_completed: u64,
    pub streams_failed: u64,
    pub refreshes: u64,
    pub refresh_failures: u64,
    pub pool_exhausted: u64,
    /// Usage-limit cooldowns ended early because a usage reading showed the window had reset.
    pub early_resets: u64,
    /// `/wham/usage` polls that produced a reading / failed.
    pub usage_polls: u64,
    pub usage_poll_failures: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastError {
    pub at: Timestamp,
    pub account: String,
    pub kind: &'static str,
    pub http_status: Option<u16>,
}

/// Pool-wide backoff when several accounts fail the same way at once (SPEC §4.2 5xx row).
#[derive(Clone, Debug, Default)]
pub(crate) struct Outage {
    pub(crate) recent: VecDeque<(Timestamp, String)>,
    pub(crate) until: Option<Timestamp>,
    pub(crate) level: u32,
}

/// What `accounts.json` says about an account; the pool keeps its soft state by id.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountMeta {
    pub id: String,
    pub label: String,
    pub plan_type: Option<String>,
    pub enabled: bool,
    pub status: AccountStatus,
}

/// One account row of a snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountView {
    pub id: String,
    pub label: String,
    pub plan_type: Option<String>,
    pub state: State,
    pub state_reason: Option<&'static str>,
    pub until: Option<Timestamp>,
    pub quota: Option<QuotaReading>,
    pub requests: u64,
    pub failures: u64,
    pub in_flight: u32,
    pub last_used: Option<Timestamp>,
    /// Set when a usage reading ended a usage-limit cooldown before its announced time.
    pub reset_early_at: Option<Timestamp>,
}

/// One consistent reading of the whole pool, taken under the lock.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub counters: Counters,
    pub last_account: Option<String>,
    pub last_error: Option<LastError>,
    pub accounts: Vec<AccountView>,
    pub outage_until: Option<Timestamp>,
    pub sessions: usize,
}

#[derive(Debug)]
pub struct Pool {
    pub(crate) config: PoolConfig,
    pub(crate) accounts: Vec<Account>,
    /// Account id → position in `accounts`, rebuilt by `sync_accounts` (the only place the list
    /// changes): every request looks its lease's account up by id several times (record,
    /// release), which must not cost a walk over hundreds of accounts inside the lock.
    pub(crate) index: HashMap<Arc<str>, usize>,
    /// Accounts looked at by selection and by-id lookups since the pool was made: the operation
    /// count that shows what a request costs as the pool grows (tests and benchmarks).
    pub(crate) examined: u64,
    pub(crate) sessions: SessionMap,
    pub(crate) counters: Counters,
    pub(crate) last_account: Option<String>,
    pub(crate) last_error: Option<LastError>,
    pub(crate) outage: Outage,
    pub(crate) rr_cursor: usize,
    /// The account Codex itself is signed in to under the native binding: chosen only when no
    /// other account can serve (SPEC §7 `spare_codex_login`).
    pub(crate) spared: Option<String>,
}

impl Pool {
    pub fn new(config: PoolConfig) -> Self {
        Self {
            config,
            accounts: Vec::new(),
            index: HashMap::new(),
            examined: 0,
            sessions: SessionMap::default(),
            counters: Counters::default(),
            last_account: None,
            last_error: None,
            outage: Outage::default(),
            rr_cursor: 0,
            spared: None,
        }
    }

    /// Spares `id` (Codex's own login while natively bound), or nobody. Codex ≥0.154 refuses
    /// to send a message when the account it is signed in to is out of quota, whatever the pool
    /// could serve, so that account is kept for last.
    pub fn set_spared(&mut self, id: Option<String>) {
        self.spared = id;
    }

    pub fn spared(&self) -> Option<&str> {
        self.spared.as_deref()
    }

    pub fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// Applies new settings live (`config reload`); soft state is kept.
    pub fn set_config(&mut self, config: PoolConfig) {
        self.config = config;
    }

    /// Replaces the account list (pool order = `metas` order), keeping the soft state of ids
    /// that stay. Sessions of removed accounts are forgotten.
    pub fn sync_accounts(&mut self, metas: Vec<AccountMeta>) {
        let mut old: HashMap<String, Account> = std::mem::take(&mut self.accounts)
            .into_iter()
            .map(|a| (a.id.clone(), a))
            .collect();
        for meta in metas {
            let mut acct = match old.remove(&meta.id) {
                Some(a) => a,
                None => Account::new(meta.id.clone(), meta.label.clone()),
            };
            acct.label = meta.label;
            acct.plan_type = meta.plan_type;
            acct.enabled = meta.enabled;
            acct.status = meta.status;
            self.accounts.push(acct);
        }
        // A duplicate id in `metas` keeps its first position, as the linear search did.
        self.index.clear();
        for (i, a) in self.accounts.iter().enumerate() {
            self.index.entry(Arc::from(a.id.as_str())).or_insert(i);
        }
        for gone in old.into_keys() {
            self.sessions.forget_account(&gone);
        }
    }

    /// A new token set for `id` names `plan_type`. `not_entitled` lasts "until the user
    /// re-enables the account or a later token shows another plan" (SPEC §4.2), so a different
    /// plan clears it: the upgrade the user paid for is served without a manual step. Returns
    /// whether the persistent status changed (then `accounts.json` must be written).
    pub fn adopt_token_plan(&mut self, id: &str, plan_type: Option<String>) -> bool {
        let Some(a) = self.account_mut(id) else {
            return false;
        };
        let Some(plan) = plan_type else { return false };
        let other_plan = a.plan_type.as_deref() != Some(plan.as_str());
        a.plan_type = Some(plan);
        if other_plan && a.status == AccountStatus::NotEntitled {
            a.status = AccountStatus::Ok;
            return true;
        }
        false
    }

    pub(crate) fn position(&mut self, id: &str) -> Option<usize> {
        self.examined += 1;
        self.index.get(id).copied()
    }

    /// The pool's shared copy of an account id, for session entries.
    pub(crate) fn shared_id(&self, id: &str) -> Option<Arc<str>> {
        self.index.get_key_value(id).map(|(k, _)| Arc::clone(k))
    }

    pub fn account(&self, id: &str) -> Option<&Account> {
        self.index.get(id).and_then(|&i| self.accounts.get(i))
    }

    pub fn account_mut(&mut self, id: &str) -> Option<&mut Account> {
        let i = self.position(id)?;
        self.accounts.get_mut(i)
    }

    /// Accounts looked at (by selection scans and by-id lookups) since the pool was made.
    pub fn accounts_examined(&self) -> u64 {
        self.examined
    }

    /// The session map's own operation count (see [`SessionMap::entries_examined`]).
    pub fn sessions_examined(&self) -> u64 {
        self.sessions.entries_examined()
    }

    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// A newer reading replaces an older one, whatever its source.
    pub fn set_quota(&mut self, id: &str, reading: QuotaReading) {
        if let Some(a) = self.account_mut(id)
            && a.quota.as_ref().is_none_or(|q| q.read_at <= reading.read_at)
        {
            a.quota = Some(reading);
        }
    }

    pub fn set_refreshing(&mut self, id: &str, refreshing: bool) {
        if let Some(a) = self.account_mut(id) {
            a.refreshing = refreshing;
        }
    }

    pub fn note_refresh(&mut self, ok: bool) {
        if ok {
            self.counters.refreshes += 1;
        } else {
            self.counters.refresh_failures += 1;
        }
    }

    pub fn outage_until(&self, now: Timestamp) -> Option<Timestamp> {
        self.outage.until.filter(|u| *u > now)
    }

    pub fn snapshot(&self, now: Timestamp) -> Snapshot {
        let outage = self.outage_until(now);
        let accounts = self.views(outage, now).collect();
        Snapshot {
            counters: self.counters.clone(),
            last_account: self.last_account.clone(),
            last_error: self.last_error.clone(),
            accounts,
            outage_until: outage,
            sessions: self.sessions.len(),
        }
    }

    /// Every account's view, in pool order. The preemptive fallback is found once for the whole
    /// list: asking for it per account made a snapshot (and every `pool_exhausted` answer,
    /// built under the lock) quadratic in the size of the pool.
    pub(crate) fn views(
        &self,
        outage: Option<Timestamp>,
        now: Timestamp,
    ) -> impl Iterator<Item = AccountView> {
        let fallback = self.fallback_account(&[], now);
        self.accounts
            .iter()
            .map(move |a| self.view(a, outage, fallback, now))
    }

    pub(crate) fn view(
        &self,
        a: &Account,
        outage: Option<Timestamp>,
        fallback: Option<&str>,
        now: Timestamp,
    ) -> AccountView {
        let pct = self.config.preemptive_quota_percent;
        let (mut state, mut reason, mut until) = a.view_state(pct, now);
        if state == State::Ready
            && let Some(o) = outage
        {
            (state, reason, until) = (State::CoolingDown, Some("upstream_outage"), Some(o));
        }
        if reason == Some("preemptive") && fallback == Some(a.id.as_str()) {
            (state, reason, until) = (State::Ready, Some("preemptive_fallback"), None);
        }
        AccountView {
            id: a.id.clone(),
            label: a.label.clone(),
            plan_type: a.plan_type.clone(),
            state,
            state_reason: reason,
            until,
            quota: a.quota.clone(),
            requests: a.requests,
            failures: a.failures,
            in_flight: a.in_flight,
            last_used: a.last_used,
            reset_early_at: a.reset_early_at,
        }
    }

    /// The account the preemptive rule's fallback would use: when no untried account is fully
    /// usable, the preemptively skipped one with the lowest reading ("quota left is quota to
    /// use").
    pub(crate) fn fallback_account(&self, exclude: &[String], now: Timestamp) -> Option<&str> {
        use crate::account::Availability::*;
        let pct = self.config.preemptive_quota_percent;
        let mut best: Option<(&Account, f64)> = None;
        for a in self.accounts.iter().filter(|a| !exclude.contains(&a.id)) {
            match a.availability(pct, now) {
                Usable => return None,
                Preemptive { used, .. } if best.is_none_or(|(_, b)| used < b) => best = Some((a, used)),
                _ => {}
            }
        }
        best.map(|(a, _)| a.id.as_str())
    }
}
