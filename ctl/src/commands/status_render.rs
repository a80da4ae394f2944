//! The human `status` view, drawn from the daemon's snapshot (`docs/status-schema.md`).
//!
//! The snapshot is read as loose JSON, not a typed struct: a newer daemon may add fields and an
//! older one may lack some, and a status screen that refuses to draw helps nobody. A missing
//! value shows as `-`. Only a reply that is not an object at all is rejected, with the raw text
//! (review #36). The quota cells and the pool line are in [`quota`].

#[path = "status_render_quota.rs"]
pub mod quota;

use codex_router_core::Timestamp;
use serde_json::Value;

use crate::binding;
use crate::table::Table;
use crate::timefmt::{relative_str, span};
use quota::{pool_line, reading_cell, reset_early_note, window_cell};

pub const NO_ACCOUNTS: &str =
    "no accounts yet: add one with `codexctl accounts login` or `codexctl accounts import`";

/// The whole screen, or an error quoting the raw reply.
pub fn render(status: &Value, now: Timestamp) -> anyhow::Result<String> {
    let Some(obj) = status.as_object() else {
        anyhow::bail!("unexpected status reply from codex-routerd: {status}");
    };
    let null = Value::Null;
    let get = |k: &str| obj.get(k).unwrap_or(&null);
    let mut out = String::new();
    out.push_str(&format!("daemon    {}\n", daemon_line(get("daemon"), now)));
    out.push_str(&format!(
        "binding   {}\n",
        binding::describe(get("binding"), true)
    ));
    if let Some(storage) = storage_line(get("storage")) {
        out.push_str(&format!("storage   {storage}\n"));
    }
    out.push_str(&format!("counters  {}\n", counters_line(get("counters"))));
    out.push_str(&format!(
        "last      {}\n",
        last_line(get("last_account"), get("last_error"), now)
    ));
    if let Some(line) = websocket_line(get("websocket")) {
        out.push_str(&format!("websocket {line}\n"));
    }
    if let Some(line) = codex_login_line(get("codex_login")) {
        out.push_str(&format!("codex login {line}\n"));
    }
    for line in codex_link_lines(get("codex_links")) {
        out.push_str(&format!("codex auth {line}\n"));
    }
    let has_accounts = get("accounts").as_array().is_some_and(|a| !a.is_empty());
    if has_accounts && get("pool").is_object() {
        out.push_str(&format!("pool      {}\n", pool_line(get("pool"), now)));
    }
    out.push('\n');
    match get("accounts").as_array() {
        Some(rows) if !rows.is_empty() => out.push_str(&accounts_table(rows, now)),
        // The daemon's own hint knows more (e.g. that accounts.json was kept aside).
        _ => {
            out.push_str(get("hint").as_str().unwrap_or(NO_ACCOUNTS));
            out.push('\n');
        }
    }
    Ok(out)
}

fn daemon_line(d: &Value, now: Timestamp) -> String {
    let uptime = d
        .get("started_at")
        .and_then(Value::as_str)
        .and_then(|s| Timestamp::parse_rfc3339(s).ok())
        .map(|t| span(t.until(now)))
        .or_else(|| {
            d.get("uptime_s")
                .and_then(Value::as_u64)
                .map(|s| span(std::time::Duration::from_secs(s)))
        })
        .unwrap_or_else(|| "-".to_owned());
    format!(
        "running: pid {}, version {}, up {uptime}, listening on {}",
        text(d.get("pid")),
        text(d.get("version")),
        text(d.get("listen")),
    )
}

/// Only worth a line when something is off.
/// One line per linked Codex `auth.json` the router no longer keeps fresh, with its fix.
pub fn codex_link_lines(links: &Value) -> Vec<String> {
    links
        .as_array()
        .map(|links| {
            links
                .iter()
                .filter(|l| l["state"] != "ok")
                .map(|l| {
                    format!(
                        "{} ({}). Fix: {}",
                        l["message"].as_str().unwrap_or("the link is not in use"),
                        l["state"].as_str().unwrap_or("?"),
                        l["fix"].as_str().unwrap_or("`codexctl doctor`")
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Only once a client has used the WebSocket transport.
fn websocket_line(w: &Value) -> Option<String> {
    let n = |k: &str| w.get(k).and_then(Value::as_u64).unwrap_or(0);
    (n("connections") > 0).then(|| {
        format!(
            "{} open ({} since start); {} responses, {} incremental, {} re-sent in full, {} reconnects, {} over HTTP; {} KiB of context kept",
            n("open"),
            n("connections"),
            n("responses"),
            n("incremental"),
            n("full_resends"),
            n("forced_reconnects"),
            n("http_fallbacks"),
            n("context_bytes") / 1024,
        )
    })
}

/// Under the native binding: which account Codex itself is signed in to, and whether it is spared.
fn codex_login_line(l: &Value) -> Option<String> {
    if !l.is_object() {
        return None;
    }
    if l["signed_in"] != true {
        return Some(
            "Codex is signed out: run `codex login` (the native binding uses Codex's own login)".to_owned(),
        );
    }
    Some(match l["account"].as_str() {
        Some(label) if l["spared"] == true => {
            format!("{label} (in the pool, spared: it serves only when no other account can)")
        }
        Some(label) => format!("{label} (in the pool)"),
        None => "an account outside the pool".to_owned(),
    })
}

fn storage_line(s: &Value) -> Option<String> {
    let state = s.get("state").and_then(Value::as_str)?;
    let path = text(s.get("path"));
    match state {
        "ok" => None,
        "corrupt" => Some(format!(
            "corrupt: {path} was unreadable ({}) and kept aside as {}; the pool started empty",
            text(s.get("reason")),
            text(s.get("kept_aside"))
        )),
        other => Some(format!("{other}: {path}")),
    }
}

fn counters_line(c: &Value) -> String {
    let n = |k: &str| text(c.get(k));
    format!(
        "{} requests, {} upstream calls, {} retries, {} rotations; streams {} started, {} completed, {} failed; \
         refreshes {} ({} failed); pool exhausted {}; usage polls {} ({} failed), early resets {}",
        n("total_requests"),
        n("upstream_requests"),
        n("retries"),
        n("rotations"),
        n("streams_started"),
        n("streams_completed"),
        n("streams_failed"),
        n("refreshes"),
        n("refresh_failures"),
        n("pool_exhausted"),
        n("usage_polls"),
        n("usage_poll_failures"),
        n("early_resets"),
    )
}

fn last_line(account: &Value, error: &Value, now: Timestamp) -> String {
    let mut line = format!("account {}", text(Some(account)));
    if error.is_object() {
        let status = error
            .get("http_status")
            .and_then(Value::as_u64)
            .map(|s| format!(" (HTTP {s})"))
            .unwrap_or_default();
        line.push_str(&format!(
            "; error {} on {}: {}{status}",
            relative_str(error.get("at").and_then(Value::as_str), now),
            text(error.get("account")),
            text(error.get("kind")),
        ));
    } else {
        line.push_str("; no errors");
    }
    line
}

fn accounts_table(rows: &[Value], now: Timestamp) -> String {
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
    for (i, a) in rows.iter().enumerate() {
        let quota = a.get("quota");
        let stale = quota.and_then(|q| q.get("stale")).and_then(Value::as_bool) == Some(true);
        t.row(vec![
            (i + 1).to_string(),
            text(a.get("label")),
            format!("{}{}", state_cell(a), reset_early_note(a, now)),
            relative_str(a.get("until").and_then(Value::as_str), now),
            window_cell(quota.and_then(|q| q.get("primary")), stale, now),
            window_cell(quota.and_then(|q| q.get("secondary")), stale, now),
            reading_cell(quota, now),
            text(a.get("requests")),
            text(a.get("failures")),
            text(a.get("in_flight")),
            relative_str(a.get("last_used").and_then(Value::as_str), now),
        ]);
    }
    t.render()
}

/// `rate_limited (usage_limit)`, or just `ready`.
pub fn state_cell(a: &Value) -> String {
    let state = text(a.get("state"));
    match a.get("state_reason").and_then(Value::as_str) {
        Some(reason) => format!("{state} ({reason})"),
        None => state,
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
