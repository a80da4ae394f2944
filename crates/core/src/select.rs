//! Choosing an account for one attempt (SPEC §4.1).
//!
//! A request carries a [`RequestCtx`] across its attempts: which accounts it tried, which
//! same-account retries it used, and why the last attempt failed. `select` is the only place
//! that hands out a [`Lease`], and every lease raises its account's in-flight count until
//! [`Pool::release`] lowers it again.

use crate::Timestamp;
use crate::account::{Account, Availability};
use crate::exhausted::{Exhausted, FailureKind};
use crate::pool::{Pool, Strategy};
use crate::session::SessionHash;

/// Per-request bookkeeping across attempts.
#[derive(Clone, Debug, Default)]
pub struct RequestCtx {
    pub session: Option<SessionHash>,
    /// The account the session was bound to when the request started.
    pub session_account: Option<String>,
    /// The session's history replays blobs of an account it moved away from: every later turn
    /// is cleaned up front instead of paying a 400 and a cleaned retry each time.
    pub foreign_history: bool,
    pub compaction: bool,
    pub(crate) tried: Vec<String>,
    pub(crate) calls: u32,
    pub(crate) refreshed: Vec<String>,
    pub(crate) cleaned: Vec<String>,
    pub(crate) avoid_plan: Option<Option<String>>,
    pub(crate) last_failure: Option<FailureKind>,
}

impl RequestCtx {
    /// Upstream calls made so far (the `x-codex-router-attempts` header).
    pub fn calls(&self) -> u32 {
        self.calls
    }

    pub fn tried(&self) -> &[String] {
        &self.tried
    }
}

/// Permission to send one attempt with an account's credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub account_id: String,
    pub label: String,
    pub plan_type: Option<String>,
    /// The session's history was produced by another account: strip its blobs (§4.3).
    pub clean_body: bool,
    /// ...and its remote `compaction` item too (the session could not stay).
    pub drop_compaction: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Selection {
    Use(Lease),
    Exhausted(Exhausted),
}

impl Pool {
    /// Starts a client request: counts it and looks up its session's account.
    pub fn begin(&mut self, session: Option<SessionHash>, compaction: bool, now: Timestamp) -> RequestCtx {
        self.counters.total_requests += 1;
        let ttl = self.config.session_ttl;
        let entry = session.as_ref().and_then(|s| self.sessions.get(s, ttl, now));
        let session_account = entry.map(|e| e.account_id.to_string());
        let foreign_history = entry.is_some_and(|e| e.foreign_history);
        RequestCtx {
            session,
            session_account,
            foreign_history,
            compaction,
            ..RequestCtx::default()
        }
    }

    fn budget(&self, ctx: &RequestCtx) -> usize {
        let base = self
            .accounts
            .len()
            .min(usize::try_from(self.config.max_attempts).unwrap_or(usize::MAX))
            .max(1);
        base + usize::from(ctx.avoid_plan.is_some())
    }

    /// Picks the account for the next attempt, or says why there is none.
    ///
    /// This runs inside the pool lock on every attempt, so it builds no candidate lists and looks
    /// at each account at most once: a session bound to a usable account is served after one
    /// lookup by id (the common case: every turn of a conversation after its first), and a new
    /// session costs one pass over the pool that ranks the accounts as it goes.
    pub fn select(&mut self, ctx: &mut RequestCtx, now: Timestamp) -> Selection {
        if ctx.tried.is_empty()
            && let Some(until) = self.outage_until(now)
        {
            return Selection::Exhausted(self.exhausted_by_outage(until, now));
        }
        let within_budget = ctx.tried.len() < self.budget(ctx);
        if within_budget && let Some(i) = self.bound_account(ctx, now) {
            return Selection::Use(self.lease(ctx, i, now));
        }
        let scan = self.scan(ctx, now);
        if !within_budget {
            let reason = scan.any_candidate.then_some(FailureKind::Budget);
            return Selection::Exhausted(self.exhausted(ctx, reason, now));
        }
        let Some(idx) = scan.chosen else {
            return Selection::Exhausted(self.exhausted(ctx, None, now));
        };
        if scan.strict && self.config.strategy == Strategy::RoundRobin {
            self.rr_cursor = idx + 1;
        }
        Selection::Use(self.lease(ctx, idx, now))
    }

    /// The session's account, when it can take this attempt: sessions stay where they are while
    /// their account is usable, and a compaction-bound session ignores the preemptive rule, since
    /// moving it costs its whole history.
    fn bound_account(&mut self, ctx: &RequestCtx, now: Timestamp) -> Option<usize> {
        let pct = self.config.preemptive_quota_percent;
        let i = self.position(ctx.session_account.as_deref()?)?;
        let a = self.accounts.get(i)?;
        if ctx.tried.contains(&a.id) || !plan_ok(ctx, &a.plan_type) {
            return None;
        }
        // A session on the spared account (Codex's own login, SPEC §7) goes through the scan,
        // which takes any other account first; a compaction-bound one stays (moving it would
        // cost its whole history).
        if !ctx.compaction && self.is_spared(&a.id) {
            return None;
        }
        match a.availability(pct, now) {
            Availability::Usable => Some(i),
            Availability::Preemptive { .. } if ctx.compaction => Some(i),
            _ => None,
        }
    }

    fn is_spared(&self, id: &str) -> bool {
        self.spared.as_deref() == Some(id)
    }

    /// One pass over the pool: whether any account may take the attempt, and which one the
    /// strategy picks among the fully usable ones (the first of equals, in pool order), else the
    /// preemptively skipped one with the lowest reading ("quota left is quota to use").
    fn scan(&mut self, ctx: &RequestCtx, now: Timestamp) -> Scan {
        let pct = self.config.preemptive_quota_percent;
        let strategy = self.config.strategy;
        let n = self.accounts.len();
        let start = self.rr_cursor % n.max(1);
        self.examined += n as u64;
        let mut any_candidate = false;
        let mut best: Option<(usize, Rank)> = None;
        let mut fallback: Option<(usize, f64)> = None;
        // The spared account serves only when no other account can, not even preemptively.
        let mut spared: Option<(usize, bool)> = None;
        for (i, a) in self.accounts.iter().enumerate() {
            if ctx.tried.contains(&a.id) || !plan_ok(ctx, &a.plan_type) {
                continue;
            }
            if self.spared.as_deref() == Some(a.id.as_str()) {
                let avail = a.availability(pct, now);
                if avail != Availability::Unusable {
                    any_candidate = true;
                    spared = Some((i, avail == Availability::Usable));
                }
                continue;
            }
            match a.availability(pct, now) {
                Availability::Unusable => {}
                Availability::Preemptive { used, .. } => {
                    any_candidate = true;
                    if fallback.is_none_or(|(_, b)| used.total_cmp(&b).is_lt()) {
                        fallback = Some((i, used));
                    }
                }
                Availability::Usable => {
                    any_candidate = true;
                    let rank = Rank::of(strategy, a, i, n, start, now);
                    if best.as_ref().is_none_or(|(_, b)| rank.cmp(b).is_lt()) {
                        best = Some((i, rank));
                    }
                }
            }
        }
        Scan {
            any_candidate,
            strict: best.is_some(),
            chosen: best
                .map(|(i, _)| i)
                .or(fallback.map(|(i, _)| i))
                .or(spared.map(|(i, _)| i)),
        }
    }

    fn lease(&mut self, ctx: &mut RequestCtx, idx: usize, now: Timestamp) -> Lease {
        let a = &mut self.accounts[idx];
        a.in_flight += 1;
        a.requests += 1;
        a.last_used = Some(now);
        a.recent.add(now);
        ctx.tried.push(a.id.clone());
        let moved = ctx.session_account.as_ref().is_some_and(|s| s != &a.id);
        let lease = Lease {
            account_id: a.id.clone(),
            label: a.label.clone(),
            plan_type: a.plan_type.clone(),
            clean_body: moved || ctx.foreign_history,
            drop_compaction: moved && ctx.compaction,
        };
        self.count_call(ctx);
        lease
    }

    pub(crate) fn count_call(&mut self, ctx: &mut RequestCtx) {
        ctx.calls += 1;
        self.counters.upstream_requests += 1;
        if ctx.calls > 1 {
            self.counters.retries += 1;
        }
    }

    /// Lowers the in-flight count of a lease's account. Call exactly once per lease.
    pub fn release(&mut self, lease: &Lease) {
        if let Some(a) = self.account_mut(&lease.account_id) {
            a.in_flight = a.in_flight.saturating_sub(1);
        }
    }
}

/// A request that hit a model its plan lacks avoids that plan on its next attempts.
fn plan_ok(ctx: &RequestCtx, plan: &Option<String>) -> bool {
    ctx.avoid_plan.as_ref().is_none_or(|avoid| plan != avoid)
}

/// What one pass over the pool found.
struct Scan {
    any_candidate: bool,
    /// `chosen` is fully usable (not the preemptive fallback).
    strict: bool,
    chosen: Option<usize>,
}

/// An account's place in the strategy's order, lowest first; the first of equals wins.
///
/// - `sticky`: lowest used percent of the tightest window, then fewest in flight, then least
///   recently used (never used first);
/// - `fill-first`: pool order; `round-robin`: pool order from the cursor on, wrapping;
/// - `least-used`: fewest requests in the last 5 minutes;
/// - `reset-aware`: the earliest reset of a live window (none: last), then most remaining.
struct Rank(i64, f64, i64, i64);

impl Rank {
    fn of(strategy: Strategy, a: &Account, i: usize, n: usize, start: usize, now: Timestamp) -> Rank {
        let pos = |k: usize| i64::try_from(k).unwrap_or(i64::MAX);
        match strategy {
            Strategy::Sticky => Rank(
                0,
                a.tightest_used(now),
                i64::from(a.in_flight),
                a.last_used.map_or(i64::MIN, Timestamp::as_unix_ms),
            ),
            Strategy::FillFirst => Rank(0, 0.0, 0, 0),
            Strategy::RoundRobin => Rank(pos((i + n - start) % n.max(1)), 0.0, 0, 0),
            Strategy::LeastUsed => Rank(i64::from(a.recent.count(now)), 0.0, 0, 0),
            Strategy::ResetAware => {
                let reset = a
                    .quota
                    .iter()
                    .flat_map(|q| q.primary.iter().chain(q.secondary.iter()))
                    .filter(|w| w.is_live(now))
                    .filter_map(|w| w.resets_at)
                    .min()
                    .map_or(i64::MAX, Timestamp::as_unix_ms);
                Rank(reset, a.tightest_used(now), 0, 0)
            }
        }
    }

    fn cmp(&self, other: &Rank) -> std::cmp::Ordering {
        self.0
            .cmp(&other.0)
            .then(self.1.total_cmp(&other.1))
            .then(self.2.cmp(&other.2))
            .then(self.3.cmp(&other.3))
    }
}

#[cfg(test)]
#[path = "select_tests.rs"]
mod tests;
