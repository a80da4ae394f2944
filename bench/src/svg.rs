//! A small SVG chart of the `conversation-grows` cell, written next to the markdown: time and bytes
//! per step for HTTP and WebSocket. Hand-written SVG (no plotting crate) because two panels of three
//! polylines need nothing more, and the file stays readable in a diff.

use std::fmt::Write as _;

use crate::cells::conversation::Path;
use crate::report::CellReport;

/// The chart's file name, in the markdown's directory.
pub const FILE_NAME: &str = "benchmarks-conversation.svg";

const W: f64 = 420.0;
const H: f64 = 260.0;
const PAD: f64 = 48.0;

fn colour(p: Path) -> &'static str {
    match p {
        Path::WsDirect => "#2a9d8f",
        Path::WsRouter => "#264653",
        Path::HttpRouter => "#e76f51",
    }
}

/// Both panels; `None` when the cell has no steps.
pub fn render(cell: &CellReport) -> Option<String> {
    let last = cell.steps.iter().map(|s| s.step).max()?;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="11">"#,
        W * 2.0,
        H + 30.0
    );
    s.push_str(r#"<rect width="100%" height="100%" fill="white"/>"#);
    s.push('\n');
    panel(&mut s, cell, last, 0.0, "time per step, ms (p50)", |st| {
        st.time_p50_ms
    });
    panel(&mut s, cell, last, W, "bytes sent per step, KB", |st| {
        st.sent_bytes / 1000.0
    });
    for (i, p) in Path::ALL.into_iter().enumerate() {
        let x = PAD + i as f64 * 130.0;
        let _ = writeln!(
            s,
            r#"<rect x="{x}" y="{}" width="12" height="4" fill="{}"/><text x="{}" y="{}">{}</text>"#,
            H + 12.0,
            colour(p),
            x + 16.0,
            H + 17.0,
            p.name()
        );
    }
    s.push_str("</svg>\n");
    Some(s)
}

fn panel(
    s: &mut String,
    cell: &CellReport,
    last: usize,
    x0: f64,
    title: &str,
    value: impl Fn(&crate::report::StepStat) -> f64,
) {
    let max = cell
        .steps
        .iter()
        .map(&value)
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max)
        .max(1e-9)
        * 1.1;
    let (left, right, top, bottom) = (x0 + PAD, x0 + W - 12.0, 24.0, H - 28.0);
    let px = |step: usize| left + (right - left) * (step.saturating_sub(1)) as f64 / (last.max(2) - 1) as f64;
    let py = |v: f64| bottom - (bottom - top) * v / max;
    let _ = writeln!(s, r#"<text x="{left}" y="14" font-weight="bold">{title}</text>"#);
    let _ = writeln!(
        s,
        r##"<path d="M{left},{top} V{bottom} H{right}" stroke="#555" fill="none"/>"##
    );
    for i in 0..=4 {
        let v = max * f64::from(i) / 4.0;
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{:.1}" text-anchor="end" fill="#555">{}</text>"##,
            left - 4.0,
            py(v) + 4.0,
            if max < 10.0 {
                format!("{v:.2}")
            } else {
                format!("{v:.0}")
            }
        );
    }
    for step in [1, last / 2, last] {
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{}" text-anchor="middle" fill="#555">{step}</text>"##,
            px(step),
            bottom + 14.0
        );
    }
    let _ = writeln!(
        s,
        r##"<text x="{}" y="{}" text-anchor="middle" fill="#555">step</text>"##,
        (left + right) / 2.0,
        bottom + 24.0
    );
    for p in Path::ALL {
        let points: Vec<String> = cell
            .steps
            .iter()
            .filter(|st| st.target == p.name() && value(st).is_finite())
            .map(|st| format!("{:.1},{:.1}", px(st.step), py(value(st))))
            .collect();
        if points.is_empty() {
            continue;
        }
        let _ = writeln!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="1.5"/>"#,
            points.join(" "),
            colour(p)
        );
    }
}
