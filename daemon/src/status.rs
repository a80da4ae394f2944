//! Builds the `status --json` document (SPEC §9, `docs/status-schema.md`); its types are the
//! wire contract in `codex_router_protocol::status`.
//!
//! Built from one [`Snapshot`] of the pool, taken under one lock with one clock reading, so the
//! counters, `last_account`/`last_error` and the account rows always describe the same instant.
//! Accounts are named by label; emails, tokens and the client key never appear. The quota
//! fields and the `pool` object are in [`quota`], the pace behind `pool.lasts_s` in [`pace`].

#[path = "status_pace.rs"]
pub mod pace;
#[path = "status_quota.rs"]
pub mod quota;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use codex_router_core::Timestamp;
use codex_router_core::pool::{AccountView, LastError, Snapshot};
use codex_router_core::ws_counters::WsCounters;
use codex_router_protocol::status::{
    AccountRow, CodexLinkRow, CodexLogin, DaemonSection, LastErrorView, StatusDoc, StorageSection,
};
use codex_router_runtime::{Runtime, StorageInfo};

use crate::binding::Binding;
use pace::Pace;
pub use quota::{QuotaContext, pool_view, quota_view};

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

/// Reads everything the document needs: one clock reading, one pool lock. `binding` was read
/// beforehand, off the runtime worker (see `Control::binding`). The snapshot
/// also feeds `pace`, so every document adds to the history `pool.lasts_s` comes from.
pub fn document(
    facts: &DaemonFacts,
    runtime: &Runtime,
    binding: Binding,
    pace: &Pace,
    poll_interval: Duration,
    websocket: WsCounters,
    codex_login: Option<CodexLogin>,
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
    doc.codex_links = runtime.codex_links().into_iter().map(link_row).collect();
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
        state: storage.state.to_owned(),
        path: storage.path.display().to_string(),
        kept_aside: storage.kept_aside.as_ref().map(|p| p.display().to_string()),
        reason: storage.reason.clone(),
    };
    let hint = snap.accounts.is_empty().then(|| empty_pool_hint(&storage));
    StatusDoc {
        daemon: DaemonSection {
            pid: facts.pid,
            version: facts.version.to_owned(),
            instance_id: facts.instance_id.clone(),
            started_at: facts.started_at,
            uptime_s: now.since(facts.started_at).as_secs(),
            listen: facts.listen.to_string(),
            socket: facts.socket.display().to_string(),
        },
        binding,
        storage,
        counters: snap.counters.clone(),
        last_account: snap.last_account.clone(),
        last_error: snap.last_error.as_ref().map(last_error),
        pool: pool_view(snap, quota_ctx, now),
        accounts: snap
            .accounts
            .iter()
            .map(|a| account_row(a, now, quota_ctx.stale_after))
            .collect(),
        websocket: WsCounters::default(),
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

/// One linked Codex `auth.json`, as the runtime judged it.
fn link_row(h: codex_router_store::linked::LinkHealth) -> CodexLinkRow {
    CodexLinkRow {
        account: h.label,
        path: h.path.display().to_string(),
        state: h.state.to_owned(),
        message: h.message,
        fix: h.fix,
    }
}

fn last_error(e: &LastError) -> LastErrorView {
    LastErrorView {
        at: e.at,
        account: e.account.clone(),
        kind: e.kind.to_owned(),
        http_status: e.http_status,
    }
}

/// One account row; `accounts.list` extends the same row. `stale_after`: two poll intervals.
pub fn account_row(a: &AccountView, now: Timestamp, stale_after: Duration) -> AccountRow {
    AccountRow {
        id: a.id.clone(),
        label: a.label.clone(),
        state: a.state.as_str().to_owned(),
        state_reason: a.state_reason.map(str::to_owned),
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
