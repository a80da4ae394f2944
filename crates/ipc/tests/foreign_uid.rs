//! The daemon refuses a peer of another uid (Linux, SO_PEERCRED). Needs root to become another
//! user, so it runs as root (as CI does) and is skipped, saying why, otherwise.
//!
//! The test re-runs this very test binary with an environment variable that turns
//! `helper_connect_as_nobody` into a client which drops to uid 65534 before connecting. The
//! socket's directory and file modes are loosened first, so the uid check is the only wall.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly by design"
)]
#![cfg(target_os = "linux")]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{start, within};

const HELPER_SOCKET: &str = "CODEX_ROUTER_IPC_TEST_HELPER_SOCKET";
const HELPER_KEEP_UID: &str = "CODEX_ROUTER_IPC_TEST_HELPER_KEEP_UID";
const NOBODY: libc::uid_t = 65534;

#[allow(unsafe_code)]
fn euid() -> libc::uid_t {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

#[allow(unsafe_code)]
fn become_nobody() {
    // SAFETY: setuid only changes this process's credentials; glibc applies it to all threads.
    let rc = unsafe { libc::setuid(NOBODY) };
    assert_eq!(rc, 0, "setuid: {}", std::io::Error::last_os_error());
    assert_eq!(euid(), NOBODY);
}

/// Not a test of its own: the child process `peer_of_another_uid_is_refused` starts (with
/// `--ignored`). Ignored in a plain run, so it is reported as not run instead of passing.
#[test]
#[ignore = "a helper process, run by peer_of_another_uid_is_refused"]
fn helper_connect_as_nobody() {
    let Some(socket) = std::env::var_os(HELPER_SOCKET) else {
        panic!(
            "started without {HELPER_SOCKET}: this helper runs only as peer_of_another_uid_is_refused's child"
        );
    };
    if std::env::var_os(HELPER_KEEP_UID).is_none() {
        become_nobody();
    }
    let mut stream = UnixStream::connect(&socket).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = stream.write_all(b"{\"v\":1,\"id\":1,\"method\":\"echo\",\"params\":\"hi\"}\n");
    let mut reply = String::new();
    let verdict = match BufReader::new(stream).read_line(&mut reply) {
        Ok(0) => "refused".to_owned(),
        Err(err) if err.kind() == std::io::ErrorKind::ConnectionReset => "refused".to_owned(),
        Err(err) => format!("error:{err}"),
        Ok(_) => format!("answered:{}", reply.trim()),
    };
    println!("HELPER_RESULT={verdict}");
}

fn run_helper(socket: &Path, keep_uid: bool) -> String {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args([
        "--exact",
        "helper_connect_as_nobody",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ]);
    command.env(HELPER_SOCKET, socket);
    if keep_uid {
        command.env(HELPER_KEEP_UID, "1");
    }
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let verdict = stdout
        .lines()
        .find_map(|line| line.split_once("HELPER_RESULT=").map(|(_, verdict)| verdict));
    let stderr = String::from_utf8_lossy(&output.stderr);
    verdict
        .unwrap_or_else(|| panic!("helper printed no verdict\n{stdout}\n{stderr}"))
        .to_owned()
}

fn loosen(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_of_another_uid_is_refused() {
    if euid() != 0 {
        // SPEC §10: a test that cannot run does not pass, unless the run opts out by name.
        if std::env::var_os("CODEX_ROUTER_SKIP_ROOT_TESTS").is_some() {
            eprintln!(
                "SKIPPED peer_of_another_uid_is_refused: needs root to connect as another uid; \
                 opted out with CODEX_ROUTER_SKIP_ROOT_TESTS"
            );
            return;
        }
        panic!(
            "peer_of_another_uid_is_refused needs root to connect as another uid (CI runs as root); \
             set CODEX_ROUTER_SKIP_ROOT_TESTS=1 to skip it explicitly"
        );
    }
    let server = start().await;
    loosen(server.dir.path(), 0o755);
    loosen(server.socket.parent().unwrap(), 0o755);
    loosen(&server.socket, 0o666);

    let socket = server.socket.clone();
    let same_user = within(tokio::task::spawn_blocking(move || run_helper(&socket, true)))
        .await
        .unwrap();
    assert_eq!(same_user, r#"answered:{"v":1,"id":1,"result":"hi"}"#);

    let socket = server.socket.clone();
    let nobody = within(tokio::task::spawn_blocking(move || run_helper(&socket, false)))
        .await
        .unwrap();
    assert_eq!(nobody, "refused");
}
