//! A doctor check and how the list is shown.

use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// Works, but worth knowing (and fixing).
    Warn,
    /// Broken: doctor exits 1.
    Fail,
    /// Cannot be checked here (e.g. no service manager in a container); the detail says why.
    Skip,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Stable name (`daemon`, `router_home`, `binding`, ...), for `--json` readers.
    pub id: &'static str,
    pub status: Status,
    /// One line: what was found.
    pub detail: String,
    /// One line: what to run or change; `None` when there is nothing to fix.
    pub fix: Option<String>,
}

impl Check {
    pub fn new(id: &'static str, status: Status, detail: impl Into<String>, fix: Option<String>) -> Self {
        Check {
            id,
            status,
            detail: detail.into(),
            fix,
        }
    }

    pub fn ok(id: &'static str, detail: impl Into<String>) -> Self {
        Self::new(id, Status::Ok, detail, None)
    }

    pub fn fail(id: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::new(id, Status::Fail, detail, Some(fix.into()))
    }

    pub fn warn(id: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self::new(id, Status::Warn, detail, Some(fix.into()))
    }

    pub fn skip(id: &'static str, detail: impl Into<String>) -> Self {
        Self::new(id, Status::Skip, detail, None)
    }
}

pub fn text(checks: &[Check]) -> String {
    let mut out = String::new();
    for c in checks {
        let tag = match c.status {
            Status::Ok => "ok  ",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
            Status::Skip => "skip",
        };
        out.push_str(&format!("{tag}  {:<13} {}\n", c.id, c.detail));
        if let (Some(fix), true) = (&c.fix, matches!(c.status, Status::Fail | Status::Warn)) {
            out.push_str(&format!("      {:<13} fix: {fix}\n", ""));
        }
    }
    let failed = count(checks, Status::Fail);
    let warned = count(checks, Status::Warn);
    out.push_str(&match (failed, warned) {
        (0, 0) => "\nall checks passed\n".to_owned(),
        (0, w) => format!("\nno check failed; {w} warning(s)\n"),
        (f, w) => format!("\n{f} check(s) failed, {w} warning(s)\n"),
    });
    out
}

pub fn json(checks: &[Check]) -> Value {
    let rows: Vec<Value> = checks
        .iter()
        .map(|c| json!({"id": c.id, "status": c.status.as_str(), "detail": c.detail, "fix": c.fix}))
        .collect();
    json!({
        "ok": count(checks, Status::Fail) == 0,
        "failed": count(checks, Status::Fail),
        "warnings": count(checks, Status::Warn),
        "checks": rows,
    })
}

fn count(checks: &[Check], status: Status) -> usize {
    checks.iter().filter(|c| c.status == status).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixes_follow_failures_and_the_summary_counts() {
        let checks = vec![
            Check::ok("daemon", "running"),
            Check::fail("binding", "Codex requests fail", "codexctl daemon start"),
            Check::skip("service", "no service manager"),
        ];
        let t = text(&checks);
        assert!(t.contains("FAIL  binding       Codex requests fail\n"), "{t}");
        assert!(t.contains("fix: codexctl daemon start"), "{t}");
        assert!(t.contains("skip  service       no service manager"), "{t}");
        assert!(t.ends_with("1 check(s) failed, 0 warning(s)\n"), "{t}");
        let v = json(&checks);
        assert_eq!(v["ok"], false);
        assert_eq!(v["checks"][1]["fix"], "codexctl daemon start");
        assert_eq!(v["checks"][2]["status"], "skip");
        assert!(text(&checks[..1]).ends_with("all checks passed\n"));
    }
}
