//! Calls through the real client against the real server on a real socket.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly by design"
)]

mod common;

use codex_router_ipc::protocol::ErrorCode;
use codex_router_ipc::protocol::methods::PingResult;
use codex_router_ipc::{IpcClient, IpcError};
use common::{Raw, request, start, within};
use serde_json::json;

#[tokio::test]
async fn call_round_trips_params_and_results() {
    let server = start().await;
    let mut client = within(IpcClient::connect(&server.socket)).await.unwrap();
    for n in 0..3 {
        let params = json!({"n": n, "text": "hé\nllo"});
        assert_eq!(within(client.call("echo", params.clone())).await.unwrap(), params);
    }
    let typed: PingResult =
        within(client.call_typed("echo", &json!({"version": "0.1.0", "pid": 7, "instance_id": "i"})))
            .await
            .unwrap();
    assert_eq!(typed.pid, 7);
}

#[tokio::test]
async fn typed_result_that_does_not_decode_is_a_bad_reply_with_the_raw_json() {
    let server = start().await;
    let mut client = IpcClient::connect(&server.socket).await.unwrap();
    let err = within(client.call_typed::<_, PingResult>("echo", &json!({"x": 1})))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, IpcError::BadReply { raw } if raw == r#"{"x":1}"#),
        "{err:?}"
    );
}

#[tokio::test]
async fn unknown_method_is_an_rpc_error_and_the_connection_goes_on() {
    let server = start().await;
    let mut client = IpcClient::connect(&server.socket).await.unwrap();
    let err = within(client.call("nope.nope", json!({}))).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UnknownMethod));
    assert!(err.to_string().contains("nope.nope"), "{err}");
    assert_eq!(within(client.call("echo", json!(1))).await.unwrap(), json!(1));
}

#[tokio::test]
async fn a_panicking_handler_answers_internal_and_the_server_survives() {
    let server = start().await;
    let mut client = IpcClient::connect(&server.socket).await.unwrap();
    let err = within(client.call("panic", json!({}))).await.unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::Internal));
    assert_eq!(within(client.call("echo", json!(2))).await.unwrap(), json!(2));
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order() {
    let server = start().await;
    let mut raw = Raw::connect(&server.socket).await;
    let mut batch = request(1, "yield", json!("slow"));
    batch.extend(request(2, "echo", json!("fast")));
    batch.extend(b"{garbage\n");
    batch.extend(request(3, "echo", json!("last")));
    raw.send(&batch).await;
    assert_eq!(
        raw.recv().await.unwrap(),
        json!({"v": 1, "id": 1, "result": "slow"})
    );
    assert_eq!(
        raw.recv().await.unwrap(),
        json!({"v": 1, "id": 2, "result": "fast"})
    );
    assert_eq!(raw.recv().await.unwrap()["error"]["code"], "bad_frame");
    assert_eq!(
        raw.recv().await.unwrap(),
        json!({"v": 1, "id": 3, "result": "last"})
    );
}

#[tokio::test]
async fn connect_without_a_daemon_is_not_running() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("run").join("codexctl.sock");
    let err = IpcClient::connect(&missing).await.unwrap_err();
    assert!(matches!(err, IpcError::NotRunning { .. }), "{err:?}");

    #[cfg(unix)]
    {
        // A stale socket file (listener gone, file left behind) refuses connections.
        let stale = dir.path().join("stale.sock");
        drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
        assert!(stale.exists());
        let err = IpcClient::connect(&stale).await.unwrap_err();
        assert!(matches!(err, IpcError::NotRunning { .. }), "{err:?}");
    }
}

#[tokio::test]
async fn shutdown_stops_serving_and_removes_the_socket_file() {
    let server = start().await;
    let mut client = IpcClient::connect(&server.socket).await.unwrap();
    assert_eq!(within(client.call("echo", json!(1))).await.unwrap(), json!(1));
    server.shutdown.cancel();
    within(server.task).await.unwrap().unwrap();
    #[cfg(unix)]
    assert!(!server.socket.exists());
    // The open connection was closed by the server rather than left hanging.
    let err = within(client.call("echo", json!(1))).await.unwrap_err();
    assert!(matches!(err, IpcError::Closed), "{err:?}");
    let err = IpcClient::connect(&server.socket).await.unwrap_err();
    assert!(matches!(err, IpcError::NotRunning { .. }), "{err:?}");
}
