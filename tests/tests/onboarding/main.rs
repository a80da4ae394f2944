//! End-to-end tests of onboarding: `codexctl accounts login` and `accounts import`,
//! the real binaries on temporary homes (HOME, CODEX_HOME and CODEX_ROUTER_HOME all inside the
//! test's directory), with the fake backend as ChatGPT backend and OAuth issuer.
//!
//! That the issuer never sees a refresh token presented twice is asserted at the end of every
//! test through [`no_reuse`].

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod bad_input;
mod device;
mod import;
mod linked;
mod login;

pub use codex_router_e2e::{show, stderr, stdout};

use codex_router_e2e::{Home, Upstream};
use serde_json::Value;

/// Refresh tokens are single use (SPEC §6): no refresh token was presented twice.
pub fn no_reuse(upstream: &Upstream) {
    assert_eq!(
        upstream.fake.refresh_reuse_count(),
        0,
        "the fake issuer saw a refresh token presented twice"
    );
}

/// `accounts.json` as JSON; `null` when there is none.
pub fn stored(home: &Home) -> Value {
    match std::fs::read(&home.paths.accounts) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap(),
        Err(_) => Value::Null,
    }
}

/// The pool as the daemon lists it (`accounts list --json`).
pub fn listed(home: &Home) -> Vec<Value> {
    let out = home.run_ctl(&["accounts", "list", "--json"]);
    assert!(out.status.success(), "{}", show(&out));
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    list["accounts"].as_array().cloned().unwrap_or_default()
}

pub fn start_daemon(home: &Home) {
    let out = home.run_ctl(&["daemon", "start"]);
    assert!(out.status.success(), "{}", show(&out));
}

pub fn stop_daemon(home: &Home) {
    let out = home.run_ctl(&["daemon", "stop"]);
    assert!(out.status.success(), "{}", show(&out));
}

/// Fails if output shows a token or an email (emails belong only to `accounts list`).
pub fn assert_no_secrets(text: &str) {
    for needle in ["eyJ", "@example.test", "rt_"] {
        assert!(!text.contains(needle), "`{needle}` leaked into:\n{text}");
    }
}
