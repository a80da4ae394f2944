//! The `status --json` document (SPEC §9, `docs/status-schema.md`, `docs/status.schema.json`).
//!
//! Built from one [`Snapshot`] of the pool, taken under one lock with one clock reading, so the
//! counters, `last_account`/`last_error` and the account rows always describe the same instant
//! (review #10). Accounts are named by label; emails, tokens and the client key never appear.
//! These types are the IPC boundary of `status` and `status.subscribe`: fields may be added,
//! never renamed or removed. The quota fields and the `pool` object are in [`quota`], the pace
//! behind `pool.lasts_s` in [`pace`].

#[path = "status_pace.rs"]
pub mod pace;
#[path = "status_quota.rs"]
pub mod quota;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use codex_router_core::Timestamp;
use codex_router_core::pool::{AccountView, Counters, LastError, Snapshot};
use codex_router_runtime::{Runtime, StorageInfo};
use serde::Serialize;

use crate::binding::Binding;
use pace::Pace;
pub use quota::{PoolView, QuotaContext, QuotaView, WindowView, pool_view, quota_view};

/// What the daemon knows about itself from start-up, for the `daemon` object.
#[derive(Clone, Debug)]
pub struct DaemonFacts {
    pub pid: u32,
    pub version: &'static str,
    pub instance_id: String,
    pub started_at: Timestamp,
    pub listen: SocketAddr,
    pub socket: PathBuf,
    /// `bind/`: the bind state and the original Codex config.
    pub bind_dir: PathBuf,
    /// `$CODEX_HOME/config.toml`.
    pub codex_config: Option<PathBuf>,
}

#[derive(Clone, Debug, Serialize)]
pub struct StatusDoc {
    pub daemon: DaemonSection,
    pub binding: Binding,
    pub storage: StorageSection,
    pub counters: CountersView,
    pub last_account: Option<String>,
    pub last_error: Option<LastErrorView>,
    /// When the next account comes back and how long the pool lasts (issue 9).
    pub pool: PoolView,
    pub accounts: Vec<AccountRow>,
    /// The WebSocket transport (SPEC §4.4).
    pub websocket: WebsocketView,
    /// Codex's own login while the native binding is active (SPEC §7); `null` otherwise.
    pub codex_login: Option<crate::native::CodexLogin>,
    /// Every account linked to a Codex `auth.json`, and whether the router still keeps that
    /// login fresh (issue 16: a link the router left alone is said here, not only in the log).
    pub codex_links: Vec<CodexLinkRow>,
    /// Only when the pool is empty: what to run to add an account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// Client WebSocket connections and what they did since start.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct WebsocketView {
    /// Connections open now.
    pub open: u64,
    pub connections: u64,
    /// `response.create` requests served over WebSocket.
    pub responses: u64,
    /// Of those, sent upstream with only their new items.
    pub incremental: u64,
    /// Re-sent in full from the kept context (moves, reconnects, HTTP fallback).
    pub full_resends: u64,
    /// Upstream connections reopened for the same account (60-minute limit).
    pub forced_reconnects: u64,
    /// Connections served over HTTP upstream (the upstream refused WebSocket).
    pub http_fallbacks: u64,
    /// Conversation context kept for moves, over all connections.
    pub context_bytes: u64,
}

/// One linked Codex `auth.json` (see `docs/status-schema.md`).
#[derive(Clone, Debug, Serialize)]
pub struct CodexLinkRow {
    pub account: String,
    pub path: String,
    /// `ok`, `other_account`, `unreadable` or `write_failed`.
    pub state: &'static str,
    pub message: Option<String>,
    pub fix: Option<String>,
}

impl From<codex_router_store::linked::LinkHealth> for CodexLinkRow {
    fn from(h: codex_router_store::linked::LinkHealth) -> Self {
        Self {
            account: h.label,
            path: h.path.display().to_string(),
            state: h.state,
            message: h.message,
            fix: h.fix,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct DaemonSection {
    pub pid: u32,
    pub version: &'static str,
    pub instance_id: String,
    pub started_at: Timestamp,
    pub uptime_s: u64,
    pub listen: String,
    pub socket: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct StorageSection {
    pub state: &'static str,
    pub path: String,
    pub kept_aside: Option<String>,
    pub reason: Option<String>,
}

/// SPEC §9's ten counters, then later additions. Mapped field by field, so a counter added to
/// the core reaches this stable document only when someone documents it here.
#[derive(Clone, Debug, Serialize)]
pub struct CountersView {
    pub total_requests: u64,
    pub upstream_requests: u64,
    pub retries: u64,
    pub rotations: u64,
    pub streams_started: u64,
    pub streams_completed: u64,
    pub streams_failed: u64,
    pub refreshes: u64,
    pub refresh_failures: u64,
    pub pool_exhausted: u64,
    pub early_resets: u64,
    pub usage_polls: u64,
    pub usage_poll_failures: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct LastErrorView {
    pub at: Timestamp,
    pub account: String,
    pub kind: &'static str,
    pub http_status: Option<u16>,
}

#[derive(Clone, Debug, Serialize)]
pub struct AccountRow {
    pub id: String,
    pub label: String,
    pub state: &'static str,
    pub state_reason: Option<&'static str>,
    pub until: Option<Timestamp>,
    pub plan_type: Option<String>,
    pub quota: Option<QuotaView>,
    pub requests: u64,
    pub failures: u64,
    pub in_flight: u32,
    pub last_used: Option<Timestamp>,
    /// When a usage reading last ended a usage-limit cooldown before its announced time.
    pub reset_early_at: Option<Timestamp>,
}

/// Reads everything the document needs: one clock reading, one pool lock. `binding` was read
/// beforehand, off the runtime worker (see `Control::binding`). The snapshot
/// also feeds `pace`, so every document adds to the history `pool.lasts_s` comes from.
pub fn document(
    facts: &DaemonFacts,
    runtime: &Runtime,
    binding: Binding,
    pace: &Pace,
    poll_interval: Duration,
    websocket: WebsocketView,
    codex_login: Option<crate::native::CodexLogin>,
) -> StatusDoc {
    let now = runtime.now();
    let (snap, preemptive) =
        runtime.with_pool_read(|p| (p.snapshot(now), p.config().preemptive_quota_percent));
    pace.observe(&snap, now);
    let quota_ctx = QuotaContext::new(poll_interval, pace.lasts(&snap, preemptive, now));
    let mut doc = build(facts, &snap, &runtime.storage(), binding, &quota_ctx, now);
    doc.websocket = websocket;
    doc.codex_login = codex_login.map(|mut l| {
        l.quota = l
            .account
            .as_ref()
            .and_then(|label| doc.accounts.iter().find(|a| &a.label == label))
            .and_then(|a| a.quota.clone());
        l
    });
    doc.codex_links = runtime.codex_links().into_iter().map(Into::into).collect();
    doc
}

/// The document from its parts; pure, so tests can pin every case.
pub fn build(
    facts: &DaemonFacts,
    snap: &Snapshot,
    storage: &StorageInfo,
    binding: Binding,
    quota_ctx: &QuotaContext,
    now: Timestamp,
) -> StatusDoc {
    let storage = StorageSection {
        state: storage.state,
        path: storage.path.display().to_string(),
        kept_aside: storage.kept_aside.as_ref().map(|p| p.display().to_string()),
        reason: storage.reason.clone(),
    };
    let hint = snap.accounts.is_empty().then(|| empty_pool_hint(&storage));
    StatusDoc {
        daemon: DaemonSection {
            pid: facts.pid,
            version: facts.version,
            instance_id: facts.instance_id.clone(),
            started_at: facts.started_at,
            uptime_s: now.since(facts.started_at).as_secs(),
            listen: facts.listen.to_string(),
            socket: facts.socket.display().to_string(),
        },
        binding,
        storage,
        counters: counters(&snap.counters),
        last_account: snap.last_account.clone(),
        last_error: snap.last_error.as_ref().map(last_error),
        pool: pool_view(snap, quota_ctx, now),
        accounts: snap
            .accounts
            .iter()
            .map(|a| account_row(a, now, quota_ctx.stale_after))
            .collect(),
        websocket: WebsocketView::default(),
        codex_login: None,
        codex_links: Vec::new(),
        hint,
    }
}

fn empty_pool_hint(storage: &StorageSection) -> String {
    let add =
        "add one with `codexctl accounts login` (or `codexctl accounts import` to reuse Codex's own login)";
    match &storage.kept_aside {
        Some(aside) => {
            format!("accounts.json could not be read and was kept aside as {aside}; fix it, or {add}")
        }
        None => format!("no accounts yet: {add}"),
    }
}

fn counters(c: &Counters) -> CountersView {
    CountersView {
        total_requests: c.total_requests,
        upstream_requests: c.upstream_requests,
        retries: c.retries,
        rotations: c.rotations,
        streams_started: c.streams_started,
        streams_completed: c.streams_completed,
        streams_failed: c.streams_failed,
        refreshes: c.refreshes,
        refresh_failures: c.refresh_failures,
        pool_exhausted: c.pool_exhausted,
        early_resets: c.early_resets,
        usage_polls: c.usage_polls,
        usage_poll_failures: c.usage_poll_failures,
    }
}

fn last_error(e: &LastError) -> LastErrorView {
    LastErrorView {
        at: e.at,
        account: e.account.clone(),
        kind: e.kind,
        http_status: e.http_status,
    }
}

/// One account row; `accounts.list` extends the same row. `stale_after`: two poll intervals.
pub fn account_row(a: &AccountView, now: Timestamp, stale_after: Duration) -> AccountRow {
    AccountRow {
        id: a.id.clone(),
        label: a.label.clone(),
        state: a.state.as_str(),
        state_reason: a.state_reason,
        until: a.until,
        plan_type: a.plan_type.clone(),
        quota: a.quota.as_ref().map(|q| quota_view(q, now, stale_after)),
        requests: a.requests,
        failures: a.failures,
        in_flight: a.in_flight,
        last_used: a.last_used,
        reset_early_at: a.reset_early_at,
    }
}

#[cfg(test)]
#[path = "status_tests.rs"]
mod tests;
