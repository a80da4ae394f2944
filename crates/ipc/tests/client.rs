//! The client against fake daemons that misbehave in ways the real server never does.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly by design"
)]

mod common;

use std::path::Path;
use std::time::Duration;

use codex_router_ipc::{IpcClient, IpcError, local_endpoint};
use common::within;
use interprocess::local_socket::ListenerOptions;
use interprocess::local_socket::tokio::{Listener, Stream};
use interprocess::local_socket::traits::tokio::Listener as _;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn fake_daemon(socket: &Path) -> Listener {
    let endpoint = local_endpoint(socket);
    ListenerOptions::new()
        .name(endpoint.to_name().unwrap())
        .create_tokio()
        .unwrap()
}

/// Accepts one connection, reads one request line, then writes `reply` and closes.
async fn reply_once(listener: Listener, reply: &'static [u8]) {
    let stream: Stream = listener.accept().await.unwrap();
    let (reader, mut writer) = tokio::io::split(stream);
    let mut line = String::new();
    BufReader::new(reader).read_line(&mut line).await.unwrap();
    writer.write_all(reply).await.unwrap();
}

#[tokio::test]
async fn an_unparseable_reply_keeps_the_raw_text() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("fake.sock");
    let server = tokio::spawn(reply_once(
        fake_daemon(&socket),
        b"<html>502 Bad Gateway</html>\n",
    ));
    let mut client = IpcClient::connect(&socket).await.unwrap();
    let err = within(client.call("status", json!({}))).await.unwrap_err();
    match err {
        IpcError::BadReply { raw } => assert_eq!(raw, "<html>502 Bad Gateway</html>"),
        other => panic!("expected BadReply, got {other:?}"),
    }
    server.await.unwrap();
}

#[tokio::test]
async fn a_reply_cut_short_is_a_bad_reply_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("fake.sock");
    let server = tokio::spawn(reply_once(fake_daemon(&socket), br#"{"v":1,"id":1,"resu"#));
    let mut client = IpcClient::connect(&socket).await.unwrap();
    let err = within(client.call("status", json!({}))).await.unwrap_err();
    let IpcError::BadReply { raw } = err else {
        panic!("expected BadReply, got {err:?}")
    };
    assert!(
        raw.starts_with(r#"{"v":1,"id":1,"resu"#) && raw.contains("closed mid-reply"),
        "{raw}"
    );
    server.await.unwrap();
}

#[tokio::test]
async fn stale_replies_are_skipped_and_id_zero_errors_are_taken_as_the_answer() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("fake.sock");
    let reply: &[u8] = b"{\"v\":1,\"id\":41,\"result\":\"stale\"}\n{\"v\":1,\"id\":0,\"error\":{\"code\":\"brand_new\",\"message\":\"m\"}}\n";
    let server = tokio::spawn(reply_once(fake_daemon(&socket), reply));
    let mut client = IpcClient::connect(&socket).await.unwrap();
    let err = within(client.call("status", json!({}))).await.unwrap_err();
    let IpcError::Rpc(rpc) = err else {
        panic!("expected Rpc, got {err:?}")
    };
    assert_eq!(rpc.code.as_str(), "brand_new");
    server.await.unwrap();
}

#[tokio::test]
async fn a_daemon_that_closes_without_answering_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("fake.sock");
    let listener = fake_daemon(&socket);
    let server = tokio::spawn(async move { drop(listener.accept().await.unwrap()) });
    let mut client = IpcClient::connect(&socket).await.unwrap();
    server.await.unwrap();
    let err = within(client.call("status", json!({}))).await.unwrap_err();
    assert!(matches!(err, IpcError::Closed), "{err:?}");
}

#[tokio::test]
async fn a_silent_daemon_times_out() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("fake.sock");
    let listener = fake_daemon(&socket);
    let (hold_tx, hold_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let _stream = listener.accept().await.unwrap();
        let _ = hold_rx.await;
    });
    let mut client = IpcClient::connect(&socket).await.unwrap();
    let err = within(client.call_with_timeout("status", json!({}), Some(Duration::from_millis(100))))
        .await
        .unwrap_err();
    match err {
        IpcError::Timeout { method, timeout } => {
            assert_eq!((method.as_str(), timeout), ("status", Duration::from_millis(100)));
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    drop(hold_tx);
    server.await.unwrap();
}

// A daemon of another release answers `version_mismatch`; the client's error names both releases
// and the fix, not only protocol numbers.
#[tokio::test]
async fn version_mismatch_names_the_daemon_release_codexctls_release_and_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("fake.sock");
    let reply: &[u8] = br#"{"v":2,"id":1,"error":{"code":"version_mismatch","message":"m","data":{"client_version":1,"daemon_release":"9.9.9","daemon_version":2}}}
"#;
    let server = tokio::spawn(reply_once(fake_daemon(&socket), reply));
    let mut client = IpcClient::connect(&socket).await.unwrap();
    let err = within(client.call("status", json!({}))).await.unwrap_err();
    let IpcError::Rpc(rpc) = err else {
        panic!("expected Rpc, got {err:?}")
    };
    let ours = codex_router_protocol::RELEASE_VERSION;
    for needle in [
        format!("codexctl {ours}"),
        "codex-routerd 9.9.9".to_owned(),
        "protocol 2".to_owned(),
        "codexctl daemon restart".to_owned(),
    ] {
        assert!(
            rpc.message.contains(&needle),
            "{needle:?} missing from {}",
            rpc.message
        );
    }
    server.await.unwrap();
}
