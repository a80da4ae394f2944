//! One account's runtime state: persistent status, cooldown, backoff streaks, quota and usage.
//!
//! The persistent status (`needs_login`, `disabled_by_upstream`, `not_entitled`) lives in
//! `accounts.json`; everything else here is soft state saved to `state.json`. The displayed
//! state of SPEC §9 is derived on demand by [`Account::view`], never stored, so it cannot
//! disagree with the facts it is derived from.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::quota::QuotaReading;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NeedsLoginReason {
    RefreshFailed,
    TokenInvalidated,
    RefreshInterruptedByCrash,
}

/// The status persisted in `accounts.json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AccountStatus {
    #[default]
    Ok,
    NeedsLogin(NeedsLoginReason),
    DisabledByUpstream,
    NotEntitled,
}

/// Why an account is cooling down; decides the displayed state and the backoff family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoolReason {
    UsageLimit,
    ShortRateLimit,
    ServerError,
    NetworkError,
    DeactivationSuspected,
    AuthRetry,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cooldown {
    pub until: Timestamp,
    pub reason: CoolReason,
}

/// Consecutive failures of one family, for "doubling on repeats".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Streak {
    pub count: u32,
    pub last_at: Timestamp,
    pub last_len_ms: u64,
}

/// The five states of SPEC §9.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Ready,
    CoolingDown,
    RateLimited,
    NeedsLogin,
    Disabled,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ready => "ready",
            State::CoolingDown => "cooling_down",
            State::RateLimited => "rate_limited",
            State::NeedsLogin => "needs_login",
            State::Disabled => "disabled",
        }
    }
}

impl CoolReason {
    pub fn state_reason(self) -> &'static str {
        match self {
            CoolReason::UsageLimit => "usage_limit",
            CoolReason::ShortRateLimit => "short_rate_limit",
            CoolReason::ServerError => "server_error",
            CoolReason::NetworkError => "network_error",
            CoolReason::DeactivationSuspected => "deactivation_suspected",
            CoolReason::AuthRetry => "auth_retry",
        }
    }

    fn state(self) -> State {
        match self {
            CoolReason::UsageLimit | CoolReason::ShortRateLimit => State::RateLimited,
            _ => State::CoolingDown,
        }
    }
}

impl NeedsLoginReason {
    pub fn as_str(self) -> &'static str {
        match self {
            NeedsLoginReason::RefreshFailed => "refresh_failed",
            NeedsLoginReason::TokenInvalidated => "token_invalidated",
            NeedsLoginReason::RefreshInterruptedByCrash => "refresh_interrupted_by_crash",
        }
    }
}

/// Requests per 10-second bucket over the last five minutes, for `least-used`.
#[derive(Clone, Debug, Default)]
pub struct RecentRequests {
    buckets: [(i64, u32); 30],
}

impl RecentRequests {
    const BUCKET_MS: i64 = 10_000;

    pub fn add(&mut self, now: Timestamp) {
        let idx = now.as_unix_ms().div_euclid(Self::BUCKET_MS);
        let slot = &mut self.buckets[usize::try_from(idx.rem_euclid(30)).unwrap_or(0)];
        if slot.0 != idx {
            *slot = (idx, 0);
        }
        slot.1 = slot.1.saturating_add(1);
    }

    pub fn count(&self, now: Timestamp) -> u32 {
        let idx = now.as_unix_ms().div_euclid(Self::BUCKET_MS);
        self.buckets
            .iter()
            .filter(|(i, _)| *i > idx - 30 && *i <= idx)
            .map(|(_, c)| *c)
            .sum()
    }
}

/// Whether selection may use an account right now (outage overlay excluded).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Availability {
    Usable,
    /// Usable only as a last resort: a window is past `preemptive_quota_percent`.
    Preemptive {
        until: Option<Timestamp>,
        used: f64,
    },
    Unusable,
}

#[derive(Clone, Debug)]
pub struct Account {
    pub id: String,
    pub label: String,
    pub plan_type: Option<String>,
    pub enabled: bool,
    pub status: AccountStatus,
    pub cooldown: Option<Cooldown>,
    pub streaks: Vec<(CoolReason, Streak)>,
    /// Deactivation answers in a row (cleared by a success).
    pub deactivations: Vec<Timestamp>,
    pub quota: Option<QuotaReading>,
    pub in_flight: u32,
    pub requests: u64,
    pub failures: u64,
    pub last_used: Option<Timestamp>,
    pub recent: RecentRequests,
    pub refreshing: bool,
    /// When a usage reading last ended a usage-limit cooldown early (shown as "reset early").
    pub reset_early_at: Option<Timestamp>,
}

impl Account {
    pub fn new(id: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            label: label.into(),
            plan_type: None,
            enabled: true,
            status: AccountStatus::Ok,
            cooldown: None,
            streaks: Vec::new(),
            deactivations: Vec::new(),
            quota: None,
            in_flight: 0,
            requests: 0,
            failures: 0,
            last_used: None,
            recent: RecentRequests::default(),
            refreshing: false,
            reset_early_at: None,
        }
    }

    pub fn active_cooldown(&self, now: Timestamp) -> Option<Cooldown> {
        self.cooldown.filter(|c| c.until > now)
    }

    pub fn availability(&self, preemptive_percent: f64, now: Timestamp) -> Availability {
        if !self.enabled || self.status != AccountStatus::Ok || self.active_cooldown(now).is_some() {
            return Availability::Unusable;
        }
        match self
            .quota
            .as_ref()
            .and_then(|q| q.blocked_until(preemptive_percent, now))
        {
            Some(until) => Availability::Preemptive {
                until,
                used: self.quota.as_ref().map_or(0.0, |q| q.tightest_used(now)),
            },
            None => Availability::Usable,
        }
    }

    pub fn tightest_used(&self, now: Timestamp) -> f64 {
        self.quota.as_ref().map_or(0.0, |q| q.tightest_used(now))
    }

    /// Sets a cooldown of `base` doubled per repeat (a failure of the same family within the
    /// previous cooldown's length plus five minutes), capped at `cap`.
    pub fn cool_with_backoff(&mut self, reason: CoolReason, base: Duration, cap: Duration, now: Timestamp) {
        let len = self.next_backoff(reason, base, cap, now);
        self.cool_for(reason, len, now);
    }

    pub fn next_backoff(
        &mut self,
        reason: CoolReason,
        base: Duration,
        cap: Duration,
        now: Timestamp,
    ) -> Duration {
        const REPEAT_SLACK: Duration = Duration::from_secs(300);
        let prev = self.streaks.iter().find(|(r, _)| *r == reason).map(|(_, s)| *s);
        let count = match prev {
            Some(s) if now.since(s.last_at) <= Duration::from_millis(s.last_len_ms) + REPEAT_SLACK => {
                s.count + 1
            }
            _ => 1,
        };
        let factor = 1u32
            .checked_shl(count.saturating_sub(1).min(31))
            .unwrap_or(u32::MAX);
        let len = base.saturating_mul(factor).min(cap);
        let streak = Streak {
            count,
            last_at: now,
            last_len_ms: u64::try_from(len.as_millis()).unwrap_or(u64::MAX),
        };
        match self.streaks.iter_mut().find(|(r, _)| *r == reason) {
            Some(slot) => slot.1 = streak,
            None => self.streaks.push((reason, streak)),
        }
        len
    }

    pub fn cool_for(&mut self, reason: CoolReason, len: Duration, now: Timestamp) {
        self.cool_until(reason, now.plus(len));
    }

    /// Never shortens a longer cooldown already running (a usage limit stays a usage limit
    /// even if a server error arrives from a request that was already in flight).
    pub fn cool_until(&mut self, reason: CoolReason, until: Timestamp) {
        match self.cooldown {
            Some(c) if c.until >= until => {}
            _ => self.cooldown = Some(Cooldown { until, reason }),
        }
    }

    /// A success ends every backoff family.
    pub fn clear_failures(&mut self) {
        self.streaks.clear();
        self.deactivations.clear();
    }

    /// The displayed state, reason and end of the current condition.
    pub fn view_state(
        &self,
        preemptive_percent: f64,
        now: Timestamp,
    ) -> (State, Option<&'static str>, Option<Timestamp>) {
        if !self.enabled {
            return (State::Disabled, Some("user"), None);
        }
        match self.status {
            AccountStatus::NeedsLogin(r) => return (State::NeedsLogin, Some(r.as_str()), None),
            AccountStatus::DisabledByUpstream => {
                return (State::Disabled, Some("disabled_by_upstream"), None);
            }
            AccountStatus::NotEntitled => return (State::Disabled, Some("not_entitled"), None),
            AccountStatus::Ok => {}
        }
        if let Some(c) = self.active_cooldown(now) {
            return (c.reason.state(), Some(c.reason.state_reason()), Some(c.until));
        }
        if self.refreshing {
            return (State::CoolingDown, Some("refreshing"), None);
        }
        match self.availability(preemptive_percent, now) {
            Availability::Preemptive { until, .. } => (State::RateLimited, Some("preemptive"), until),
            _ => (State::Ready, None, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_unix_secs(s)
    }

    #[test]
    fn backoff_doubles_on_repeats_and_resets_after_quiet() {
        let mut a = Account::new("a", "a");
        let base = Duration::from_secs(4);
        let cap = Duration::from_secs(300);
        assert_eq!(
            a.next_backoff(CoolReason::ServerError, base, cap, t(0)),
            Duration::from_secs(4)
        );
        assert_eq!(
            a.next_backoff(CoolReason::ServerError, base, cap, t(5)),
            Duration::from_secs(8)
        );
        assert_eq!(
            a.next_backoff(CoolReason::ServerError, base, cap, t(20)),
            Duration::from_secs(16)
        );
        for i in 0..20 {
            a.next_backoff(CoolReason::ServerError, base, cap, t(30 + i));
        }
        assert_eq!(a.next_backoff(CoolReason::ServerError, base, cap, t(60)), cap);
        // Quiet for longer than the last cooldown plus five minutes: back to base.
        assert_eq!(a.next_backoff(CoolReason::ServerError, base, cap, t(2000)), base);
        // Families are independent.
        assert_eq!(
            a.next_backoff(CoolReason::NetworkError, Duration::from_secs(6), cap, t(2001)),
            Duration::from_secs(6)
        );
    }

    #[test]
    fn cooldown_never_shortened() {
        let mut a = Account::new("a", "a");
        a.cool_until(CoolReason::UsageLimit, t(1000));
        a.cool_until(CoolReason::ServerError, t(10));
        assert_eq!(a.cooldown.unwrap().reason, CoolReason::UsageLimit);
    }

    #[test]
    fn recent_requests_window() {
        let mut r = RecentRequests::default();
        r.add(t(0));
        r.add(t(5));
        r.add(t(100));
        assert_eq!(r.count(t(100)), 3);
        assert_eq!(r.count(t(305)), 1);
        assert_eq!(r.count(t(1000)), 0);
    }

    #[test]
    fn view_priorities() {
        let mut a = Account::new("a", "a");
        assert_eq!(a.view_state(97.0, t(0)).0, State::Ready);
        a.cool_until(CoolReason::ShortRateLimit, t(10));
        assert_eq!(
            a.view_state(97.0, t(0)),
            (State::RateLimited, Some("short_rate_limit"), Some(t(10)))
        );
        assert_eq!(a.view_state(97.0, t(11)).0, State::Ready);
        a.status = AccountStatus::NeedsLogin(NeedsLoginReason::RefreshFailed);
        assert_eq!(
            a.view_state(97.0, t(0)),
            (State::NeedsLogin, Some("refresh_failed"), None)
        );
        a.enabled = false;
        assert_eq!(a.view_state(97.0, t(0)).1, Some("user"));
    }
}
