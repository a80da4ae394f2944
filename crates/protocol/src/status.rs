//! The `status` document (SPEC §9, `docs/status-schema.md`, `docs/status.schema.json`): what
//! the daemon answers to `status` and pushes on `status.subscribe`, and what `codexctl` draws.
//!
//! One definition for both sides, so the daemon cannot emit a field the CLI does not know of.
//! The JSON is a stable contract read by checks outside the project: fields may be added,
//! never renamed or removed, and each keeps its nullability. Decoding is lenient where the
//! document grew over time (a member added later reads as its default), so a slightly older
//! daemon's document still draws. Accounts are named by label; emails, tokens and the client
//! key never appear.

#[path = "status_binding.rs"]
mod binding;
#[path = "status_quota.rs"]
mod quota;

use codex_router_core::Timestamp;
use serde::{Deserialize, Serialize};

pub use binding::BindingView;
pub use codex_router_core::pool::Counters;
pub use codex_router_core::ws_counters::WsCounters;
pub use quota::{PoolView, QuotaView, WindowView};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusDoc {
    pub daemon: DaemonSection,
    pub binding: BindingView,
    pub storage: StorageSection,
    pub counters: Counters,
    pub last_account: Option<String>,
    pub last_error: Option<LastErrorView>,
    /// When the next account comes back and how long the pool lasts.
    #[serde(default)]
    pub pool: PoolView,
    pub accounts: Vec<AccountRow>,
    /// The WebSocket transport (SPEC §4.4).
    #[serde(default)]
    pub websocket: WsCounters,
    /// Codex's own login while the native binding is active (SPEC §7); `null` otherwise.
    #[serde(default)]
    pub codex_login: Option<CodexLogin>,
    /// Every account linked to a Codex `auth.json`, and whether the router still keeps that
    /// login fresh: a link the router left alone is said here, not only in the log.
    #[serde(default)]
    pub codex_links: Vec<CodexLinkRow>,
    /// Only when the pool is empty: what to run to add an account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl StatusDoc {
    /// The links the router no longer keeps fresh: what `status` and `doctor` both warn about.
    pub fn link_problems(&self) -> impl Iterator<Item = &CodexLinkRow> {
        self.codex_links.iter().filter(|l| !l.is_ok())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaemonSection {
    pub pid: u32,
    pub version: String,
    #[serde(default)]
    pub instance_id: String,
    pub started_at: Timestamp,
    pub uptime_s: u64,
    pub listen: String,
    pub socket: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageSection {
    /// `ok`, `empty`, `missing` or `corrupt`.
    pub state: String,
    pub path: String,
    pub kept_aside: Option<String>,
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastErrorView {
    pub at: Timestamp,
    pub account: String,
    pub kind: String,
    pub http_status: Option<u16>,
}

/// One account; `accounts.list` extends the same row ([`crate::methods::AccountListRow`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountRow {
    pub id: String,
    pub label: String,
    pub state: String,
    pub state_reason: Option<String>,
    pub until: Option<Timestamp>,
    pub plan_type: Option<String>,
    pub quota: Option<QuotaView>,
    #[serde(default)]
    pub requests: u64,
    #[serde(default)]
    pub failures: u64,
    #[serde(default)]
    pub in_flight: u32,
    pub last_used: Option<Timestamp>,
    /// When a usage reading last ended a usage-limit cooldown before its announced time.
    #[serde(default)]
    pub reset_early_at: Option<Timestamp>,
}

/// The `codex_login` object (only while natively bound).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CodexLogin {
    /// `$CODEX_HOME/auth.json` holds a ChatGPT login.
    pub signed_in: bool,
    /// The pool account Codex is signed in to (label), `null` when it is not in the pool.
    pub account: Option<String>,
    pub in_pool: bool,
    /// Chosen only when no other account can serve (`[rotation] spare_codex_login`).
    pub spared: bool,
    /// That account's quota reading (its row's), when it is in the pool and has one: Codex
    /// refuses to send a message once *this* account is out of quota.
    pub quota: Option<QuotaView>,
}

/// One linked Codex `auth.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodexLinkRow {
    pub account: String,
    pub path: String,
    /// `ok`, `other_account`, `unreadable` or `write_failed`.
    pub state: String,
    pub message: Option<String>,
    pub fix: Option<String>,
}

impl CodexLinkRow {
    /// The router keeps this login fresh; nothing to say about it.
    pub fn is_ok(&self) -> bool {
        self.state == "ok"
    }
}

#[cfg(test)]
#[path = "status_tests.rs"]
mod tests;
