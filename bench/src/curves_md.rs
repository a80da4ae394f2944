//! The scale curves as markdown tables: one table per curve, the router beside nginx where nginx ran.

use std::fmt::Write as _;

use crate::curves::{self, Kind, Point};
use crate::report::Report;

fn f(v: f64, digits: usize) -> String {
    if v.is_finite() {
        format!("{v:.digits$}")
    } else {
        "–".to_owned()
    }
}

fn pair(p: &Point<'_>, a: &str, b: &str) -> String {
    format!("{} / {}", f(p.get(a), 3), f(p.get(b), 3))
}

/// Every curve that has at least one point in the run, plus a pointer to the chart.
pub fn render(s: &mut String, r: &Report, chart: Option<&str>) {
    if Kind::ALL.iter().all(|k| curves::points(r, *k).is_empty()) {
        return;
    }
    s.push_str("### Scale curves (how cost grows with the work)\n\n");
    if let Some(file) = chart {
        let _ = writeln!(s, "![scale curves]({file})\n");
    }
    for kind in Kind::ALL {
        let points = curves::points(r, kind);
        if points.is_empty() {
            continue;
        }
        let _ = writeln!(s, "#### {}\n", kind.title());
        match kind {
            Kind::Streams => streams(s, &points),
            Kind::Bodies => bodies(s, &points),
            Kind::Accounts | Kind::Sessions => requests(s, kind, &points),
        }
        s.push('\n');
    }
}

fn requests(s: &mut String, kind: Kind, points: &[Point<'_>]) {
    let _ = writeln!(
        s,
        "| {} | daemon CPU ms/request | nginx CPU ms/request | router added total p50 / p99 ms | nginx added total p50 / p99 ms | router/nginx req/s | daemon peak RSS MiB |\n|---|---|---|---|---|---|---|",
        kind.x_label()
    );
    for p in points {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            curves::x_text(kind, p.x),
            f(p.cpu(), 3),
            f(p.get("nginx_cpu_ms_per_request"), 3),
            pair(p, "router_added_total_p50_ms", "router_added_total_p99_ms"),
            pair(p, "nginx_added_total_p50_ms", "nginx_added_total_p99_ms"),
            f(p.get("router_vs_nginx_rps_ratio"), 2),
            f(p.peak_rss_mib(), 1),
        );
    }
}

fn bodies(s: &mut String, points: &[Point<'_>]) {
    s.push_str(
        "| body | router added first byte p50 / p99 ms | nginx added first byte p50 / p99 ms | router added total p50 ms | daemon CPU ms/request | nginx CPU ms/request | daemon high-water over idle MiB (× body) |\n|---|---|---|---|---|---|---|\n",
    );
    for p in points {
        let over = p.get("daemon_hwm_over_idle_mib");
        let times = over * 1024.0 * 1024.0 / p.x;
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} ({}×) |",
            curves::x_text(Kind::Bodies, p.x),
            pair(
                p,
                "router_added_first_byte_p50_ms",
                "router_added_first_byte_p99_ms"
            ),
            pair(
                p,
                "nginx_added_first_byte_p50_ms",
                "nginx_added_first_byte_p99_ms"
            ),
            f(p.get("router_added_total_p50_ms"), 3),
            f(p.cpu(), 3),
            f(p.get("nginx_cpu_ms_per_request"), 3),
            f(over, 1),
            f(times, 2),
        );
    }
}

fn streams(s: &mut String, points: &[Point<'_>]) {
    s.push_str(
        "| streams | seen at once at the fake | daemon CPU ms per stream | daemon peak RSS MiB | above idle, KiB per stream |\n|---|---|---|---|---|\n",
    );
    for p in points {
        let per_stream = (p.peak_rss_mib() - p.get("idle_rss_mib")) * 1024.0 / p.x;
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            curves::x_text(Kind::Streams, p.x),
            f(p.get("max_concurrent"), 0),
            f(p.cpu(), 3),
            f(p.peak_rss_mib(), 1),
            f(per_stream, 1),
        );
    }
}
