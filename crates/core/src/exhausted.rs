//! The `pool_exhausted` answer (SPEC §4.2): which status, which `Retry-After`, which words.
//!
//! The status is chosen for how the real Codex client reacts (reference/codex-client.md §4, §6):
//! a 429 with Codex's own usage-limit fields stops it at once with "try again at HH:MM"; a 503
//! makes it wait and retry by itself; a 400 is printed and never retried, so it is reserved
//! for states no amount of waiting fixes.

use std::time::Duration;

use serde_json::{Value, json};

use crate::Timestamp;
use crate::account::State;
use crate::pool::{AccountView, Pool};
use crate::select::RequestCtx;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    RateLimited,
    ServerError,
    NetworkError,
    AuthFailed,
    Budget,
    NoAccounts,
}

impl FailureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::RateLimited => "rate_limited",
            FailureKind::ServerError => "server_error",
            FailureKind::NetworkError => "network_error",
            FailureKind::AuthFailed => "auth_failed",
            FailureKind::Budget => "budget",
            FailureKind::NoAccounts => "no_accounts",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExhaustedAccount {
    pub label: String,
    pub state: &'static str,
    pub until: Option<Timestamp>,
}

/// Codex's own usage-limit fields, added to a 429.
#[derive(Clone, Debug, PartialEq)]
pub struct UsageFields {
    pub resets_at: i64,
    pub resets_in_seconds: i64,
    pub plan_type: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Exhausted {
    pub status: u16,
    pub reason: FailureKind,
    /// Exactly the time until the soonest account is usable again (0 if one is now).
    pub retry_after_ms: u64,
    pub message: String,
    pub accounts: Vec<ExhaustedAccount>,
    pub usage: Option<UsageFields>,
}

/// Longest `Retry-After` on a 503: Codex honours it uncapped, up to 30 times.
const MAX_503_RETRY_AFTER_SECS: u64 = 30;
const STOP_THRESHOLD: Duration = Duration::from_secs(60);

impl Exhausted {
    /// The `Retry-After` header value in seconds, if the answer should carry one.
    pub fn retry_after_secs(&self) -> Option<u64> {
        let secs = self.retry_after_ms.div_ceil(1000);
        match self.status {
            429 => Some(secs.max(1)),
            503 => Some(secs.clamp(1, MAX_503_RETRY_AFTER_SECS)),
            _ => None,
        }
    }

    pub fn body(&self) -> Value {
        let accounts: Vec<Value> = self
            .accounts
            .iter()
            .map(|a| json!({"label": a.label, "state": a.state, "until": a.until.map(|t| t.to_rfc3339())}))
            .collect();
        let mut err = json!({
            "code": "pool_exhausted",
            "reason": self.reason.as_str(),
            "message": self.message,
            "retry_after_ms": self.retry_after_ms,
            "accounts": accounts,
            "hint": "codexctl status",
        });
        if let (Some(u), Some(obj)) = (&self.usage, err.as_object_mut()) {
            obj.insert("type".into(), json!("usage_limit_reached"));
            obj.insert("resets_at".into(), json!(u.resets_at));
            obj.insert("resets_in_seconds".into(), json!(u.resets_in_seconds));
            obj.insert("plan_type".into(), json!(u.plan_type));
        }
        json!({ "error": err })
    }
}

fn kind_of(v: &AccountView) -> FailureKind {
    match (v.state, v.state_reason) {
        (State::RateLimited, _) => FailureKind::RateLimited,
        (State::CoolingDown, Some("network_error")) => FailureKind::NetworkError,
        (State::CoolingDown, Some("auth_retry" | "refreshing")) | (State::NeedsLogin, _) => {
            FailureKind::AuthFailed
        }
        (State::Disabled, _) => FailureKind::NoAccounts,
        _ => FailureKind::ServerError,
    }
}

fn secs_text(d: Duration) -> String {
    let s = d.as_secs() + u64::from(d.subsec_millis() > 0);
    match s {
        0..=119 => format!("{s}s"),
        120..=7199 => format!("{}m", s.div_ceil(60)),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// An [`Exhausted`] but for its list of accounts.
struct Answer {
    status: u16,
    reason: FailureKind,
    retry_after_ms: u64,
    message: String,
    usage: Option<UsageFields>,
}

impl Answer {
    /// An answer that asks for no particular wait.
    fn at_once(status: u16, reason: FailureKind, message: String) -> Self {
        Answer {
            status,
            reason,
            retry_after_ms: 0,
            message,
            usage: None,
        }
    }

    fn with_accounts(self, accounts: Vec<ExhaustedAccount>) -> Exhausted {
        Exhausted {
            status: self.status,
            reason: self.reason,
            retry_after_ms: self.retry_after_ms,
            message: self.message,
            accounts,
            usage: self.usage,
        }
    }
}

fn listed(v: AccountView) -> ExhaustedAccount {
    ExhaustedAccount {
        label: v.label,
        state: v.state.as_str(),
        until: v.until,
    }
}

/// The `pool_exhausted` answer for `views`, the whole pool as it stands.
fn answer(
    views: &[AccountView],
    ctx: &RequestCtx,
    reason_override: Option<FailureKind>,
    now: Timestamp,
) -> Answer {
    if views.is_empty() {
        let msg = "codex-router has no accounts: run `codexctl accounts login` or `codexctl accounts import`";
        return Answer::at_once(400, FailureKind::NoAccounts, msg.into());
    }
    if reason_override == Some(FailureKind::Budget) {
        let msg = format!(
            "codex-router tried {} accounts for this request and all failed; other accounts are still usable, retrying",
            ctx.tried.len()
        );
        return Answer::at_once(503, FailureKind::Budget, msg);
    }
    let recoverable: Vec<&AccountView> = views
        .iter()
        .filter(|v| matches!(v.state, State::CoolingDown | State::RateLimited) && v.until.is_some())
        .collect();
    let soonest = recoverable.iter().copied().min_by_key(|v| v.until);
    let any_ready = views.iter().any(|v| v.state == State::Ready);
    let reason = ctx.last_failure.or(soonest.map(kind_of)).unwrap_or(
        if views.iter().any(|v| v.state == State::NeedsLogin) {
            FailureKind::AuthFailed
        } else {
            FailureKind::NoAccounts
        },
    );
    match soonest.filter(|_| !any_ready) {
        Some(soonest) => wait_for(views.len(), &recoverable, soonest, reason, now),
        None if any_ready => {
            let msg = "codex-router: every account tried for this request failed; retrying".to_owned();
            Answer::at_once(503, reason, msg)
        }
        None => no_usable_account(views),
    }
}

/// Nothing will come back by itself: every account needs a login or is disabled.
fn no_usable_account(views: &[AccountView]) -> Answer {
    let n_login = views.iter().filter(|v| v.state == State::NeedsLogin).count();
    let n_disabled = views.len() - n_login;
    let reason = if n_login > 0 {
        FailureKind::AuthFailed
    } else {
        FailureKind::NoAccounts
    };
    let msg = format!(
        "codex-router has no usable account ({n_login} need a new login, {n_disabled} disabled): run \
         `codexctl accounts login`, or `codexctl accounts enable <account>`; see `codexctl status`"
    );
    Answer::at_once(400, reason, msg)
}

/// Every account is cooling down and `soonest` is back first: a long wait on rate limits alone
/// is Codex's own usage-limit answer (it stops), anything else asks it to retry.
fn wait_for(
    pool_size: usize,
    recoverable: &[&AccountView],
    soonest: &AccountView,
    reason: FailureKind,
    now: Timestamp,
) -> Answer {
    let until = soonest.until.unwrap_or(now);
    let wait = now.until(until);
    let retry_after_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
    let all_rate_limited = recoverable.iter().all(|v| v.state == State::RateLimited);
    if all_rate_limited && wait > STOP_THRESHOLD {
        let usage = UsageFields {
            resets_at: until.as_unix_secs_ceil(),
            resets_in_seconds: i64::try_from(wait.as_millis().div_ceil(1000)).unwrap_or(i64::MAX),
            plan_type: soonest.plan_type.clone(),
        };
        let message = format!(
            "all {pool_size} codex-router accounts are rate limited; the first ({}) resets in {} at {}",
            soonest.label,
            secs_text(wait),
            until.to_rfc3339()
        );
        return Answer {
            status: 429,
            reason: FailureKind::RateLimited,
            retry_after_ms,
            message,
            usage: Some(usage),
        };
    }
    let message = format!(
        "codex-router has no account ready ({}); the next one ({}) is back in {}",
        reason.as_str(),
        soonest.label,
        secs_text(wait)
    );
    Answer {
        status: 503,
        reason,
        retry_after_ms,
        message,
        usage: None,
    }
}

impl Pool {
    pub(crate) fn exhausted(
        &self,
        ctx: &RequestCtx,
        reason_override: Option<FailureKind>,
        now: Timestamp,
    ) -> Exhausted {
        let views: Vec<AccountView> = self.views(self.outage_until(now), now).collect();
        let answer = answer(&views, ctx, reason_override, now);
        answer.with_accounts(views.into_iter().map(listed).collect())
    }

    pub(crate) fn exhausted_by_outage(&self, until: Timestamp, now: Timestamp) -> Exhausted {
        let wait = now.until(until);
        Answer {
            status: 503,
            reason: FailureKind::ServerError,
            retry_after_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            message: format!(
                "the upstream is failing for several accounts at once (outage); codex-router backs off for {}",
                secs_text(wait)
            ),
            usage: None,
        }
        .with_accounts(self.views(Some(until), now).map(listed).collect())
    }
}
