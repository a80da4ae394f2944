//! Runs the harness's smoke mode (tiny cells, a few seconds) through the real binaries, so the benchmark
//! keeps working as the daemon changes. The benchmark itself is not part of `cargo test`: its numbers
//! are for `docs/benchmarks.md`, not for a pass/fail on a busy CI machine. What this asserts is that
//! every cell ran and every correctness check passed (no errors, counters match, spread, refreshes;
//! for the WebSocket cells: every step completed, the router's WebSocket path really incremental).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

#[test]
fn smoke_mode_runs_every_cell_through_the_real_binaries() {
    let bench = PathBuf::from(env!("CARGO_BIN_EXE_codex-router-bench"));
    // `cargo test --workspace` builds the daemon (its package has integration tests) into the same
    // directory as this package's own binary.
    let routerd = bench
        .parent()
        .unwrap()
        .join(format!("codex-routerd{}", std::env::consts::EXE_SUFFIX));
    assert!(
        routerd.is_file(),
        "{} is missing: `cargo test --workspace` builds it; when testing this package alone, run \
         `cargo build -p codex-routerd -p codexctl` first",
        routerd.display()
    );
    let tmp = tempfile::tempdir().unwrap();
    let json = tmp.path().join("smoke.json");
    let markdown = tmp.path().join("benchmarks.md");
    let started = Instant::now();
    let out = Command::new(&bench)
        .arg("--smoke")
        .arg("--json")
        .arg(&json)
        .arg("--markdown")
        .arg(&markdown)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "smoke run failed ({}):\n{stderr}",
        out.status
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "smoke mode took {:?}",
        started.elapsed()
    );

    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["mode"], "smoke");
    let cells = report["cells"].as_array().unwrap();
    for name in [
        "c1",
        "c4",
        "small-new-c4",
        "sessions-1k",
        "accounts-10",
        "body-1m",
        "streams-4",
        "stream-20ms",
        "failover-429",
        "spread-rr",
        "refresh",
        "slow-streams",
        "control",
        "ws-conversation",
        "ws-conversation-c4",
        "ws-failover",
        "conversation-grows",
    ] {
        let cell = cells
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("cell {name} missing"));
        assert!(
            cell["skipped"].is_null(),
            "cell {name} skipped: {}",
            cell["skipped"]
        );
    }
    let checks = report["checks"].as_array().unwrap();
    let failed: Vec<&Value> = checks.iter().filter(|c| c["ok"] != true).collect();
    assert!(failed.is_empty(), "failed checks: {failed:#?}");
    for name in [
        "counters",
        "one refresh per account",
        "spread (round-robin)",
        "spread (sticky)",
        "every step completed",
        "incremental (ws-router)",
        "full history (http-router)",
        "failover step moved in full",
    ] {
        assert!(
            checks.iter().any(|c| c["name"] == name),
            "check {name:?} never ran"
        );
    }
    let c1 = cells.iter().find(|c| c["name"] == "c1").unwrap();
    let targets: Vec<&str> = c1["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        targets.contains(&"direct") && targets.contains(&"router"),
        "{targets:?}"
    );

    // The router's WebSocket path was really incremental: after step 1, every step the client
    // sent was one small item (the check above also compared the fake's upstream frame counts).
    let conv = cells.iter().find(|c| c["name"] == "ws-conversation").unwrap();
    let steps = conv["steps"].as_array().unwrap();
    let ws_router: Vec<&Value> = steps.iter().filter(|s| s["target"] == "ws-router").collect();
    assert!(ws_router.len() >= 2, "{steps:?}");
    for s in &ws_router {
        let bytes = s["sent_bytes"].as_f64().unwrap();
        if s["step"] == 1 {
            assert!(bytes > 50_000.0, "step 1 carries the full input: {s}");
        } else {
            assert!(bytes < 1_000.0, "an incremental step sent {bytes} bytes: {s}");
        }
    }

    let text = std::fs::read_to_string(&markdown).unwrap();
    assert!(text.contains("### Targets\n") && text.contains("<!-- bench:results:end -->"));
}
