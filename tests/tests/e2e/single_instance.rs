//! One daemon per router home: a second one exits at once naming the first's pid, and after a
//! `kill -9` of the first a new one starts with no manual cleanup.

use std::time::Duration;

use codex_router_e2e::Home;
use codex_router_e2e::process::Sig;

#[test]
fn second_daemon_refuses_and_a_killed_one_leaves_nothing_stale() {
    let home = Home::new();
    let mut first = home.spawn_daemon();
    first.wait_ready(&home.paths.socket);

    let mut second = home.spawn_daemon();
    let status = second
        .wait_exit(Duration::from_secs(10))
        .unwrap_or_else(|| panic!("second daemon still running:\n{}", second.stderr()));
    assert!(!status.success(), "{status}");
    let expected = format!("already running (pid {})", first.pid());
    assert!(second.stderr().contains(&expected), "{}", second.stderr());
    assert_eq!(
        codex_router_e2e::upstream::ping(&home.paths.socket),
        Some(first.pid()),
        "first unharmed"
    );

    first.signal(Sig::Kill);
    first
        .wait_exit(Duration::from_secs(10))
        .expect("SIGKILL ends the daemon");
    assert!(
        home.paths.socket.exists(),
        "a killed daemon leaves its socket file behind"
    );

    let mut third = home.spawn_daemon();
    third.wait_ready(&home.paths.socket);
    assert_eq!(home.lock_holder(), Some(third.pid()));
}
