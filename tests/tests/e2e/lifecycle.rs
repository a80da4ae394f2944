//! `daemon start` → `status --json` → `daemon stop` → `status` exits 3, file modes (socket
//! `0600` in a `0700` directory), and liveness that ignores a stale `daemon.json` (a recycled pid
//! is not a daemon).

use codex_router_e2e::home::account_record;
use codex_router_e2e::{Home, Upstream};
use serde_json::Value;

use crate::{show, stderr, stdout};

#[test]
fn start_status_stop_status() {
    let upstream = Upstream::start();
    let home = Home::with_fake(&upstream);
    home.write_accounts(&[account_record(&upstream.account("acc-1", "pro"))]);

    let out = home.run_ctl(&["daemon", "start"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(stdout(&out).contains("started codex-routerd"), "{}", show(&out));
    let again = home.run_ctl(&["daemon", "start"]);
    assert!(again.status.success(), "start is idempotent: {}", show(&again));
    assert!(stdout(&again).contains("already running"), "{}", show(&again));

    let out = home.run_ctl(&["status", "--json"]);
    assert!(out.status.success(), "{}", show(&out));
    let status: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", show(&out)));
    assert_documented_shape(&status);
    let pid = status["daemon"]["pid"].as_u64().unwrap();
    assert_eq!(home.lock_holder().map(u64::from), Some(pid));

    let human = home.run_ctl(&["status"]);
    assert!(human.status.success(), "{}", show(&human));
    assert!(stdout(&human).contains(&format!("pid {pid}")), "{}", show(&human));

    let logs = home.run_ctl(&["daemon", "logs"]);
    assert!(logs.status.success(), "{}", show(&logs));
    assert!(stdout(&logs).contains("codex-routerd ready"), "{}", show(&logs));

    let out = home.run_ctl(&["daemon", "restart"]);
    assert!(out.status.success(), "{}", show(&out));
    let new_pid = u64::from(home.lock_holder().expect("restarted"));
    assert_ne!(new_pid, pid, "a new daemon: {}", show(&out));
    let out = home.run_ctl(&["daemon", "status", "--json"]);
    assert!(out.status.success(), "{}", show(&out));
    let info: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["pid"], new_pid);
    assert_eq!(info["running"], true);

    let out = home.run_ctl(&["daemon", "stop"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(stdout(&out).contains("stopped codex-routerd"), "{}", show(&out));
    assert_eq!(home.lock_holder(), None, "the daemon is gone");

    let out = home.run_ctl(&["status"]);
    assert_eq!(out.status.code(), Some(3), "{}", show(&out));
    assert!(stderr(&out).contains("codexctl daemon start"), "{}", show(&out));
    let out = home.run_ctl(&["daemon", "status"]);
    assert_eq!(out.status.code(), Some(3), "{}", show(&out));
    let out = home.run_ctl(&["daemon", "stop"]);
    assert!(
        out.status.success(),
        "stop without a daemon is a no-op: {}",
        show(&out)
    );
}

/// Every field SPEC §9 documents for `status --json`.
fn assert_documented_shape(s: &Value) {
    let has = |v: &Value, path: &str, keys: &[&str]| {
        for k in keys {
            assert!(v.get(k).is_some(), "status --json lacks {path}.{k}: {s:#}");
        }
    };
    has(
        s,
        "",
        &[
            "daemon",
            "binding",
            "storage",
            "counters",
            "last_account",
            "last_error",
            "accounts",
        ],
    );
    has(
        &s["daemon"],
        "daemon",
        &["pid", "version", "started_at", "uptime_s", "listen", "socket"],
    );
    has(
        &s["binding"],
        "binding",
        &["bound", "config_path", "port", "matches_daemon", "bypassed_by"],
    );
    has(&s["storage"], "storage", &["state", "path", "kept_aside"]);
    has(
        &s["counters"],
        "counters",
        &[
            "total_requests",
            "upstream_requests",
            "retries",
            "rotations",
            "streams_started",
            "streams_completed",
            "streams_failed",
            "refreshes",
            "refresh_failures",
            "pool_exhausted",
        ],
    );
    let listen = s["daemon"]["listen"].as_str().unwrap_or_default();
    assert!(
        listen.starts_with("127.0.0.1:") && !listen.ends_with(":0"),
        "real port: {listen}"
    );
    let accounts = s["accounts"].as_array().expect("accounts is an array");
    assert_eq!(accounts.len(), 1, "{s:#}");
    has(
        &accounts[0],
        "accounts[0]",
        &[
            "id",
            "label",
            "state",
            "state_reason",
            "until",
            "plan_type",
            "quota",
            "requests",
            "failures",
            "in_flight",
            "last_used",
        ],
    );
    let state = accounts[0]["state"].as_str().unwrap_or_default();
    assert!(
        ["ready", "cooling_down", "rate_limited", "needs_login", "disabled"].contains(&state),
        "{state}"
    );
    assert!(
        !s.to_string().contains("@example.test"),
        "no raw account email in status"
    );
}

#[cfg(unix)]
#[test]
fn daemon_run_execs_the_daemon_in_the_foreground() {
    // Same pid: `codexctl daemon run` became codex-routerd rather than spawning it.
    let home = Home::new();
    let mut run = codex_router_e2e::DaemonProcess::spawn(home.ctl(&["daemon", "run"]));
    run.wait_ready(&home.paths.socket);
    run.signal(codex_router_e2e::process::Sig::Term);
    let status = run
        .wait_exit(std::time::Duration::from_secs(20))
        .expect("SIGTERM stops it");
    assert!(
        status.success(),
        "a graceful stop exits 0: {status}\n{}",
        run.stderr()
    );
}

#[cfg(unix)]
#[test]
fn socket_0600_in_a_0700_run_dir() {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let home = Home::new();
    let out = home.run_ctl(&["daemon", "start"]);
    assert!(out.status.success(), "{}", show(&out));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let socket = std::fs::metadata(&home.paths.socket).unwrap();
    assert!(socket.file_type().is_socket());
    assert_eq!(mode(&home.paths.socket), 0o600, "socket mode");
    assert_eq!(mode(&home.paths.run_dir), 0o700, "run/ mode");
    assert_eq!(mode(&home.paths.home), 0o700, "router home mode");
    assert_eq!(mode(&home.paths.client_key), 0o600, "client.key mode");
    assert_eq!(mode(&home.paths.daemon_json), 0o600, "daemon.json mode");
    let out = home.run_ctl(&["daemon", "stop"]);
    assert!(out.status.success(), "{}", show(&out));
}

#[test]
fn stale_daemon_json_with_a_live_pid_is_not_a_daemon() {
    // A recycled pid is not trusted: daemon.json survives a crash and its pid may be recycled
    // (here: by this very test process, which is certainly alive). Only an answer on the socket
    // counts.
    let home = Home::new();
    home.paths.ensure_dirs().unwrap();
    let pid = std::process::id();
    let stale = format!(
        r#"{{"pid":{pid},"version":"0.1.0","instance_id":"deadbeef","listen":"127.0.0.1:2456",
            "started_at":"2026-01-01T00:00:00Z","socket":"{}"}}"#,
        home.paths.socket.display()
    );
    std::fs::write(&home.paths.daemon_json, stale).unwrap();
    std::fs::write(&home.paths.daemon_lock, format!("{pid}\n")).unwrap();
    for args in [&["status"][..], &["daemon", "status"], &["status", "--json"]] {
        let out = home.run_ctl(args);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {}", show(&out));
    }
    let out = home.run_ctl(&["daemon", "stop"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(stdout(&out).contains("not running"), "{}", show(&out));
}

/// `daemon start` (and `restart`, `stop`) never touch Codex's `config.toml`: only the
/// `rotation` commands bind (SPEC §7).
#[test]
fn daemon_start_restart_and_stop_leave_codexs_config_toml_untouched() {
    let upstream = Upstream::start();
    let home = Home::with_fake(&upstream);
    home.write_accounts(&[account_record(&upstream.account("acc-1", "pro"))]);
    let codex = home.root().join("codex");
    std::fs::create_dir_all(&codex).unwrap();
    let config = codex.join("config.toml");
    let original = "# mine\nmodel = \"gpt-5\"\n\n[profiles.fast]\nmodel = \"o4-mini\"\n";
    std::fs::write(&config, original).unwrap();
    let modified = std::fs::metadata(&config).unwrap().modified().unwrap();
    for args in [["daemon", "start"], ["daemon", "restart"], ["daemon", "stop"]] {
        let out = home.run_ctl(&args);
        assert!(out.status.success(), "{}", show(&out));
        assert_eq!(
            std::fs::read_to_string(&config).unwrap(),
            original,
            "after {args:?}"
        );
    }
    assert_eq!(
        std::fs::metadata(&config).unwrap().modified().unwrap(),
        modified,
        "not even rewritten"
    );
    assert!(
        !home
            .root()
            .join("router")
            .join("bind")
            .join("state.json")
            .exists()
    );
}
