//! The human `status` view, drawn from the daemon's snapshot (`docs/status-schema.md`),
//! decoded into the protocol's [`StatusDoc`]. Decoding ignores members it does not know and
//! defaults the ones added over time, so a newer or slightly older daemon still draws; a reply
//! that is not a status document is rejected with its raw text. The quota cells and the pool
//! line are in [`quota`].

#[path = "status_render_quota.rs"]
pub mod quota;

use codex_router_core::Timestamp;
use codex_router_protocol::status::{
    AccountRow, CodexLogin, Counters, DaemonSection, LastErrorView, StatusDoc, StorageSection, WsCounters,
};
use serde_json::Value;

use crate::binding;
use crate::table::Table;
use crate::timefmt::{relative, span};
use quota::{pool_line, reading_cell, reset_early_note, window_cells};

pub const NO_ACCOUNTS: &str =
    "no accounts yet: add one with `codexctl accounts login` or `codexctl accounts import`";

/// The whole screen, or an error quoting the raw reply when it is not a status document.
pub fn render(status: &Value, now: Timestamp) -> anyhow::Result<String> {
    let doc: StatusDoc = serde_json::from_value(status.clone())
        .map_err(|err| anyhow::anyhow!("unexpected status reply from codex-routerd ({err}): {status}"))?;
    Ok(render_doc(&doc, now))
}

pub fn render_doc(doc: &StatusDoc, now: Timestamp) -> String {
    let mut out = String::new();
    out.push_str(&format!("daemon    {}\n", daemon_line(&doc.daemon, now)));
    out.push_str(&format!("binding   {}\n", binding::describe(&doc.binding, true)));
    if let Some(storage) = storage_line(&doc.storage) {
        out.push_str(&format!("storage   {storage}\n"));
    }
    out.push_str(&format!("counters  {}\n", counters_line(&doc.counters)));
    out.push_str(&format!(
        "last      {}\n",
        last_line(doc.last_account.as_deref(), doc.last_error.as_ref(), now)
    ));
    if let Some(line) = websocket_line(&doc.websocket) {
        out.push_str(&format!("websocket {line}\n"));
    }
    if let Some(line) = doc.codex_login.as_ref().map(codex_login_line) {
        out.push_str(&format!("codex login {line}\n"));
    }
    for line in codex_link_lines(doc) {
        out.push_str(&format!("codex auth {line}\n"));
    }
    if !doc.accounts.is_empty() {
        out.push_str(&format!("pool      {}\n", pool_line(&doc.pool, now)));
    }
    out.push('\n');
    if doc.accounts.is_empty() {
        // The daemon's own hint knows more (e.g. that accounts.json was kept aside).
        out.push_str(doc.hint.as_deref().unwrap_or(NO_ACCOUNTS));
        out.push('\n');
    } else {
        out.push_str(&accounts_table(&doc.accounts, now));
    }
    out
}

fn daemon_line(d: &DaemonSection, now: Timestamp) -> String {
    format!(
        "running: pid {}, version {}, up {}, listening on {}",
        d.pid,
        d.version,
        span(d.started_at.until(now)),
        d.listen,
    )
}

/// One line per linked Codex `auth.json` the router no longer keeps fresh, with its fix.
pub fn codex_link_lines(doc: &StatusDoc) -> Vec<String> {
    doc.link_problems()
        .map(|l| {
            format!(
                "{} ({}). Fix: {}",
                l.message.as_deref().unwrap_or("the link is not in use"),
                l.state,
                l.fix.as_deref().unwrap_or("`codexctl doctor`")
            )
        })
        .collect()
}

/// Only once a client has used the WebSocket transport.
fn websocket_line(w: &WsCounters) -> Option<String> {
    (w.connections > 0).then(|| {
        format!(
            "{} open ({} since start); {} responses, {} incremental, {} re-sent in full, {} reconnects, {} over HTTP; {} KiB of context kept",
            w.open,
            w.connections,
            w.responses,
            w.incremental,
            w.full_resends,
            w.forced_reconnects,
            w.http_fallbacks,
            w.context_bytes / 1024,
        )
    })
}

/// Under the native binding: which account Codex itself is signed in to, and whether it is spared.
fn codex_login_line(l: &CodexLogin) -> String {
    if !l.signed_in {
        return "Codex is signed out: run `codex login` (the native binding uses Codex's own login)"
            .to_owned();
    }
    match &l.account {
        Some(label) if l.spared => {
            format!("{label} (in the pool, spared: it serves only when no other account can)")
        }
        Some(label) => format!("{label} (in the pool)"),
        None => "an account outside the pool".to_owned(),
    }
}

/// Only worth a line when something is off.
fn storage_line(s: &StorageSection) -> Option<String> {
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
    match s.state.as_str() {
        "ok" => None,
        "corrupt" => Some(format!(
            "corrupt: {} was unreadable ({}) and kept aside as {}; the pool started empty",
            s.path,
            or_dash(&s.reason),
            or_dash(&s.kept_aside)
        )),
        other => Some(format!("{other}: {}", s.path)),
    }
}

fn counters_line(c: &Counters) -> String {
    format!(
        "{} requests, {} upstream calls, {} retries, {} rotations; streams {} started, {} completed, {} failed; \
         refreshes {} ({} failed); pool exhausted {}; usage polls {} ({} failed), early resets {}",
        c.total_requests,
        c.upstream_requests,
        c.retries,
        c.rotations,
        c.streams_started,
        c.streams_completed,
        c.streams_failed,
        c.refreshes,
        c.refresh_failures,
        c.pool_exhausted,
        c.usage_polls,
        c.usage_poll_failures,
        c.early_resets,
    )
}

fn last_line(account: Option<&str>, error: Option<&LastErrorView>, now: Timestamp) -> String {
    let mut line = format!("account {}", account.unwrap_or("-"));
    match error {
        Some(e) => {
            let status = e.http_status.map(|s| format!(" (HTTP {s})")).unwrap_or_default();
            line.push_str(&format!(
                "; error {} on {}: {}{status}",
                relative(e.at, now),
                e.account,
                e.kind,
            ));
        }
        None => line.push_str("; no errors"),
    }
    line
}

fn accounts_table(rows: &[AccountRow], now: Timestamp) -> String {
    let mut t = Table::new(&[
        "#",
        "LABEL",
        "STATE",
        "UNTIL",
        "PRIMARY",
        "SECONDARY",
        "READING",
        "REQ",
        "FAIL",
        "IN-FLIGHT",
        "LAST USED",
    ]);
    let when = |t: Option<Timestamp>| t.map_or_else(|| "-".to_owned(), |t| relative(t, now));
    for (i, a) in rows.iter().enumerate() {
        let [primary, secondary] = window_cells(a.quota.as_ref(), now);
        t.row(vec![
            (i + 1).to_string(),
            a.label.clone(),
            format!(
                "{}{}",
                state_cell(&a.state, a.state_reason.as_deref()),
                reset_early_note(a.reset_early_at, now)
            ),
            when(a.until),
            primary,
            secondary,
            reading_cell(a.quota.as_ref(), now),
            a.requests.to_string(),
            a.failures.to_string(),
            a.in_flight.to_string(),
            when(a.last_used),
        ]);
    }
    t.render()
}

/// `rate_limited (usage_limit)`, or just `ready`.
pub fn state_cell(state: &str, reason: Option<&str>) -> String {
    match reason {
        Some(reason) => format!("{state} ({reason})"),
        None => state.to_owned(),
    }
}

/// A JSON value for a table cell: strings unquoted, `null`/absent as `-`.
pub fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "-".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
#[path = "status_render_tests.rs"]
mod tests;
