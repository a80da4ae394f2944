//! Socket file hygiene: modes, stale files, a live daemon, cleanup (Unix; checked with stat).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly by design"
)]
#![cfg(unix)]

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use codex_router_ipc::{IpcClient, IpcError, ServeOptions, bind};
use common::{socket_in, spawn_server, within};
use serde_json::json;

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path).unwrap().mode() & 0o7777
}

fn is_socket(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).unwrap().file_type().is_socket()
}

async fn assert_serves(socket: &Path) {
    let mut client = within(IpcClient::connect(socket)).await.unwrap();
    assert_eq!(
        within(client.call("echo", json!("hi"))).await.unwrap(),
        json!("hi")
    );
}

#[tokio::test]
async fn socket_is_0600_in_a_0700_directory() {
    let dir = tempfile::tempdir().unwrap();
    let socket = socket_in(dir.path());
    let listener = bind(&socket).unwrap();
    assert!(is_socket(&socket));
    assert_eq!(mode(&socket), 0o600);
    assert_eq!(mode(socket.parent().unwrap()), 0o700);
    drop(listener);
    assert!(!socket.exists(), "dropping the listener removes its socket file");
}

#[tokio::test]
async fn an_existing_loose_directory_is_tightened_to_0700() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    std::fs::create_dir(&run).unwrap();
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o755)).unwrap();
    let _listener = bind(&run.join("codexctl.sock")).unwrap();
    assert_eq!(mode(&run), 0o700);
}

#[tokio::test]
async fn a_shared_sticky_directory_is_refused_not_chmodded() {
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let err = bind(&shared.join("codexctl.sock")).unwrap_err();
    assert!(matches!(err, IpcError::Fs { .. }), "{err:?}");
    assert_eq!(mode(&shared), 0o1777);
}

#[tokio::test]
async fn a_stale_socket_left_by_a_dead_listener_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let socket = socket_in(dir.path());
    std::fs::create_dir(socket.parent().unwrap()).unwrap();
    drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
    assert!(is_socket(&socket), "std leaves the socket file behind");

    let listener = bind(&socket).unwrap();
    assert_eq!(mode(&socket), 0o600);
    let server = spawn_server(dir, socket.clone(), listener, ServeOptions::default());
    assert_serves(&socket).await;
    drop(server);
}

#[tokio::test]
async fn a_plain_file_in_the_way_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let socket = socket_in(dir.path());
    std::fs::create_dir(socket.parent().unwrap()).unwrap();
    std::fs::write(&socket, b"not a socket").unwrap();

    let listener = bind(&socket).unwrap();
    assert!(is_socket(&socket));
    let _server = spawn_server(dir, socket.clone(), listener, ServeOptions::default());
    assert_serves(&socket).await;
}

#[tokio::test]
async fn a_second_bind_while_the_first_serves_is_already_in_use() {
    let server = common::start().await;
    let err = bind(&server.socket).unwrap_err();
    assert!(matches!(err, IpcError::AlreadyInUse { .. }), "{err:?}");
    // The live daemon's socket was left alone and still serves.
    assert!(is_socket(&server.socket));
    assert_serves(&server.socket).await;
}

#[tokio::test]
async fn dropping_a_listener_leaves_a_socket_file_it_no_longer_owns() {
    let dir = tempfile::tempdir().unwrap();
    let socket = socket_in(dir.path());
    let listener = bind(&socket).unwrap();
    // Someone else took the path over (e.g. a second daemon after a forced removal).
    std::fs::remove_file(&socket).unwrap();
    std::fs::write(&socket, b"someone else's").unwrap();
    drop(listener);
    assert_eq!(std::fs::read(&socket).unwrap(), b"someone else's");
}
