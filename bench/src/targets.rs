//! The benchmark's targets (the targets table of docs/benchmarks.md: overhead, resources and
//! correctness, the WebSocket conversations, and per-request costs that stay flat), evaluated from
//! one run's cells. Each is a ratio or a difference against direct (or an absolute resource
//! figure), so the verdict does not depend on how fast the machine is. In smoke mode only
//! correctness (row 7 of the table) is judged: tiny cells on debug binaries measure nothing.

use crate::report::{Report, TargetEval};

fn eval(
    id: &str,
    target: &str,
    value: Option<f64>,
    fmt: impl Fn(f64) -> String,
    ok: impl Fn(f64) -> bool,
) -> TargetEval {
    TargetEval {
        id: id.to_owned(),
        target: target.to_owned(),
        measured: value.map_or_else(|| "not measured".to_owned(), &fmt),
        met: value.map(ok),
    }
}

fn ratio(v: f64) -> String {
    format!("{v:.2}×")
}

fn added(v: f64) -> String {
    format!("{v:+.3} ms")
}

/// The flat-cost targets (rows `scale-1` to `scale-3` of the table): the small-body, new-session
/// cells against nginx and direct, and the session curve's slope (per-request CPU from 0 to
/// 100 000 live sessions, added p99 at c=16).
fn scale_targets(out: &mut Vec<TargetEval>, g: &dyn Fn(&str, &str) -> Option<f64>) {
    for c in ["small-new-c16", "small-new-c64"] {
        out.push(eval(
            "scale-1",
            &format!("{c}: throughput ≥ 0.9× nginx"),
            g(c, "router_vs_nginx_rps_ratio"),
            ratio,
            |v| v >= 0.9,
        ));
        out.push(eval(
            "scale-1",
            &format!("{c}: throughput ≥ 0.65× direct"),
            g(c, "router_rps_ratio"),
            ratio,
            |v| v >= 0.65,
        ));
    }
    for c in ["small-new-c16", "small-new-c64"] {
        out.push(eval(
            "scale-1",
            &format!("{c}: daemon CPU per request ≤ 1.3× nginx's"),
            g(c, "router_vs_nginx_cpu_ratio"),
            ratio,
            |v| v <= 1.3,
        ));
    }
    flat_curve(
        out,
        g,
        "0 → 100 000 live sessions",
        "session curve",
        &["sessions-0", "sessions-10k", "sessions-100k"],
    );
    flat_curve(
        out,
        g,
        "1 → 1 000 accounts",
        "pool curve",
        &["accounts-1", "accounts-10", "accounts-100", "accounts-1000"],
    );
    body_targets(out, g);
}

/// A curve that must stay flat: CPU per request from its first cell to its last grows by at most
/// 20 %, and its worst added total p99 at c=16 stays under 1 ms.
fn flat_curve(
    out: &mut Vec<TargetEval>,
    g: &dyn Fn(&str, &str) -> Option<f64>,
    span: &str,
    curve: &str,
    cells: &[&str],
) {
    let cpu = |c: Option<&&str>| c.and_then(|c| g(c, "daemon_cpu_ms_per_request"));
    let (first, last) = (cpu(cells.first()), cpu(cells.last()));
    out.push(eval(
        "scale-2",
        &format!("{span}: daemon CPU per request grows ≤ 20 %"),
        first.zip(last).map(|(a, b)| b / a),
        |v| {
            format!(
                "{:+.0} % ({:.3} → {:.3} ms)",
                (v - 1.0) * 100.0,
                first.unwrap_or(0.0),
                last.unwrap_or(0.0)
            )
        },
        |v| v <= 1.2,
    ));
    let p99 = cells
        .iter()
        .filter_map(|c| g(c, "router_added_total_p99_ms"))
        .reduce(f64::max);
    out.push(eval(
        "scale-2",
        &format!("{curve} at c=16: added total p99 < 1 ms (worst point)"),
        p99,
        added,
        |v| v < 1.0,
    ));
}

/// The 8 MB body against nginx and against its own size.
fn body_targets(out: &mut Vec<TargetEval>, g: &dyn Fn(&str, &str) -> Option<f64>) {
    let router = g("body-8m", "router_added_first_byte_p50_ms");
    let nginx = g("body-8m", "nginx_added_first_byte_p50_ms");
    out.push(eval(
        "scale-3",
        "8 MB body: added first byte ≤ 2× nginx's (p50)",
        router.zip(nginx).map(|(r, n)| r / n.max(1e-3)),
        |v| {
            format!(
                "{v:.2}× ({:+.3} ms against {:+.3} ms)",
                router.unwrap_or(0.0),
                nginx.unwrap_or(0.0)
            )
        },
        |v| v <= 2.0,
    ));
    out.push(eval(
        "scale-3",
        "8 MB body: daemon memory above idle ≤ 3× the body",
        g("body-8m", "daemon_hwm_over_idle_mib").map(|m| m * 1024.0 * 1024.0 / 8e6),
        |v| format!("{v:.2}× ({:.1} MiB)", v * 8e6 / 1024.0 / 1024.0),
        |v| v <= 3.0,
    ));
}

pub fn evaluate(r: &Report) -> Vec<TargetEval> {
    let get = |cell: &str, key: &str| r.cell(cell).and_then(|c| c.get(key));
    let perf = r.mode != "smoke";
    let g = |cell: &str, key: &str| if perf { get(cell, key) } else { None };
    let realistic = r
        .cells
        .iter()
        .find(|c| c.name.starts_with("stream-"))
        .map(|c| c.name.clone())
        .unwrap_or_default();
    let mut out = vec![
        eval(
            "1",
            "throughput at c=16 ≥ 0.70× direct",
            g("c16", "router_rps_ratio"),
            ratio,
            |v| v >= 0.70,
        ),
        eval(
            "1",
            "throughput at c=64 ≥ 0.70× direct",
            g("c64", "router_rps_ratio"),
            ratio,
            |v| v >= 0.70,
        ),
        eval(
            "1",
            "throughput at c=16 ≥ 0.9× nginx",
            g("c16", "router_vs_nginx_rps_ratio"),
            ratio,
            |v| v >= 0.9,
        ),
        eval(
            "1",
            "throughput at c=64 ≥ 0.9× nginx",
            g("c64", "router_vs_nginx_rps_ratio"),
            ratio,
            |v| v >= 0.9,
        ),
        eval(
            "2",
            "added first byte p50 ≤ 0.15 ms at c=1",
            g("c1", "router_added_first_byte_p50_ms"),
            added,
            |v| v <= 0.15,
        ),
        eval(
            "2",
            "added first byte p50 ≤ 0.5 ms at c=16",
            g("c16", "router_added_first_byte_p50_ms"),
            added,
            |v| v <= 0.5,
        ),
        eval(
            "2",
            "added first byte p99 ≤ 3 ms at c=16",
            g("c16", "router_added_first_byte_p99_ms"),
            added,
            |v| v <= 3.0,
        ),
        eval(
            "3",
            "20 ms cell: first output event p50 ≤ 0.3 ms later than direct",
            g(&realistic, "router_added_first_output_p50_ms"),
            added,
            |v| v <= 0.3,
        ),
    ];
    let coalesced = g(&realistic, "router_coalesced_events");
    let events = g(&realistic, "router_events").unwrap_or(0.0);
    let gap = g(&realistic, "router_added_gaps_p50_ms");
    out.push(TargetEval {
        id: "3".to_owned(),
        target: "20 ms cell: every later event relayed as produced (no batching)".to_owned(),
        measured: match (coalesced, gap) {
            (Some(c), Some(gap)) => format!(
                "{c:.0} of {events:.0} events arrived glued to the previous one; gap p50 {gap:+.3} ms"
            ),
            _ => "not measured".to_owned(),
        },
        met: coalesced.map(|c| c == 0.0 && gap.is_some_and(|g| g.abs() <= 0.3)),
    });
    out.push(eval(
        "4",
        "a 429 failover adds ≤ 2 ms over direct to the healthy account (total, p50)",
        g("failover-429", "failover_added_total_p50_ms"),
        added,
        |v| v <= 2.0,
    ));
    let mib = |v: f64| format!("{v:.1} MiB");
    out.push(eval(
        "5",
        "daemon idle RSS ≤ 15 MiB (median over all daemons)",
        g("control", "idle_rss_p50_mib"),
        mib,
        |v| v <= 15.0,
    ));
    let thousand = perf && get("slow-streams", "streams").is_some_and(|n| n >= 1000.0);
    let slow = |k: &str| if thousand { get("slow-streams", k) } else { None };
    out.push(eval(
        "5",
        "RSS with 1 000 concurrent slow streams ≤ 100 MiB",
        slow("peak_rss_mib"),
        mib,
        |v| v <= 100.0,
    ));
    out.push(TargetEval {
        id: "5".to_owned(),
        target: "back near idle (≤ 1.25× idle RSS) within 60 s after they end".to_owned(),
        measured: match (thousand, slow("settle_s"), get("slow-streams", "settled_rss_mib")) {
            (false, _, _) => "not measured".to_owned(),
            (true, Some(s), Some(m)) => format!("after {s:.1} s ({m:.1} MiB)"),
            (true, _, m) => format!("not within the limit (still {:.1} MiB)", m.unwrap_or(f64::NAN)),
        },
        met: thousand.then(|| slow("settle_s").is_some_and(|s| s <= 60.0)),
    });
    out.push(eval(
        "6",
        "`codexctl status --json` round trip p99 ≤ 20 ms",
        g("control", "codexctl_status_p99_ms"),
        |v| format!("{v:.1} ms"),
        |v| v <= 20.0,
    ));
    let max = get("control", "startup_max_ms").unwrap_or(f64::NAN);
    out.push(eval(
        "6",
        "daemon ready (`/healthz` 200) ≤ 300 ms after start (median; max in brackets)",
        g("control", "startup_p50_ms"),
        |v| format!("{v:.1} ms ({max:.1} ms)"),
        |v| v <= 300.0,
    ));
    scale_targets(&mut out, &g);
    let failed: Vec<String> = r
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| format!("{}: {}", c.cell, c.name))
        .collect();
    out.push(TargetEval {
        id: "7".to_owned(),
        target:
            "zero unscripted errors; status counters equal the harness's counts; spread as the strategy says"
                .to_owned(),
        measured: if failed.is_empty() {
            format!("{} checks passed", r.checks.len())
        } else {
            format!("failed: {}", failed.join("; "))
        },
        met: Some(failed.is_empty()),
    });
    ws_targets(r, perf, &mut out);
    out
}

/// The WebSocket targets (rows `ws` of the table), from the conversation cells
/// (`cells::conversation`).
fn ws_targets(r: &Report, perf: bool, out: &mut Vec<TargetEval>) {
    let g = |cell: &str, key: &str| {
        if perf {
            r.cell(cell).and_then(|c| c.get(key))
        } else {
            None
        }
    };
    let conv = crate::cells::conversation::CONV;
    let step1 = g(conv, "ws_router_added_step1_p50_ms");
    let inc = g(conv, "ws_router_added_incremental_p50_ms");
    out.push(TargetEval {
        id: "ws".to_owned(),
        target: "WebSocket through the router within 0.1 ms (p50) of WebSocket direct per step (step 1 and \
                 the incremental steps, each)"
            .to_owned(),
        measured: match (step1, inc) {
            (Some(a), Some(b)) => format!("step 1 {a:+.3} ms; steps 2… {b:+.3} ms"),
            _ => "not measured".to_owned(),
        },
        met: step1.zip(inc).map(|(a, b)| a <= 0.1 && b <= 0.1),
    });
    let ratio = g(conv, "ws_vs_http_upstream_bytes_ratio");
    let ws = g(conv, "ws_router_upstream_bytes_per_conversation").unwrap_or(f64::NAN);
    let http = g(conv, "http_router_upstream_bytes_per_conversation").unwrap_or(f64::NAN);
    out.push(eval(
        "ws",
        "bytes sent upstream per conversation over WebSocket ≤ 1/5 of the HTTP path's",
        ratio,
        |v| format!("{v:.3} ({:.0} KB against {:.0} KB)", ws / 1000.0, http / 1000.0),
        |v| v <= 0.2,
    ));
    let normal = g(crate::cells::conversation::FAILOVER, "normal_step_p50_ms").unwrap_or(f64::NAN);
    out.push(eval(
        "ws",
        "a failover step adds ≤ 5 ms over a normal step (p50)",
        g(crate::cells::conversation::FAILOVER, "failover_added_p50_ms"),
        |v| format!("{v:+.3} ms (normal step {normal:.3} ms)"),
        |v| v <= 5.0,
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curves::{cell, report};

    #[test]
    fn a_flat_curve_is_judged_from_its_end_points_and_its_worst_tail() {
        let mut cells = vec![cell("accounts-1", 0.100), cell("accounts-1000", 0.125)];
        for (c, p99) in cells.iter_mut().zip([0.8, 1.4]) {
            c.derived.insert("router_added_total_p99_ms".into(), p99);
        }
        let r = report(cells);
        let found = |text: &str| {
            evaluate(&r)
                .into_iter()
                .find(|t| t.target.starts_with(text))
                .unwrap()
        };
        let growth = found("1 → 1 000 accounts");
        assert_eq!(growth.met, Some(false), "{}", growth.measured);
        assert!(growth.measured.starts_with("+25 %"), "{}", growth.measured);
        let tail = found("pool curve at c=16");
        assert_eq!((tail.met, tail.measured.as_str()), (Some(false), "+1.400 ms"));
        assert_eq!(
            found("0 → 100 000 live sessions").met,
            None,
            "no cells, not measured"
        );
    }
}
