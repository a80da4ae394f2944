//! The scale curves: how the router's cost grows with the pool, the live sessions, the body and the
//! number of concurrent streams, read from the cells of one run. `curves_md` renders them as tables
//! and `curves_svg` as a chart, so a reader sees the slope at a glance.

use crate::report::{CellReport, Report};

/// What one curve plots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Accounts,
    Sessions,
    Bodies,
    Streams,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Accounts, Kind::Sessions, Kind::Bodies, Kind::Streams];

    pub fn title(self) -> &'static str {
        match self {
            Kind::Accounts => "accounts in the pool (small bodies, new session per request, c=16)",
            Kind::Sessions => "live sessions (small bodies, new session per request, c=16)",
            Kind::Bodies => "body size (one session, c=1)",
            Kind::Streams => "concurrent slow streams (20 events 250 ms apart)",
        }
    }

    pub fn x_label(self) -> &'static str {
        match self {
            Kind::Accounts => "accounts",
            Kind::Sessions => "live sessions",
            Kind::Bodies => "body",
            Kind::Streams => "streams",
        }
    }

    /// The size a cell of this curve measures, from its name; `None`: not a cell of this curve.
    fn x_of(self, cell: &CellReport) -> Option<f64> {
        let n = &cell.name;
        match self {
            Kind::Accounts => n.strip_prefix("accounts-").and_then(parse_size),
            Kind::Sessions => n.strip_prefix("sessions-").and_then(parse_size),
            Kind::Bodies => n.strip_prefix("body-").and_then(parse_size),
            Kind::Streams if n == "slow-streams" || n.starts_with("streams-") => cell.get("streams"),
            Kind::Streams => None,
        }
    }
}

/// `1k` → 1 000, `8m` → 8 000 000, `64` → 64.
pub fn parse_size(label: &str) -> Option<f64> {
    let (digits, scale) = match label.as_bytes().last()? {
        b'k' => (&label[..label.len() - 1], 1e3),
        b'm' => (&label[..label.len() - 1], 1e6),
        _ => (label, 1.0),
    };
    digits.parse::<f64>().ok().map(|v| v * scale)
}

/// `1 000`, `55 KB`, `8 MB`: how an x value is printed.
pub fn x_text(kind: Kind, x: f64) -> String {
    match kind {
        Kind::Bodies if x >= 1e6 => format!("{} MB", x / 1e6),
        Kind::Bodies => format!("{} KB", x / 1e3),
        _ if x >= 1e3 => format!("{}k", x / 1e3),
        _ => format!("{x}"),
    }
}

/// One point of a curve: a cell's figures at one size.
#[derive(Debug, Clone)]
pub struct Point<'a> {
    pub x: f64,
    pub cell: &'a CellReport,
}

impl Point<'_> {
    pub fn get(&self, key: &str) -> f64 {
        self.cell.get(key).unwrap_or(f64::NAN)
    }

    /// The daemon's CPU per request (per stream on the stream curve).
    pub fn cpu(&self) -> f64 {
        match self.cell.get("daemon_cpu_ms_per_request") {
            Some(v) => v,
            None => self.get("cpu_ms_per_stream"),
        }
    }

    pub fn peak_rss_mib(&self) -> f64 {
        match self.cell.get("peak_rss_mib") {
            Some(v) => v,
            None => self
                .cell
                .daemon
                .peak_rss_kib
                .iter()
                .max()
                .map_or(f64::NAN, |k| *k as f64 / 1024.0),
        }
    }
}

/// The points of one curve in the run, smallest first.
pub fn points(r: &Report, kind: Kind) -> Vec<Point<'_>> {
    let mut v: Vec<Point<'_>> = r
        .cells
        .iter()
        .filter(|c| c.skipped.is_none())
        .filter_map(|cell| kind.x_of(cell).map(|x| Point { x, cell }))
        .collect();
    v.sort_by(|a, b| a.x.total_cmp(&b.x));
    v
}

/// How much the daemon's CPU per request grows from the curve's first point to its last (1.0: flat).
pub fn cpu_growth(r: &Report, kind: Kind) -> Option<(f64, f64, f64)> {
    let p = points(r, kind);
    let (first, last) = (p.first()?.cpu(), p.last()?.cpu());
    (p.len() > 1 && first.is_finite() && last.is_finite() && first > 0.0).then_some((
        last / first,
        first,
        last,
    ))
}

/// The worst added total p99 over a curve's points.
pub fn worst_added_p99(r: &Report, kind: Kind) -> Option<f64> {
    points(r, kind)
        .iter()
        .filter_map(|p| p.cell.get("router_added_total_p99_ms"))
        .reduce(f64::max)
}

/// A cell with only the daemon's CPU per request, for the tests of this module and the chart's.
#[cfg(test)]
pub(crate) fn cell(name: &str, cpu: f64) -> CellReport {
    let mut c = CellReport::new(name, "");
    c.derived.insert("daemon_cpu_ms_per_request".into(), cpu);
    c
}

/// A full-mode report holding `cells`.
#[cfg(test)]
pub(crate) fn report(cells: Vec<CellReport>) -> Report {
    Report {
        mode: "full".into(),
        started_at: String::new(),
        wall_s: 0.0,
        machine: crate::machine::Machine::default(),
        body_bytes: 0,
        nginx: String::new(),
        daemon_env: Vec::new(),
        quiet_wait_s: 0.0,
        busy_starts: 0,
        cells,
        checks: Vec::new(),
        targets: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_from_cell_names() {
        assert_eq!(parse_size("0"), Some(0.0));
        assert_eq!(parse_size("10k"), Some(10_000.0));
        assert_eq!(parse_size("8m"), Some(8_000_000.0));
        assert_eq!(parse_size("x"), None);
        assert_eq!(x_text(Kind::Bodies, 55_000.0), "55 KB");
        assert_eq!(x_text(Kind::Sessions, 100_000.0), "100k");
        assert_eq!(x_text(Kind::Accounts, 10.0), "10");
    }

    #[test]
    fn a_curve_collects_its_cells_in_order_and_measures_its_growth() {
        let r = report(vec![
            cell("accounts-1000", 0.12),
            cell("accounts-1", 0.10),
            cell("c16", 1.0),
        ]);
        let p = points(&r, Kind::Accounts);
        assert_eq!(p.iter().map(|p| p.x).collect::<Vec<_>>(), vec![1.0, 1000.0]);
        let (growth, first, last) = cpu_growth(&r, Kind::Accounts).unwrap();
        assert!((growth - 1.2).abs() < 1e-9 && first == 0.10 && last == 0.12);
        assert!(points(&r, Kind::Bodies).is_empty());
    }
}
