//! `GET /metrics`: the status counters and per-account gauges in Prometheus text format.
//! Accounts are named by label only.

use std::fmt::Write;

use codex_router_core::pool::Snapshot;

use crate::ws::WsCounters;

pub fn render(s: &Snapshot, ws: &WsCounters) -> String {
    let mut out = String::with_capacity(2048);
    let c = &s.counters;
    let counters = [
        (
            "total_requests",
            c.total_requests,
            "client requests on proxied routes that passed authentication",
        ),
        ("upstream_requests", c.upstream_requests, "calls to the upstream"),
        (
            "retries",
            c.retries,
            "upstream calls beyond the first of each client request",
        ),
        (
            "rotations",
            c.rotations,
            "requests served by another account than their first attempt, or moved sessions",
        ),
        (
            "streams_started",
            c.streams_started,
            "2xx bodies the router began to relay",
        ),
        (
            "streams_completed",
            c.streams_completed,
            "relayed bodies that reached their end",
        ),
        (
            "streams_failed",
            c.streams_failed,
            "started bodies that did not complete",
        ),
        ("refreshes", c.refreshes, "successful token refreshes"),
        ("refresh_failures", c.refresh_failures, "failed token refreshes"),
        (
            "pool_exhausted",
            c.pool_exhausted,
            "requests answered pool_exhausted",
        ),
    ];
    let ws_counters = [
        (
            "websocket_connections",
            ws.connections,
            "client WebSocket connections accepted",
        ),
        (
            "websocket_responses",
            ws.responses,
            "response.create requests served over WebSocket",
        ),
        (
            "websocket_incremental",
            ws.incremental,
            "WebSocket requests sent upstream with only their new items",
        ),
        (
            "websocket_full_resends",
            ws.full_resends,
            "WebSocket requests re-sent in full from the kept context (moves, reconnects, HTTP fallback)",
        ),
        (
            "websocket_forced_reconnects",
            ws.forced_reconnects,
            "upstream WebSockets reopened for the same account (60-minute limit, closed while idle)",
        ),
        (
            "websocket_http_fallbacks",
            ws.http_fallbacks,
            "client WebSockets served over HTTP upstream",
        ),
    ];
    for (name, value, help) in counters.into_iter().chain(ws_counters) {
        let _ = writeln!(
            out,
            "# HELP codex_router_{name}_total {help}\n# TYPE codex_router_{name}_total counter"
        );
        let _ = writeln!(out, "codex_router_{name}_total {value}");
    }
    let _ = writeln!(
        out,
        "# HELP codex_router_websocket_open client WebSocket connections open\n# TYPE codex_router_websocket_open gauge\ncodex_router_websocket_open {}",
        ws.open
    );
    let _ = writeln!(
        out,
        "# HELP codex_router_websocket_context_bytes conversation context kept for moves\n# TYPE codex_router_websocket_context_bytes gauge\ncodex_router_websocket_context_bytes {}",
        ws.context_bytes
    );
    per_account(
        &mut out,
        ("account_in_flight", "gauge", "requests in flight per account"),
        s.accounts
            .iter()
            .map(|a| (a.label.as_str(), u64::from(a.in_flight))),
    );
    per_account(
        &mut out,
        ("account_requests_total", "counter", "upstream calls per account"),
        s.accounts.iter().map(|a| (a.label.as_str(), a.requests)),
    );
    out.push_str("# HELP codex_router_account_ready 1 when the account is ready\n# TYPE codex_router_account_ready gauge\n");
    for a in &s.accounts {
        let ready = u8::from(a.state == codex_router_core::account::State::Ready);
        let _ = writeln!(
            out,
            "codex_router_account_ready{{account=\"{}\",state=\"{}\"}} {ready}",
            a.label,
            a.state.as_str()
        );
    }
    out
}

/// One metric with a value per account: `(name, type, help)`, then `(label, value)` pairs.
fn per_account<'a>(
    out: &mut String,
    (name, kind, help): (&str, &str, &str),
    values: impl Iterator<Item = (&'a str, u64)>,
) {
    let _ = writeln!(
        out,
        "# HELP codex_router_{name} {help}\n# TYPE codex_router_{name} {kind}"
    );
    for (label, value) in values {
        let _ = writeln!(out, "codex_router_{name}{{account=\"{label}\"}} {value}");
    }
}
