//! `daemon stop` against a daemon that does not answer: it is killed after the grace period, and
//! the user is told so.

#![cfg(unix)]

use std::time::{Duration, Instant};

use codex_router_e2e::Home;
use codex_router_e2e::process::{Sig, signal};

use crate::{show, stdout};

#[test]
fn stop_kills_a_frozen_daemon_after_the_grace_period() {
    let mut home = Home::new();
    let out = home.run_ctl(&["daemon", "start"]);
    assert!(out.status.success(), "{}", show(&out));
    let pid = home.lock_holder().expect("the daemon holds run/daemon.lock");
    signal(pid, Sig::Stop);

    home.set_env("CODEXCTL_STOP_GRACE_MS", "300");
    let started = Instant::now();
    let out = home.run_ctl(&["daemon", "stop"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        stdout(&out).contains(&format!("killed pid {pid}")),
        "{}",
        show(&out)
    );
    assert!(stdout(&out).contains("SIGKILL"), "{}", show(&out));
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(home.lock_holder(), None, "nobody holds run/daemon.lock any more");

    // And the home is usable again at once.
    let out = home.run_ctl(&["daemon", "start"]);
    assert!(out.status.success(), "{}", show(&out));
    let out = home.run_ctl(&["daemon", "stop"]);
    assert!(out.status.success(), "{}", show(&out));
}
