//! The quota parts of the `status` document (`docs/quota.md`): each account's reading with its
//! age and staleness, each window's countdown, and the `pool` object.
//!
//! A reading is a fact about the moment it was taken, so the document says how old it is
//! (`age_s`) and flags it `stale` once the poller should long have replaced it: a consumer
//! then shows it as "was 72 %", never as the account's state now.

use codex_router_core::Timestamp;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuotaView {
    pub primary: Option<WindowView>,
    pub secondary: Option<WindowView>,
    /// `headers` or `usage`.
    pub source: String,
    pub read_at: Timestamp,
    /// Whole seconds since `read_at` (0 for a reading stamped in the future).
    #[serde(default)]
    pub age_s: u64,
    /// Older than two poll intervals: shown as stale, not as fact.
    #[serde(default)]
    pub stale: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowView {
    pub used_percent: f64,
    pub window_minutes: Option<u32>,
    pub resets_at: Option<Timestamp>,
    /// Whole seconds until `resets_at` (0 once it has passed); `null` without a reset time.
    #[serde(default)]
    pub resets_in_s: Option<u64>,
}

/// The top-level `pool` object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolView {
    /// When the soonest rate-limited or cooling-down account becomes usable again.
    pub next_account_back_at: Option<Timestamp>,
    /// How long the quota left lasts at the current pace (`docs/quota.md`); `null` when unknown.
    pub lasts_s: Option<u64>,
}
