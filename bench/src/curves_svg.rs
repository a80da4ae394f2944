//! The scale curves as one SVG next to the markdown: four panels (pool, sessions, body, streams),
//! each the figure that must stay flat (or grow no faster than the work) against the size, sizes
//! evenly spaced (they grow by orders of magnitude). Hand-written like `svg.rs`.

use std::fmt::Write as _;

use crate::curves::{self, Kind, Point};
use crate::report::Report;

/// The chart's file name, in the markdown's directory.
pub const FILE_NAME: &str = "benchmarks-curves.svg";

const W: f64 = 420.0;
const H: f64 = 240.0;
const PAD: f64 = 52.0;
const ROUTER: &str = "#264653";
const NGINX: &str = "#e76f51";

type Series<'a> = (&'static str, &'static str, fn(&Point<'_>) -> f64);

/// What each panel plots: its title and its series (name, colour, value).
fn panel_of(kind: Kind) -> (&'static str, Vec<Series<'static>>) {
    match kind {
        Kind::Accounts => (
            "CPU ms per request vs accounts",
            vec![
                ("router", ROUTER, |p| p.cpu()),
                ("nginx", NGINX, |p| p.get("nginx_cpu_ms_per_request")),
            ],
        ),
        Kind::Sessions => (
            "CPU ms per request vs live sessions",
            vec![
                ("router", ROUTER, |p| p.cpu()),
                ("nginx", NGINX, |p| p.get("nginx_cpu_ms_per_request")),
            ],
        ),
        Kind::Bodies => (
            "added first byte ms (p50) vs body",
            vec![
                ("router", ROUTER, |p| p.get("router_added_first_byte_p50_ms")),
                ("nginx", NGINX, |p| p.get("nginx_added_first_byte_p50_ms")),
            ],
        ),
        Kind::Streams => (
            "daemon peak RSS MiB vs concurrent streams",
            vec![("router", ROUTER, |p| p.peak_rss_mib())],
        ),
    }
}

/// All panels in a 2 × 2 grid; `None` when the run has no curve.
pub fn render(r: &Report) -> Option<String> {
    let curves: Vec<(Kind, Vec<Point<'_>>)> = Kind::ALL
        .into_iter()
        .map(|k| (k, curves::points(r, k)))
        .filter(|(_, p)| !p.is_empty())
        .collect();
    if curves.is_empty() {
        return None;
    }
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="11">"#,
        W * 2.0,
        H * 2.0 + 30.0
    );
    s.push_str("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    for (i, (kind, points)) in curves.iter().enumerate() {
        let (x0, y0) = ((i % 2) as f64 * W, (i / 2) as f64 * H);
        panel(&mut s, *kind, points, x0, y0);
    }
    for (i, (name, colour)) in [("router", ROUTER), ("nginx", NGINX)].into_iter().enumerate() {
        let x = PAD + i as f64 * 100.0;
        let _ = writeln!(
            s,
            r#"<rect x="{x}" y="{}" width="12" height="4" fill="{colour}"/><text x="{}" y="{}">{name}</text>"#,
            H * 2.0 + 12.0,
            x + 16.0,
            H * 2.0 + 17.0
        );
    }
    s.push_str("</svg>\n");
    Some(s)
}

fn panel(s: &mut String, kind: Kind, points: &[Point<'_>], x0: f64, y0: f64) {
    let (title, series) = panel_of(kind);
    let max = series
        .iter()
        .flat_map(|(_, _, v)| points.iter().map(v))
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max)
        .max(1e-9)
        * 1.15;
    let (left, right, top, bottom) = (x0 + PAD, x0 + W - 16.0, y0 + 26.0, y0 + H - 34.0);
    let n = points.len();
    let px = |i: usize| left + (right - left) * if n > 1 { i as f64 / (n - 1) as f64 } else { 0.5 };
    let py = |v: f64| bottom - (bottom - top) * v / max;
    let _ = writeln!(
        s,
        r#"<text x="{left}" y="{}" font-weight="bold">{title}</text>"#,
        y0 + 16.0
    );
    let _ = writeln!(
        s,
        r##"<path d="M{left},{top} V{bottom} H{right}" stroke="#555" fill="none"/>"##
    );
    for i in 0..=4 {
        let v = max * f64::from(i) / 4.0;
        let label = if max < 10.0 {
            format!("{v:.2}")
        } else {
            format!("{v:.0}")
        };
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{:.1}" text-anchor="end" fill="#555">{label}</text>"##,
            left - 4.0,
            py(v) + 4.0
        );
    }
    for (i, p) in points.iter().enumerate() {
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{}" text-anchor="middle" fill="#555">{}</text>"##,
            px(i),
            bottom + 14.0,
            curves::x_text(kind, p.x)
        );
    }
    let _ = writeln!(
        s,
        r##"<text x="{}" y="{}" text-anchor="middle" fill="#555">{}</text>"##,
        (left + right) / 2.0,
        bottom + 26.0,
        kind.x_label()
    );
    for (_, colour, value) in &series {
        let pts: Vec<String> = points
            .iter()
            .enumerate()
            .filter(|(_, p)| value(p).is_finite())
            .map(|(i, p)| format!("{:.1},{:.1}", px(i), py(value(p))))
            .collect();
        if pts.is_empty() {
            continue;
        }
        let _ = writeln!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="1.5"/>"#,
            pts.join(" ")
        );
        for pt in &pts {
            let (x, y) = pt.split_once(',').unwrap_or(("0", "0"));
            let _ = writeln!(s, r#"<circle cx="{x}" cy="{y}" r="2.5" fill="{colour}"/>"#);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curves::{cell, report};

    #[test]
    fn the_chart_draws_one_panel_per_curve_with_a_point_per_cell() {
        assert!(render(&report(vec![cell("c16", 1.0)])).is_none());
        let mut big = cell("sessions-100k", 0.11);
        big.derived.insert("nginx_cpu_ms_per_request".into(), 0.05);
        let r = report(vec![cell("sessions-0", 0.10), big, cell("accounts-1", 0.1)]);
        let svg = render(&r).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("vs live sessions") && svg.contains("vs accounts"));
        assert!(!svg.contains("vs body"), "no body cells, no body panel");
        assert!(svg.contains(">100k<"), "sizes label the x axis");
        // The router's two sessions points, nginx's one, the one accounts point.
        assert_eq!(svg.matches("<circle").count(), 4);
        assert!(!svg.contains("NaN"));
    }
}
