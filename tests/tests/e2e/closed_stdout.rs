//! `codexctl … | head -1`: stdout is a pipe whose reader is already gone, so the first write fails
//! with EPIPE. No command may panic, print a backtrace or fail because of it; `status --watch` must
//! end instead of running on.

use std::process::Stdio;

use codex_router_e2e::home::account_record;
use codex_router_e2e::process::wait_bounded;
use codex_router_e2e::{Home, STEP, Upstream};

use crate::show;

fn run_with_closed_stdout(home: &Home, args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut cmd = home.ctl(args);
    cmd.stdin(Stdio::null()).stdout(writer).stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    // Our copy of the write end must go too, or nothing changes for the child.
    drop(cmd);
    wait_bounded(child, STEP)
}

fn assert_quiet_success(home: &Home, args: &[&str]) {
    let out = run_with_closed_stdout(home, args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{args:?} panicked: {}", show(&out));
    assert!(
        !err.to_lowercase().contains("backtrace"),
        "{args:?}: {}",
        show(&out)
    );
    assert!(!err.contains("Broken pipe"), "{args:?}: {}", show(&out));
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", show(&out));
}

#[test]
fn closed_stdout_is_a_quiet_success() {
    let upstream = Upstream::start();
    let home = Home::with_fake(&upstream);
    home.write_accounts(&[account_record(&upstream.account("acc-1", "plus"))]);

    // Daemon down first.
    assert_quiet_success(&home, &["accounts", "list"]);
    assert_quiet_success(&home, &["completions", "bash"]);
    assert_quiet_success(&home, &["config", "show"]);
    assert_quiet_success(&home, &["--help"]);

    let out = home.run_ctl(&["daemon", "start"]);
    assert!(out.status.success(), "{}", show(&out));
    for args in [
        &["status"][..],
        &["status", "--json"],
        &["status", "--watch"],
        &["status", "--watch", "--json"],
        &["accounts", "list"],
        &["daemon", "status"],
        &["daemon", "logs"],
        &["config", "show", "--json"],
    ] {
        assert_quiet_success(&home, args);
    }
    let out = home.run_ctl(&["daemon", "stop"]);
    assert!(out.status.success(), "{}", show(&out));
}
