//! Start-up failures are loud and quick: a listen address in use (named, no silent fallback), and a
//! daemon that does not come up in time (`daemon start` gives up and shows the log).

use std::net::TcpListener;
use std::time::{Duration, Instant};

use codex_router_e2e::Home;
use codex_router_store::try_lock;

use crate::{show, stderr};

#[test]
fn listen_address_in_use_is_named_and_never_replaced() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let mut home = Home::new();
    home.set_env("CODEX_ROUTER_LISTEN", &addr);

    let mut daemon = home.spawn_daemon();
    let status = daemon
        .wait_exit(Duration::from_secs(10))
        .unwrap_or_else(|| panic!("daemon still running:\n{}", daemon.stderr()));
    assert!(!status.success(), "{status}");
    assert!(
        daemon.stderr().contains(&addr),
        "names {addr}:\n{}",
        daemon.stderr()
    );

    let out = home.run_ctl(&["daemon", "start"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stderr(&out).contains(&addr),
        "the log tail names {addr}: {}",
        show(&out)
    );
    assert!(stderr(&out).contains("last lines of"), "{}", show(&out));
    assert_eq!(home.lock_holder(), None);
}

#[test]
fn start_gives_up_after_its_timeout_and_prints_the_log() {
    let mut home = Home::new();
    home.paths.ensure_dirs().unwrap();
    // A codexctl "editing accounts.json" holds the writer lock: the daemon waits for it.
    let _writer = try_lock(&home.paths.accounts_lock).unwrap().unwrap();
    home.set_env("CODEXCTL_START_TIMEOUT_MS", "1500");
    let started = Instant::now();
    let out = home.run_ctl(&["daemon", "start"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "gave up at its timeout"
    );
    assert!(stderr(&out).contains("did not answer"), "{}", show(&out));
    assert!(stderr(&out).contains("daemon-stderr.log"), "{}", show(&out));
    // `Home` kills the still-waiting daemon on drop.
}
