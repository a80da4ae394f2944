//! End-to-end tests of issue 4: the real `codex-routerd` and `codexctl` binaries on temporary
//! router homes, with the fake backend as upstream. One test binary (ripgrep style), so the
//! binaries are built once per run (see `codex_router_e2e::bins`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod closed_stdout;
mod drain;
mod lifecycle;
mod live_accounts;
mod offline_accounts;
mod single_instance;
mod start_failures;
mod stop_unresponsive;

use std::process::Output;

/// stdout and stderr of a finished command, for assertion messages.
pub fn show(out: &Output) -> String {
    format!(
        "status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
