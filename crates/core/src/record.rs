//! What an attempt's outcome does to its account and to the request (SPEC §4.2 table).

use std::time::Duration;

use crate::Timestamp;
use crate::account::{Account, AccountStatus, CoolReason, NeedsLoginReason};
use crate::exhausted::FailureKind;
use crate::outcome::Outcome;
use crate::pool::{LastError, Pool, PoolConfig};
use crate::select::{Lease, RequestCtx};
use crate::session::{SessionEntry, SessionHash};

/// What the proxy does after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Relay this answer (a success).
    Deliver,
    /// Retry on the same account after refreshing its token, or with a cleaned body.
    RetrySame(RetryKind),
    /// Try another account.
    TryNext,
    /// Relay this answer untouched: not the account's fault, or nothing better to do.
    PassThrough,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryKind {
    Refresh,
    Clean,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub next: Next,
    /// The persistent status changed: `accounts.json` must be written.
    pub status_changed: bool,
}

/// How a relayed stream ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamEnd {
    Completed,
    /// The upstream broke or stalled after output was sent.
    UpstreamBroken,
    /// The client hung up; not the account's fault.
    ClientGone,
}

const AUTH_RETRY_COOLDOWN: Duration = Duration::from_secs(300);
const SHORT_RATE_BASE: Duration = Duration::from_secs(5);
const USAGE_LIMIT_CAP: Duration = Duration::from_secs(6 * 3600);
const DEACTIVATION_BASE: Duration = Duration::from_secs(30 * 60);
const DEACTIVATION_CAP: Duration = Duration::from_secs(24 * 3600);
const DEACTIVATION_CONFIRM_SPAN: Duration = Duration::from_secs(3600);
const OUTAGE_BASE: Duration = Duration::from_secs(5);
const OUTAGE_CAP: Duration = Duration::from_secs(60);

fn kind_str(o: &Outcome) -> &'static str {
    match o {
        Outcome::Success { .. } => "success",
        Outcome::UsageLimit { .. } | Outcome::ShortRateLimit { .. } => "rate_limited",
        Outcome::NotEntitled => "not_entitled",
        Outcome::Unauthorized { .. } => "auth_failed",
        Outcome::Deactivated => "deactivated",
        Outcome::ServerError => "server_error",
        Outcome::NetworkError => "network_error",
        Outcome::InvalidEncryptedContent => "invalid_encrypted_content",
        Outcome::ModelNotSupported => "model_not_supported",
        Outcome::ClientError => "client_error",
    }
}

/// What the request and the pool already know when an outcome arrives, beyond the account.
struct Context {
    http_status: Option<u16>,
    /// The account's token was refreshed once for this request already.
    refreshed: bool,
    /// The body was already cleaned once for this account.
    cleaned: bool,
    /// This server error completed an outage: the pool pauses, the account is not cooled.
    outage_now: bool,
    /// Another plan can serve the model this one does not support.
    other_plan_available: bool,
}

/// The account's share of SPEC §4.2's table: its new soft state, what the request does next
/// and the failure to report, if any.
fn apply(
    a: &mut Account,
    cfg: &PoolConfig,
    outcome: &Outcome,
    known: &Context,
    now: Timestamp,
) -> (Next, Option<FailureKind>) {
    match outcome {
        Outcome::Success { quota } => {
            if let Some(q) = quota
                && a.quota.as_ref().is_none_or(|old| old.read_at <= q.read_at)
            {
                a.quota = Some(q.clone());
            }
            a.clear_failures();
            (Next::Deliver, None)
        }
        Outcome::UsageLimit { reset_at, quota, .. } => {
            if let Some(q) = quota {
                a.quota = Some(q.clone());
            }
            match reset_at {
                Some(at) => a.cool_until(CoolReason::UsageLimit, *at),
                None => a.cool_with_backoff(
                    CoolReason::UsageLimit,
                    cfg.rate_limit_default,
                    USAGE_LIMIT_CAP,
                    now,
                ),
            }
            (Next::TryNext, Some(FailureKind::RateLimited))
        }
        Outcome::ShortRateLimit { retry_after } => {
            let backoff = a.next_backoff(CoolReason::ShortRateLimit, SHORT_RATE_BASE, cfg.backoff_max, now);
            a.cool_for(
                CoolReason::ShortRateLimit,
                retry_after.map_or(backoff, |d| d.min(cfg.backoff_max)),
                now,
            );
            (Next::TryNext, Some(FailureKind::RateLimited))
        }
        Outcome::NotEntitled => {
            a.status = AccountStatus::NotEntitled;
            (Next::TryNext, Some(FailureKind::AuthFailed))
        }
        Outcome::Unauthorized { invalidated: true } => {
            a.status = AccountStatus::NeedsLogin(NeedsLoginReason::TokenInvalidated);
            (Next::TryNext, Some(FailureKind::AuthFailed))
        }
        Outcome::Unauthorized { invalidated: false } if !known.refreshed => {
            (Next::RetrySame(RetryKind::Refresh), None)
        }
        Outcome::Unauthorized { invalidated: false } => {
            a.cool_for(CoolReason::AuthRetry, AUTH_RETRY_COOLDOWN, now);
            (Next::TryNext, Some(FailureKind::AuthFailed))
        }
        // SPEC §4.2's 401 row holds for every 401, also one whose body names a
        // deactivation: a stale token can draw that body too, so refresh once and let the
        // answer after the refresh decide.
        Outcome::Deactivated if known.http_status == Some(401) && !known.refreshed => {
            (Next::RetrySame(RetryKind::Refresh), None)
        }
        Outcome::Deactivated => {
            note_deactivation(a, now);
            (Next::TryNext, Some(FailureKind::ServerError))
        }
        Outcome::ServerError => {
            if !known.outage_now {
                a.cool_with_backoff(
                    CoolReason::ServerError,
                    cfg.server_error_base,
                    cfg.backoff_max,
                    now,
                );
            }
            (Next::TryNext, Some(FailureKind::ServerError))
        }
        Outcome::NetworkError => {
            a.cool_with_backoff(
                CoolReason::NetworkError,
                cfg.network_error_base,
                cfg.backoff_max,
                now,
            );
            (Next::TryNext, Some(FailureKind::NetworkError))
        }
        Outcome::InvalidEncryptedContent if !known.cleaned => (Next::RetrySame(RetryKind::Clean), None),
        Outcome::ModelNotSupported if known.other_plan_available => (Next::TryNext, None),
        Outcome::InvalidEncryptedContent | Outcome::ModelNotSupported | Outcome::ClientError => {
            (Next::PassThrough, None)
        }
    }
}

/// One more deactivation answer: three spread over an hour disable the account, fewer only
/// cool it (one such answer can be a fluke of the upstream).
fn note_deactivation(a: &mut Account, now: Timestamp) {
    a.deactivations.push(now);
    let confirmed = a.deactivations.len() >= 3
        && a.deactivations
            .first()
            .is_some_and(|first| now.since(*first) >= DEACTIVATION_CONFIRM_SPAN);
    if confirmed {
        a.status = AccountStatus::DisabledByUpstream;
    } else {
        a.cool_with_backoff(
            CoolReason::DeactivationSuspected,
            DEACTIVATION_BASE,
            DEACTIVATION_CAP,
            now,
        );
    }
}

impl Pool {
    /// Applies an attempt's outcome. `http_status` is what the upstream answered (`None` for a
    /// network error), recorded in `last_error`.
    pub fn record(
        &mut self,
        ctx: &mut RequestCtx,
        lease: &Lease,
        outcome: &Outcome,
        http_status: Option<u16>,
        now: Timestamp,
    ) -> Recorded {
        let cfg = self.config.clone();
        let known = Context {
            http_status,
            refreshed: ctx.refreshed.contains(&lease.account_id),
            cleaned: ctx.cleaned.contains(&lease.account_id),
            outage_now: matches!(outcome, Outcome::ServerError)
                && self.note_server_error(&lease.account_id, now),
            // A walk over the pool, so only for the one outcome that asks (not on every success).
            other_plan_available: matches!(outcome, Outcome::ModelNotSupported)
                && ctx.avoid_plan.is_none()
                && self.other_plan_available(ctx, lease, now),
        };
        let Some(a) = self.account_mut(&lease.account_id) else {
            return Recorded {
                next: Next::TryNext,
                status_changed: false,
            };
        };
        let before = a.status;
        let (next, failure) = apply(a, &cfg, outcome, &known, now);
        let status_changed = a.status != before;
        if known.other_plan_available {
            ctx.avoid_plan = Some(lease.plan_type.clone());
        }
        if let Some(kind) = failure {
            a.failures += 1;
            let label = a.label.clone();
            ctx.last_failure = Some(kind);
            self.last_error = Some(LastError {
                at: now,
                account: label,
                kind: kind_str(outcome),
                http_status,
            });
        }
        if next == Next::Deliver {
            self.bind_session(ctx, lease, now);
        }
        Recorded { next, status_changed }
    }

    fn other_plan_available(&self, ctx: &RequestCtx, lease: &Lease, now: Timestamp) -> bool {
        let pct = self.config.preemptive_quota_percent;
        self.accounts.iter().any(|a| {
            !ctx.tried.contains(&a.id)
                && a.plan_type != lease.plan_type
                && a.availability(pct, now) != crate::account::Availability::Unusable
        })
    }

    fn bind_session(&mut self, ctx: &RequestCtx, lease: &Lease, now: Timestamp) {
        self.last_account = Some(lease.label.clone());
        if let Some(key) = &ctx.session {
            let Some(account_id) = self.shared_id(&lease.account_id) else {
                return;
            };
            let entry = SessionEntry {
                account_id,
                last_used: now,
                compaction: ctx.compaction && !lease.drop_compaction,
                foreign_history: lease.clean_body || ctx.cleaned.contains(&lease.account_id),
            };
            let (max, ttl) = (self.config.max_sessions, self.config.session_ttl);
            self.sessions.bind(key.clone(), entry, max, ttl);
        }
    }

    /// Tracks server errors across accounts; returns true while a pool-wide outage is in force.
    fn note_server_error(&mut self, account_id: &str, now: Timestamp) -> bool {
        let window = self.config.outage_window;
        let o = &mut self.outage;
        if o.until.is_some_and(|u| u > now) {
            return true;
        }
        while o.recent.front().is_some_and(|(t, _)| now.since(*t) > window) {
            o.recent.pop_front();
        }
        o.recent.push_back((now, account_id.to_owned()));
        let mut distinct: Vec<&str> = o.recent.iter().map(|(_, id)| id.as_str()).collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < usize::try_from(self.config.outage_accounts.max(1)).unwrap_or(usize::MAX) {
            return false;
        }
        // An outage that follows soon after the last one doubles its backoff.
        let continuing = o.until.is_some_and(|u| now.since(u) <= OUTAGE_CAP);
        o.level = if continuing { (o.level + 1).min(8) } else { 0 };
        let len = OUTAGE_BASE.saturating_mul(1 << o.level).min(OUTAGE_CAP);
        o.until = Some(now.plus(len));
        o.recent.clear();
        true
    }

    /// Marks a same-account retry (after a refresh or with a cleaned body) and counts its call.
    pub fn retry_same(&mut self, ctx: &mut RequestCtx, lease: &Lease, kind: RetryKind) {
        match kind {
            RetryKind::Refresh => ctx.refreshed.push(lease.account_id.clone()),
            RetryKind::Clean => ctx.cleaned.push(lease.account_id.clone()),
        }
        self.count_call(ctx);
    }

    /// The refresh a 401 asked for failed: permanently → `needs_login`; transiently → a
    /// network-error cooldown. Returns whether the persistent status changed.
    pub fn refresh_failed(
        &mut self,
        ctx: &mut RequestCtx,
        lease: &Lease,
        permanent: bool,
        now: Timestamp,
    ) -> bool {
        let cfg = self.config.clone();
        let Some(a) = self.account_mut(&lease.account_id) else {
            return false;
        };
        a.failures += 1;
        let label = a.label.clone();
        let changed = if permanent {
            // The runtime records the precise reason itself before the request learns of the
            // failure (e.g. `refresh_interrupted_by_crash`, SPEC §6); keep it rather than
            // overwrite it with the generic one.
            let before = a.status;
            if !matches!(before, AccountStatus::NeedsLogin(_)) {
                a.status = AccountStatus::NeedsLogin(NeedsLoginReason::RefreshFailed);
            }
            a.status != before
        } else {
            a.cool_with_backoff(
                CoolReason::NetworkError,
                cfg.network_error_base,
                cfg.backoff_max,
                now,
            );
            false
        };
        ctx.last_failure = Some(FailureKind::AuthFailed);
        self.last_error = Some(LastError {
            at: now,
            account: label,
            kind: "auth_failed",
            http_status: Some(401),
        });
        changed
    }

    /// Sets `needs_login` outside a request (background refresh, crash recovery).
    pub fn mark_needs_login(&mut self, id: &str, reason: NeedsLoginReason) -> bool {
        match self.account_mut(id) {
            Some(a) if a.status != AccountStatus::NeedsLogin(reason) => {
                a.status = AccountStatus::NeedsLogin(reason);
                true
            }
            _ => false,
        }
    }

    /// Ends a client request: counts rotations and `pool_exhausted` answers.
    pub fn finish(&mut self, ctx: &RequestCtx, served: Option<&Lease>, exhausted: bool) {
        if let Some(lease) = served {
            let failed_over = ctx.tried.first().is_some_and(|first| first != &lease.account_id);
            let moved = ctx
                .session_account
                .as_ref()
                .is_some_and(|s| s != &lease.account_id);
            if failed_over || moved {
                self.counters.rotations += 1;
            }
        }
        if exhausted {
            self.counters.pool_exhausted += 1;
        }
    }

    pub fn stream_started(&mut self) {
        self.counters.streams_started += 1;
    }

    /// A relayed stream ended. A break after output cools the account like a 5xx and forgets
    /// the session's affinity, so Codex's own retry lands on a fresh choice.
    pub fn stream_ended(
        &mut self,
        lease: &Lease,
        session: Option<&SessionHash>,
        end: StreamEnd,
        now: Timestamp,
    ) {
        match end {
            StreamEnd::Completed => self.counters.streams_completed += 1,
            StreamEnd::ClientGone => self.counters.streams_failed += 1,
            StreamEnd::UpstreamBroken => {
                self.counters.streams_failed += 1;
                let cfg = self.config.clone();
                if let Some(a) = self.account_mut(&lease.account_id) {
                    a.failures += 1;
                    a.cool_with_backoff(
                        CoolReason::ServerError,
                        cfg.server_error_base,
                        cfg.backoff_max,
                        now,
                    );
                }
                if let Some(s) = session {
                    self.sessions.forget(s);
                }
                self.last_error = Some(LastError {
                    at: now,
                    account: lease.label.clone(),
                    kind: "stream_broken",
                    http_status: None,
                });
            }
        }
    }
}
