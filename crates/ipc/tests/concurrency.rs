//! Many clients at once, and subscription streams.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly by design"
)]

mod common;

use codex_router_ipc::IpcClient;
use codex_router_ipc::protocol::ErrorCode;
use common::{Raw, request, start, within};
use futures_util::StreamExt;
use serde_json::json;

/// codexctl may drive a subscription from a spawned task.
fn assert_send<T: Send>(_: &T) {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_clients_each_get_their_own_answers() {
    let server = start().await;
    let mut tasks = Vec::new();
    for client_idx in 0..50 {
        let socket = server.socket.clone();
        tasks.push(tokio::spawn(async move {
            let mut client = IpcClient::connect(&socket).await.unwrap();
            for call_idx in 0..10 {
                let params = json!({"client": client_idx, "call": call_idx});
                let method = if call_idx % 2 == 0 { "yield" } else { "echo" };
                assert_eq!(client.call(method, params.clone()).await.unwrap(), params);
            }
        }));
    }
    for task in tasks {
        within(task).await.unwrap();
    }
}

#[tokio::test]
async fn a_subscription_streams_events_until_the_client_hangs_up() {
    let mut server = start().await;
    let mut client = IpcClient::connect(&server.socket).await.unwrap();
    let events = within(client.subscribe("ticks", json!({}))).await.unwrap();
    assert_send(&events);
    let mut events = Box::pin(events);
    within(server.probes.subscribed.recv()).await.unwrap();
    for n in 0..3 {
        server.handler.events.send(json!({"n": n})).unwrap();
        assert_eq!(within(events.next()).await.unwrap().unwrap(), json!({"n": n}));
    }
    drop(events);
    drop(client);
    // The server notices the hang-up and drops the handler's stream.
    within(server.probes.dropped.recv()).await.unwrap();
    let mut other = IpcClient::connect(&server.socket).await.unwrap();
    assert_eq!(within(other.call("echo", json!(1))).await.unwrap(), json!(1));
}

#[tokio::test]
async fn a_finite_subscription_ends_with_a_null_result_frame() {
    let server = start().await;
    let mut raw = Raw::connect(&server.socket).await;
    raw.send(&request(9, "countdown", json!({"n": 2}))).await;
    assert_eq!(
        raw.recv().await.unwrap(),
        json!({"v": 1, "id": 9, "event": {"tick": 0}})
    );
    assert_eq!(
        raw.recv().await.unwrap(),
        json!({"v": 1, "id": 9, "event": {"tick": 1}})
    );
    assert_eq!(
        raw.recv().await.unwrap(),
        json!({"v": 1, "id": 9, "result": null})
    );
    assert_eq!(
        raw.recv().await,
        None,
        "the connection closes after a subscription"
    );

    let mut client = IpcClient::connect(&server.socket).await.unwrap();
    let events: Vec<_> = within(
        within(client.subscribe("countdown", json!({"n": 3})))
            .await
            .unwrap()
            .collect(),
    )
    .await;
    let events: Vec<_> = events.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        events,
        [json!({"tick": 0}), json!({"tick": 1}), json!({"tick": 2})]
    );
}

#[tokio::test]
async fn a_refused_subscription_is_an_error_item_and_the_connection_goes_on() {
    let server = start().await;
    let mut raw = Raw::connect(&server.socket).await;
    raw.send(&request(1, "refused", json!({}))).await;
    assert_eq!(raw.recv().await.unwrap()["error"]["code"], "invalid_params");
    raw.send(&request(2, "echo", json!(2))).await;
    assert_eq!(raw.recv().await.unwrap()["result"], 2);

    let mut client = IpcClient::connect(&server.socket).await.unwrap();
    let mut events = Box::pin(within(client.subscribe("nope", json!({}))).await.unwrap());
    let err = within(events.next()).await.unwrap().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::UnknownMethod));
    assert!(within(events.next()).await.is_none(), "an error is the last item");
}

#[tokio::test]
async fn shutdown_ends_subscriptions_with_unavailable() {
    let mut server = start().await;
    let mut client = IpcClient::connect(&server.socket).await.unwrap();
    let mut events = Box::pin(within(client.subscribe("ticks", json!({}))).await.unwrap());
    within(server.probes.subscribed.recv()).await.unwrap();
    server.shutdown.cancel();
    let err = within(events.next()).await.unwrap().unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::Unavailable));
    drop(events);
    within(server.task).await.unwrap().unwrap();
}
