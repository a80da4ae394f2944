//! Applying `/wham/usage` readings (docs/quota.md): a usage reading can end a usage-limit cooldown
//! early when it shows the window already reset — the upstream sometimes resets windows before
//! the time it announced, and an account stranded in a multi-day cooldown is paid quota lost.

use std::time::Duration;

use crate::Timestamp;
use crate::account::{AccountStatus, CoolReason};
use crate::pool::Pool;
use crate::quota::QuotaReading;

/// How often an account rate limited until a later time is polled anyway, to catch early resets.
pub const EARLY_RESET_PROBE: Duration = Duration::from_secs(15 * 60);
/// Poll this soon after a window's announced reset.
pub const AFTER_RESET_DELAY: Duration = Duration::from_secs(30);

/// What a reading did to the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    Updated,
    /// A usage-limit cooldown ended because every window is below the preemptive threshold.
    ResetEarly,
    UnknownAccount,
}

impl Pool {
    /// Stores a usage reading (the newer reading wins) and ends a usage-limit cooldown when the
    /// reading shows no window at or above the preemptive threshold.
    pub fn apply_usage(&mut self, id: &str, reading: QuotaReading, now: Timestamp) -> Applied {
        let pct = self.config.preemptive_quota_percent;
        let Some(a) = self.account_mut(id) else {
            return Applied::UnknownAccount;
        };
        let limited = a
            .active_cooldown(now)
            .is_some_and(|c| c.reason == CoolReason::UsageLimit);
        let reset = limited && reading.blocked_until(pct, now).is_none();
        if a.quota.as_ref().is_none_or(|q| q.read_at <= reading.read_at) {
            a.quota = Some(reading);
        }
        self.counters.usage_polls += 1;
        if !reset {
            return Applied::Updated;
        }
        if let Some(a) = self.account_mut(id) {
            a.cooldown = None;
            a.streaks.retain(|(r, _)| *r != CoolReason::UsageLimit);
            a.reset_early_at = Some(now);
        }
        self.counters.early_resets += 1;
        Applied::ResetEarly
    }

    pub fn note_usage_poll_failure(&mut self) {
        self.counters.usage_poll_failures += 1;
    }

    /// When the account should next be polled, given when it was last polled and the interval.
    /// `None`: never (disabled, needs login, not entitled).
    pub fn next_usage_poll(
        &self,
        id: &str,
        last: Option<Timestamp>,
        interval: Duration,
        now: Timestamp,
    ) -> Option<Timestamp> {
        let a = self.account(id)?;
        if !a.enabled || a.status != AccountStatus::Ok {
            return None;
        }
        let Some(last) = last else { return Some(now) };
        let regular = last.plus(interval);
        match a.active_cooldown(now) {
            Some(c) if c.reason == CoolReason::UsageLimit => {
                // Shortly after the announced reset, and at a bounded rate before it.
                let after_reset = c.until.plus(AFTER_RESET_DELAY);
                Some(after_reset.min(last.plus(EARLY_RESET_PROBE)).min(regular))
            }
            _ => Some(regular),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::AccountStatus;
    use crate::pool::{AccountMeta, PoolConfig};
    use crate::quota::{QuotaSource, QuotaWindow};

    fn t(s: i64) -> Timestamp {
        Timestamp::from_unix_secs(1_800_000_000 + s)
    }

    fn pool() -> Pool {
        let mut p = Pool::new(PoolConfig::default());
        p.sync_accounts(vec![AccountMeta {
            id: "a".into(),
            label: "a".into(),
            plan_type: None,
            enabled: true,
            status: AccountStatus::Ok,
        }]);
        p
    }

    fn reading(used: f64, reset: Timestamp, now: Timestamp) -> QuotaReading {
        QuotaReading {
            primary: Some(QuotaWindow {
                used_percent: used,
                window_minutes: Some(300),
                resets_at: Some(reset),
            }),
            secondary: None,
            source: QuotaSource::Usage,
            read_at: now,
            plan_type: None,
        }
    }

    #[test]
    fn a_reset_window_ends_the_cooldown_early() {
        let mut p = pool();
        p.account_mut("a")
            .unwrap()
            .cool_until(CoolReason::UsageLimit, t(3 * 86_400));
        assert_eq!(
            p.apply_usage("a", reading(100.0, t(3 * 86_400), t(10)), t(10)),
            Applied::Updated
        );
        assert!(p.account("a").unwrap().active_cooldown(t(11)).is_some());
        assert_eq!(
            p.apply_usage("a", reading(3.0, t(18_000), t(7200)), t(7200)),
            Applied::ResetEarly
        );
        assert!(p.account("a").unwrap().active_cooldown(t(7201)).is_none());
        assert_eq!(p.counters().early_resets, 1);
        assert_eq!(p.snapshot(t(7201)).accounts[0].state_reason, None);
    }

    #[test]
    fn other_cooldowns_are_not_ended_by_a_reading() {
        let mut p = pool();
        p.account_mut("a")
            .unwrap()
            .cool_until(CoolReason::ServerError, t(100));
        assert_eq!(
            p.apply_usage("a", reading(1.0, t(500), t(1)), t(1)),
            Applied::Updated
        );
        assert!(p.account("a").unwrap().active_cooldown(t(2)).is_some());
    }

    #[test]
    fn poll_schedule() {
        let mut p = pool();
        let iv = Duration::from_secs(300);
        assert_eq!(p.next_usage_poll("a", None, iv, t(0)), Some(t(0)));
        assert_eq!(p.next_usage_poll("a", Some(t(0)), iv, t(1)), Some(t(300)));
        p.account_mut("a")
            .unwrap()
            .cool_until(CoolReason::UsageLimit, t(86_400));
        let iv_long = Duration::from_secs(3600);
        assert_eq!(
            p.next_usage_poll("a", Some(t(0)), iv_long, t(1)),
            Some(t(900)),
            "early-reset probe"
        );
        p.account_mut("a").unwrap().enabled = false;
        assert_eq!(p.next_usage_poll("a", Some(t(0)), iv, t(1)), None);
    }
}
