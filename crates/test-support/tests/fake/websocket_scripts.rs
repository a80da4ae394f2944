//! Scripts over WebSocket: wrapped error events, the 60-minute limit, handshake failures, the HTTP
//! fallback switch, function calls and broken connections.

use codex_router_test_support::{Behavior, Gate};
use futures_util::StreamExt as _;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::common::{codex_body, fake_with_account, responses};
use crate::websocket::{connect, create, kinds, next_event, next_message, refused, response, send, user};

#[tokio::test]
async fn usage_limit_is_a_wrapped_429_with_headers() {
    let (fake, t) = fake_with_account().await;
    let mut ws = connect(&fake, &t.access_token, "acc-a").await;
    fake.script(
        "acc-a",
        Behavior::UsageLimit {
            resets_in_seconds: Some(600),
            resets_at: Some(1789435516),
            plan_type: Some("pro".into()),
        },
    );
    send(&mut ws, &create(&[user("x")], json!({}))).await;
    let ev = next_event(&mut ws).await;
    assert_eq!(ev["type"], "error");
    assert_eq!(ev["status"], 429);
    assert_eq!(
        ev["error"],
        json!({"type":"usage_limit_reached","message":"The usage limit has been reached","plan_type":"pro",
            "resets_at":1789435516,"resets_in_seconds":600})
    );
    assert_eq!(ev["headers"]["x-codex-primary-used-percent"], "100");
    assert_eq!(ev["headers"]["x-codex-primary-reset-at"], "1789435516");
    assert_eq!(ev["headers"]["x-codex-active-limit"], "codex");
    // The one-shot is spent; the connection is still usable.
    send(&mut ws, &create(&[user("y")], json!({}))).await;
    assert_eq!(
        kinds(&response(&mut ws).await).last(),
        Some(&"response.completed")
    );
}

#[tokio::test]
async fn http_scripts_and_in_band_failures_travel_as_frames() {
    let (fake, t) = fake_with_account().await;
    let mut ws = connect(&fake, &t.access_token, "acc-a").await;
    fake.script("acc-a", Behavior::rate_limit_exceeded(Some(3)));
    fake.script("acc-a", Behavior::overloaded_in_band());
    fake.script("acc-a", Behavior::GarbageSse);
    send(&mut ws, &create(&[user("x")], json!({}))).await;
    let ev = next_event(&mut ws).await;
    assert_eq!(
        (ev["status"].as_u64(), ev["error"]["code"].as_str()),
        (Some(429), Some("rate_limit_exceeded"))
    );
    assert_eq!(ev["headers"], json!({"retry-after": "3"}));
    send(&mut ws, &create(&[user("x")], json!({}))).await;
    let evs = [
        next_event(&mut ws).await,
        next_event(&mut ws).await,
        next_event(&mut ws).await,
    ];
    assert_eq!(
        kinds(&evs),
        ["response.created", "response.in_progress", "response.failed"]
    );
    assert_eq!(evs[2]["response"]["error"]["code"], "server_is_overloaded");
    send(&mut ws, &create(&[user("x")], json!({}))).await;
    match next_message(&mut ws).await {
        Some(Ok(Message::Text(t))) => assert!(serde_json::from_str::<serde_json::Value>(t.as_str()).is_err()),
        other => panic!("expected a garbage text frame, got {other:?}"),
    }
    assert_eq!(fake.responses_calls("acc-a"), 3);
}

#[tokio::test]
async fn expired_connections_get_the_limit_error_then_close() {
    let (fake, t) = fake_with_account().await;
    let mut ws = connect(&fake, &t.access_token, "acc-a").await;
    send(&mut ws, &create(&[user("x")], json!({}))).await;
    response(&mut ws).await;
    fake.expire_ws_connections("acc-a");
    send(&mut ws, &create(&[user("y")], json!({}))).await;
    assert_eq!(
        next_event(&mut ws).await,
        json!({"type":"error","status":400,"error":{"type":"invalid_request_error","code":"websocket_connection_limit_reached",
            "message":"Responses websocket connection limit reached (60 minutes). Create a new websocket connection to continue."}})
    );
    assert!(matches!(next_message(&mut ws).await, Some(Ok(Message::Close(_)))));
    // Reading on flushes the client's close reply; then the server lets the socket go.
    assert!(matches!(next_message(&mut ws).await, None | Some(Err(_))));
    fake.wait_ws_connections_open(0).await;
    // A new connection is not affected.
    let mut ws = connect(&fake, &t.access_token, "acc-a").await;
    send(&mut ws, &create(&[user("z")], json!({}))).await;
    assert_eq!(
        kinds(&response(&mut ws).await).last(),
        Some(&"response.completed")
    );
    assert_eq!(fake.ws_connections_total("acc-a"), 2);
}

#[tokio::test]
async fn websocket_off_answers_the_upgrade_404() {
    let (fake, t) = fake_with_account().await;
    fake.set_websocket(false);
    let (status, body) = refused(&fake, &t.access_token, "acc-a").await;
    assert_eq!(status, 404);
    assert_eq!(body, json!({"detail": "Not Found"}));
    fake.set_websocket(true);
    connect(&fake, &t.access_token, "acc-a").await;
}

#[tokio::test]
async fn handshake_scripts_answer_http_once() {
    let (fake, t) = fake_with_account().await;
    fake.script_ws_handshake("acc-a", Behavior::usage_limit_in(60));
    fake.script_ws_handshake("acc-a", Behavior::server_error(503));
    let (status, body) = refused(&fake, &t.access_token, "acc-a").await;
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (429, Some("usage_limit_reached"))
    );
    let (status, body) = refused(&fake, &t.access_token, "acc-a").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (503, Some("server_is_overloaded"))
    );
    connect(&fake, &t.access_token, "acc-a").await;
    assert_eq!(fake.ws_connections_total("acc-a"), 1);
}

#[tokio::test]
async fn function_call_then_its_output_over_websocket() {
    let (fake, t) = fake_with_account().await;
    let mut ws = connect(&fake, &t.access_token, "acc-a").await;
    let args = r#"{"command":["echo","hi"]}"#;
    fake.script(
        "acc-a",
        Behavior::FunctionCall {
            name: "shell".into(),
            arguments: args.into(),
        },
    );
    // The prewarm leaves the queued function call for the first generating request.
    send(&mut ws, &create(&[], json!({"generate": false}))).await;
    let prewarm_id = response(&mut ws).await[1]["response"]["id"].clone();
    send(
        &mut ws,
        &create(
            &[user("run echo hi")],
            json!({"previous_response_id": prewarm_id}),
        ),
    )
    .await;
    let events = response(&mut ws).await;
    let done = &events[events.len() - 1]["response"];
    assert_eq!(done["output"][0]["type"], "reasoning");
    let call = &done["output"][1];
    assert_eq!(
        (call["type"].as_str(), call["name"].as_str()),
        (Some("function_call"), Some("shell"))
    );
    assert_eq!(
        (call["arguments"].as_str(), call["status"].as_str()),
        (Some(args), Some("completed"))
    );
    assert!(kinds(&events).contains(&"response.output_item.added"));
    let output = json!({"type":"function_call_output","call_id":call["call_id"],"output":"hi\n"});
    send(
        &mut ws,
        &create(&[output], json!({"previous_response_id": done["id"]})),
    )
    .await;
    let second = response(&mut ws).await;
    assert_eq!(
        second[second.len() - 1]["response"]["output"][1]["type"],
        "message"
    );
}

#[tokio::test]
async fn function_call_over_http() {
    let (fake, t) = fake_with_account().await;
    fake.script(
        "acc-a",
        Behavior::FunctionCall {
            name: "shell".into(),
            arguments: "{}".into(),
        },
    );
    let body = responses(&fake, &t.access_token, "acc-a", &codex_body(&[]))
        .send()
        .await
        .expect("send")
        .bytes()
        .await
        .expect("body");
    let events = codex_router_test_support::parse_sse(&body);
    let done = events.last().and_then(|e| e.json()).expect("completed");
    assert_eq!(done["response"]["output"][1]["type"], "function_call");
    assert!(
        done["response"]["output"][1]["call_id"]
            .as_str()
            .is_some_and(|c| c.starts_with("call_"))
    );
}

#[tokio::test]
async fn drop_after_events_drops_the_socket_without_a_close_frame() {
    let (fake, t) = fake_with_account().await;
    let mut ws = connect(&fake, &t.access_token, "acc-a").await;
    fake.script("acc-a", Behavior::DropAfterEvents(3));
    send(&mut ws, &create(&[user("x")], json!({}))).await;
    for _ in 0..3 {
        next_event(&mut ws).await;
    }
    match next_message(&mut ws).await {
        Some(Err(_)) | None => {}
        other => panic!("expected a broken connection, got {other:?}"),
    }
    fake.wait_ws_connections_open(0).await;
}

#[tokio::test]
async fn pause_after_events_waits_for_the_gate() {
    let (fake, t) = fake_with_account().await;
    let mut ws = connect(&fake, &t.access_token, "acc-a").await;
    let gate = Gate::new();
    fake.script("acc-a", Behavior::PauseAfterEvents(2, gate.clone()));
    send(&mut ws, &create(&[user("x")], json!({}))).await;
    next_event(&mut ws).await;
    next_event(&mut ws).await;
    let pending = tokio::time::timeout(std::time::Duration::from_millis(50), ws.next()).await;
    assert!(pending.is_err(), "nothing before the gate opens");
    gate.open();
    assert_eq!(
        kinds(&response(&mut ws).await).last(),
        Some(&"response.completed")
    );
}
