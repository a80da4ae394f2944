//! The rotation settings the pool runs with (SPEC §8 `[rotation]`) and their defaults.
//!
//! They live here rather than in the settings crate because the pool is what they configure:
//! the settings crate validates `config.toml` into these very types, so a default or a
//! strategy's spelling has one home.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// How a new session (or a request without one) picks its account (SPEC §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Most remaining quota, then fewest in flight, then least recently used.
    #[default]
    Sticky,
    RoundRobin,
    FillFirst,
    LeastUsed,
    /// Spend quota that would expire unused first: the account whose live window resets
    /// soonest, then the most remaining quota.
    ResetAware,
}

impl Strategy {
    pub const ALL: [Strategy; 5] = [
        Strategy::Sticky,
        Strategy::RoundRobin,
        Strategy::FillFirst,
        Strategy::LeastUsed,
        Strategy::ResetAware,
    ];

    /// The spelling in `config.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Sticky => "sticky",
            Strategy::RoundRobin => "round-robin",
            Strategy::FillFirst => "fill-first",
            Strategy::LeastUsed => "least-used",
            Strategy::ResetAware => "reset-aware",
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The unrecognised text is not kept: the caller already has it for its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownStrategy;

impl FromStr for Strategy {
    type Err = UnknownStrategy;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Strategy::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or(UnknownStrategy)
    }
}

/// The rotation settings the core needs; `config.toml`'s `[rotation]` table, less the keys that
/// belong to the daemon.
#[derive(Clone, Debug, PartialEq)]
pub struct PoolConfig {
    pub strategy: Strategy,
    /// Different accounts tried per request, at most.
    pub max_attempts: u32,
    /// Sliding lifetime of a session → account binding.
    pub session_ttl: Duration,
    pub max_sessions: usize,
    /// A quota window at or above this percentage makes an account unusable until it resets.
    pub preemptive_quota_percent: f64,
    /// Cooldown after a usage-limit 429 that names no reset.
    pub rate_limit_default: Duration,
    /// First cooldown after a 5xx; doubles on repeats.
    pub server_error_base: Duration,
    /// First cooldown after a connect error or timeout; doubles on repeats.
    pub network_error_base: Duration,
    /// Cap of the doubling cooldowns above.
    pub backoff_max: Duration,
    /// This many different accounts failing within `outage_window` is an upstream outage.
    pub outage_accounts: u32,
    pub outage_window: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            strategy: Strategy::Sticky,
            max_attempts: 4,
            session_ttl: Duration::from_secs(30 * 60),
            max_sessions: 10_000,
            preemptive_quota_percent: 97.0,
            rate_limit_default: Duration::from_secs(60),
            server_error_base: Duration::from_secs(4),
            network_error_base: Duration::from_secs(6),
            backoff_max: Duration::from_secs(5 * 60),
            outage_accounts: 3,
            outage_window: Duration::from_secs(10),
        }
    }
}
