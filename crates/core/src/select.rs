//! Choosing an account for one attempt (SPEC §4.1).
//!
//! A request carries a [`RequestCtx`] across its attempts: which accounts it tried, which
//! same-account retries it used, and why the last attempt failed. `select` is the only place
//! that hands out a [`Lease`], and every lease raises its account's in-flight count until
//! [`Pool::release`] lowers it again.

use crate::Timestamp;
use crate::account::Availability;
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
        let session_account = entry.map(|e| e.account_id.clone());
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
    pub fn select(&mut self, ctx: &mut RequestCtx, now: Timestamp) -> Selection {
        if ctx.tried.is_empty()
            && let Some(until) = self.outage_until(now)
        {
            return Selection::Exhausted(self.exhausted_by_outage(until, now));
        }
        let pct = self.config.preemptive_quota_percent;
        let plan_ok = |plan: &Option<String>| ctx.avoid_plan.as_ref().is_none_or(|avoid| plan != avoid);
        let candidates: Vec<usize> = (0..self.accounts.len())
            .filter(|&i| {
                let a = &self.accounts[i];
                !ctx.tried.contains(&a.id)
                    && plan_ok(&a.plan_type)
                    && a.availability(pct, now) != Availability::Unusable
            })
            .collect();
        if ctx.tried.len() >= self.budget(ctx) {
            let reason = if candidates.is_empty() {
                None
            } else {
                Some(FailureKind::Budget)
            };
            return Selection::Exhausted(self.exhausted(ctx, reason, now));
        }
        if candidates.is_empty() {
            return Selection::Exhausted(self.exhausted(ctx, None, now));
        }
        let idx = self.pick(ctx, &candidates, now);
        Selection::Use(self.lease(ctx, idx, now))
    }

    fn pick(&mut self, ctx: &RequestCtx, candidates: &[usize], now: Timestamp) -> usize {
        let pct = self.config.preemptive_quota_percent;
        // Sessions stay where they are while their account is usable; a compaction-bound
        // session ignores the preemptive rule, since moving it costs its whole history.
        if let Some(bound) = &ctx.session_account
            && let Some(&i) = candidates.iter().find(|&&i| &self.accounts[i].id == bound)
        {
            let avail = self.accounts[i].availability(pct, now);
            // A session on the spared account moves as soon as another can serve (unless it
            // is compaction-bound: moving would cost its whole history).
            let spare_it = !ctx.compaction && self.is_spared(i) && candidates.len() > 1;
            if (avail == Availability::Usable || ctx.compaction) && !spare_it {
                return i;
            }
        }
        let mut strict: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&i| self.accounts[i].availability(pct, now) == Availability::Usable)
            .collect();
        if strict.len() > 1 || (strict.len() == 1 && candidates.len() > 1) {
            strict.retain(|&i| !self.is_spared(i));
        }
        if strict.is_empty() {
            // Only preemptively skipped accounts remain (or the spared one): the lowest
            // reading is used anyway, the spared account last.
            let others: Vec<usize> = candidates
                .iter()
                .copied()
                .filter(|&i| !self.is_spared(i))
                .collect();
            let pool = if others.is_empty() { candidates } else { &others };
            return pool
                .iter()
                .copied()
                .min_by(|&a, &b| {
                    self.accounts[a]
                        .tightest_used(now)
                        .total_cmp(&self.accounts[b].tightest_used(now))
                })
                .unwrap_or(candidates[0]);
        }
        match self.config.strategy {
            Strategy::Sticky => self.pick_most_remaining(&strict, now),
            Strategy::FillFirst => strict[0],
            Strategy::RoundRobin => {
                let n = self.accounts.len();
                let start = self.rr_cursor % n.max(1);
                let chosen = (0..n)
                    .map(|k| (start + k) % n)
                    .find(|i| strict.contains(i))
                    .unwrap_or(strict[0]);
                self.rr_cursor = chosen + 1;
                chosen
            }
            Strategy::LeastUsed => strict
                .iter()
                .copied()
                .min_by_key(|&i| self.accounts[i].recent.count(now))
                .unwrap_or(strict[0]),
            Strategy::ResetAware => self.pick_soonest_reset(&strict, now),
        }
    }

    fn is_spared(&self, i: usize) -> bool {
        self.spared.as_deref() == Some(self.accounts[i].id.as_str())
    }

    /// Lowest used percent of the tightest window, then fewest in flight, then least recently used.
    fn pick_most_remaining(&self, strict: &[usize], now: Timestamp) -> usize {
        strict
            .iter()
            .copied()
            .min_by(|&x, &y| {
                let (a, b) = (&self.accounts[x], &self.accounts[y]);
                a.tightest_used(now)
                    .total_cmp(&b.tightest_used(now))
                    .then(a.in_flight.cmp(&b.in_flight))
                    .then(a.last_used.cmp(&b.last_used))
            })
            .unwrap_or(strict[0])
    }

    /// The account whose earliest live window resets soonest (quota about to be replenished is
    /// quota to spend now); accounts without a reading come last; ties go to most remaining.
    fn pick_soonest_reset(&self, strict: &[usize], now: Timestamp) -> usize {
        let reset = |i: usize| {
            let q = self.accounts[i].quota.as_ref();
            q.into_iter()
                .flat_map(|q| q.primary.iter().chain(q.secondary.iter()))
                .filter(|w| w.is_live(now))
                .filter_map(|w| w.resets_at)
                .min()
                .map_or(i64::MAX, |t| t.as_unix_ms())
        };
        strict
            .iter()
            .copied()
            .min_by(|&x, &y| {
                reset(x).cmp(&reset(y)).then(
                    self.accounts[x]
                        .tightest_used(now)
                        .total_cmp(&self.accounts[y].tightest_used(now)),
                )
            })
            .unwrap_or(strict[0])
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

#[cfg(test)]
#[path = "select_tests.rs"]
mod tests;
