//! Hostile or broken peers: garbage, oversized and truncated frames, other protocol versions,
//! clients that vanish mid-reply, too many clients. The server must answer or close, never
//! panic or wedge, and keep serving everyone else.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly by design"
)]

mod common;

use codex_router_ipc::protocol::{ErrorCode, MAX_FRAME_BYTES};
use codex_router_ipc::{IpcClient, ServeOptions};
use common::{Raw, recv, request, start, start_with, within};
use serde_json::json;
use tokio::io::AsyncWriteExt;

async fn assert_serves(socket: &std::path::Path) {
    let mut client = within(IpcClient::connect(socket)).await.unwrap();
    assert_eq!(
        within(client.call("echo", json!("ok"))).await.unwrap(),
        json!("ok")
    );
}

#[tokio::test]
async fn garbage_gets_bad_frame_and_the_same_connection_goes_on() {
    let server = start().await;
    let mut raw = Raw::connect(&server.socket).await;
    raw.send(b"this is not json\n").await;
    let reply = raw.recv().await.unwrap();
    assert_eq!(reply["v"], 1);
    assert_eq!(reply["id"], 0);
    assert_eq!(reply["error"]["code"], "bad_frame");
    raw.send(b"{\"v\":1,\"id\":4,\"method\":7}\n").await;
    let reply = raw.recv().await.unwrap();
    assert_eq!(
        (reply["id"].clone(), reply["error"]["code"].clone()),
        (json!(4), json!("bad_frame"))
    );
    raw.send(&request(5, "echo", json!({"still": "here"}))).await;
    assert_eq!(
        raw.recv().await.unwrap(),
        json!({"v": 1, "id": 5, "result": {"still": "here"}})
    );
}

#[tokio::test]
async fn a_10_mib_line_gets_frame_too_large_without_being_buffered() {
    let server = start().await;
    let Raw {
        mut reader,
        mut writer,
    } = Raw::connect(&server.socket).await;
    // Write concurrently: the server stops reading at the limit, so a blocking write_all of
    // the whole line would never return if the server kept reading it all.
    let flood = tokio::spawn(async move {
        let chunk = vec![b'x'; 64 * 1024];
        let mut written = 0usize;
        while written < 10 * 1024 * 1024 {
            if writer.write_all(&chunk).await.is_err() {
                return written;
            }
            written += chunk.len();
        }
        let _ = writer.write_all(b"\n").await;
        written
    });
    let reply = recv(&mut reader).await.unwrap();
    assert_eq!(reply["error"]["code"], "frame_too_large");
    assert_eq!(reply["id"], 0);
    assert_eq!(recv(&mut reader).await, None, "the server closes the connection");
    let written = within(flood).await.unwrap();
    assert!(
        written < 10 * 1024 * 1024,
        "the server stopped reading near the limit ({written} bytes accepted, limit {MAX_FRAME_BYTES})"
    );
    assert_serves(&server.socket).await;
}

#[tokio::test]
async fn a_truncated_frame_then_hang_up_leaves_the_server_serving() {
    let server = start().await;
    let mut raw = Raw::connect(&server.socket).await;
    raw.send(br#"{"v":1,"id":1,"method":"ec"#).await;
    drop(raw);
    assert_serves(&server.socket).await;
}

#[tokio::test]
async fn another_protocol_version_gets_version_mismatch_with_ours() {
    let server = start().await;
    let mut raw = Raw::connect(&server.socket).await;
    raw.send(b"{\"v\":99,\"id\":12,\"method\":\"ping\",\"params\":{}}\n")
        .await;
    let reply = raw.recv().await.unwrap();
    assert_eq!(reply["id"], 12);
    assert_eq!(reply["error"]["code"], "version_mismatch");
    assert_eq!(
        reply["error"]["data"],
        json!({"client_version": 99, "daemon_release": codex_router_protocol::RELEASE_VERSION, "daemon_version": 1})
    );
    let message = reply["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("99") && message.contains("version 1"),
        "{message}"
    );
    raw.send(&request(13, "echo", json!(1))).await;
    assert_eq!(raw.recv().await.unwrap()["result"], 1);
}

#[tokio::test]
async fn clients_killed_mid_reply_never_hurt_the_server() {
    let server = start().await;
    for _ in 0..20 {
        let mut raw = Raw::connect(&server.socket).await;
        // ~900 KB: far more than a socket buffer, so the server is mid-write when we vanish.
        raw.send(&request(1, "big", json!({"bytes": 900_000}))).await;
        drop(raw);
    }
    // A reader that takes part of the reply and then vanishes.
    let mut raw = Raw::connect(&server.socket).await;
    raw.send(&request(1, "big", json!({"bytes": 900_000}))).await;
    let mut head = [0u8; 1024];
    tokio::io::AsyncReadExt::read_exact(&mut raw.reader, &mut head)
        .await
        .unwrap();
    drop(raw);
    assert_serves(&server.socket).await;
    let mut client = IpcClient::connect(&server.socket).await.unwrap();
    let big = within(client.call("big", json!({"bytes": 900_000})))
        .await
        .unwrap();
    assert_eq!(big.as_str().unwrap().len(), 900_000);
}

#[tokio::test]
async fn a_reply_over_the_frame_limit_becomes_an_internal_error() {
    let server = start().await;
    let mut client = IpcClient::connect(&server.socket).await.unwrap();
    let err = within(client.call("big", json!({"bytes": MAX_FRAME_BYTES})))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::Internal));
    assert_eq!(within(client.call("echo", json!(3))).await.unwrap(), json!(3));
}

#[tokio::test]
async fn connections_over_the_cap_get_daemon_busy_and_are_closed() {
    let server = start_with(ServeOptions { max_connections: 2 }).await;
    let mut first = IpcClient::connect(&server.socket).await.unwrap();
    let mut second = IpcClient::connect(&server.socket).await.unwrap();
    // Both are accepted (a reply proves it) and now hold the two slots.
    assert_eq!(within(first.call("echo", json!(1))).await.unwrap(), json!(1));
    assert_eq!(within(second.call("echo", json!(2))).await.unwrap(), json!(2));

    let mut raw = Raw::connect(&server.socket).await;
    let reply = raw.recv().await.unwrap();
    assert_eq!(
        (reply["id"].clone(), reply["error"]["code"].clone()),
        (json!(0), json!("daemon_busy"))
    );
    assert_eq!(raw.recv().await, None);

    let mut third = IpcClient::connect(&server.socket).await.unwrap();
    let err = within(third.call("echo", json!(3))).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::DaemonBusy));

    assert_eq!(within(first.call("echo", json!(4))).await.unwrap(), json!(4));
}
