//! How the doctor's checks are shown: one line each with the fix under it, or one JSON document.

use codex_router_doctor::{Check, Status};
use serde_json::{Value, json};

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
