//! Out of file descriptors, the proxy keeps its listener and recovers. The daemon runs with a tiny
//! descriptor limit; idle connections use up the rest, so `accept` fails with EMFILE until they
//! close. The accept loop must back off, say so, and serve again.

#![cfg(unix)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use codex_router_e2e::bins::bins;
use codex_router_e2e::process::DaemonProcess;
use codex_router_e2e::{Home, Upstream};
use codex_router_store::read_daemon_info;

/// Descriptors the daemon gets: enough to start, far fewer than the connections opened below.
const NOFILE: u32 = 48;

fn healthz(addr: &str) -> Option<String> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    s.write_all(b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
        .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

#[test]
fn accept_backs_off_when_descriptors_run_out_and_serves_again() {
    let upstream = Upstream::start();
    let home = Home::with_fake(&upstream);
    // `exec` keeps the pid: the shell only lowers the limit for the daemon it becomes.
    let mut cmd: Command = home.command(std::path::Path::new("/bin/sh"));
    cmd.arg("-c")
        .arg(format!("ulimit -n {NOFILE} && exec \"$0\""))
        .arg(&bins().routerd);
    let mut daemon = DaemonProcess::spawn(cmd);
    daemon.wait_ready(&home.paths.socket);
    let info = read_daemon_info(&home.paths.daemon_json)
        .unwrap()
        .expect("daemon.json");

    let hogs: Vec<TcpStream> = (0..NOFILE * 2)
        .filter_map(|_| TcpStream::connect(&info.listen).ok())
        .collect();
    assert!(
        hogs.len() as u32 > NOFILE,
        "the listen queue takes the connections"
    );
    daemon
        .wait_for_line("accepting a proxy connection failed", Duration::from_secs(10))
        .unwrap_or_else(|| panic!("no EMFILE warning:\n{}", daemon.stderr()));

    drop(hogs);
    // The probe waits in the listen queue until the daemon, its descriptors freed as it reads
    // the closed connections' EOFs, accepts again: one request, answered or timed out.
    let answer = healthz(&info.listen).unwrap_or_default();
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "the proxy did not recover: {answer:?}\n{}",
        daemon.stderr()
    );
    daemon
        .wait_for_line("accepting proxy connections again", Duration::from_secs(10))
        .unwrap_or_else(|| panic!("no recovery line:\n{}", daemon.stderr()));
    // One warning per episode of failures (accepting the closed connections can start a second
    // one), not one per 50 ms retry.
    let warnings = daemon
        .stderr()
        .matches("accepting a proxy connection failed")
        .count();
    assert!(
        (1..=5).contains(&warnings),
        "{warnings} warnings:\n{}",
        daemon.stderr()
    );
    assert!(
        daemon.wait_exit(Duration::from_millis(10)).is_none(),
        "the daemon stays up"
    );
}
