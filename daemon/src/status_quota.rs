//! The quota parts of `status --json`: each account's reading with its age and staleness, each
//! window's countdown, and the `pool` object (`docs/quota.md`).
//!
//! A reading is a fact about the moment it was taken. The document therefore says how old it is
//! (`age_s`) and flags it `stale` once it is older than two poll intervals, when the poller
//! should long have replaced it (the account is not polled, or its polls fail): a consumer then
//! shows it as "was 72 %", never as the account's state now.

use std::time::Duration;

use codex_router_core::Timestamp;
use codex_router_core::account::State;
use codex_router_core::pool::Snapshot;
use codex_router_core::quota::{QuotaReading, QuotaSource, QuotaWindow};
use codex_router_protocol::status::{PoolView, QuotaView, WindowView};

/// What the quota fields need beyond the snapshot.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuotaContext {
    /// A reading older than this is stale: two `[quota] poll_interval`s.
    pub stale_after: Duration,
    /// `pool.lasts_s`, estimated by [`super::pace::Pace`]; `None` when unknown.
    pub lasts: Option<Duration>,
}

impl QuotaContext {
    pub fn new(poll_interval: Duration, lasts: Option<Duration>) -> Self {
        Self {
            stale_after: poll_interval.saturating_mul(2),
            lasts,
        }
    }
}

pub fn quota_view(q: &QuotaReading, now: Timestamp, stale_after: Duration) -> QuotaView {
    let window = |w: &QuotaWindow| WindowView {
        used_percent: w.used_percent,
        window_minutes: w.window_minutes,
        resets_at: w.resets_at,
        resets_in_s: w.resets_at.map(|r| now.until(r).as_secs()),
    };
    let age = q.read_at.until(now);
    QuotaView {
        primary: q.primary.as_ref().map(window),
        secondary: q.secondary.as_ref().map(window),
        source: match q.source {
            QuotaSource::Headers => "headers",
            QuotaSource::Usage => "usage",
        }
        .to_owned(),
        read_at: q.read_at,
        age_s: age.as_secs(),
        stale: age > stale_after,
    }
}

pub fn pool_view(snap: &Snapshot, ctx: &QuotaContext, now: Timestamp) -> PoolView {
    PoolView {
        next_account_back_at: next_account_back(snap, now),
        lasts_s: ctx.lasts.map(|d| d.as_secs()),
    }
}

/// The soonest end of a cooldown or rate limit. Disabled and logged-out accounts do not come
/// back by themselves, and a limit without a known end cannot be counted on.
pub fn next_account_back(snap: &Snapshot, now: Timestamp) -> Option<Timestamp> {
    snap.accounts
        .iter()
        .filter(|a| matches!(a.state, State::RateLimited | State::CoolingDown))
        .filter_map(|a| a.until)
        .filter(|until| *until > now)
        .min()
}
