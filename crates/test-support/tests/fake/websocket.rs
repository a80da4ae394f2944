//! The WebSocket transport of `/codex/responses`: handshake, per-connection contexts, prewarm, and the
//! shared helpers for `websocket_scripts.rs`. A real tokio-tungstenite client on 127.0.0.1.

use std::time::Duration;

use codex_router_test_support::{FakeBackend, encrypted_content_owner, mint_encrypted_content};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::Request;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use crate::common::{codex_body, fake_with_account};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub const WAIT: Duration = Duration::from_secs(10);

/// The handshake Codex sends (codex-client.md §7), with this bearer and account header.
pub fn ws_request(fake: &FakeBackend, token: &str, account: &str) -> Request<()> {
    let url = format!("ws://{}/backend-api/codex/responses", fake.addr());
    let mut req = url.into_client_request().expect("request");
    let h = req.headers_mut();
    h.insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    h.insert("chatgpt-account-id", account.parse().expect("header"));
    h.insert(
        "openai-beta",
        "responses_websockets=2026-02-06".parse().expect("header"),
    );
    h.insert("session-id", "thread-1".parse().expect("header"));
    h.insert(
        "sec-websocket-extensions",
        "permessage-deflate; client_max_window_bits"
            .parse()
            .expect("header"),
    );
    req
}

pub async fn connect(fake: &FakeBackend, token: &str, account: &str) -> Ws {
    let (ws, resp) = connect_async(ws_request(fake, token, account))
        .await
        .expect("upgrade");
    assert_eq!(resp.status(), 101);
    ws
}

/// The HTTP answer of a refused handshake: status and body.
pub async fn refused(fake: &FakeBackend, token: &str, account: &str) -> (u16, Value) {
    match connect_async(ws_request(fake, token, account)).await {
        Err(WsError::Http(resp)) => {
            let body = resp.body().clone().unwrap_or_default();
            (
                resp.status().as_u16(),
                serde_json::from_slice(&body).unwrap_or(Value::Null),
            )
        }
        Ok(_) => panic!("handshake was accepted"),
        Err(err) => panic!("handshake failed without an HTTP answer: {err}"),
    }
}

pub async fn send(ws: &mut Ws, frame: &Value) {
    ws.send(Message::text(frame.to_string())).await.expect("send");
}

/// The next server message other than ping/pong (`None` when the stream ended or broke).
pub async fn next_message(ws: &mut Ws) -> Option<Result<Message, WsError>> {
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a frame in time")?;
        if !matches!(msg, Ok(Message::Ping(_) | Message::Pong(_))) {
            return Some(msg);
        }
    }
}

pub async fn next_event(ws: &mut Ws) -> Value {
    match next_message(ws).await {
        Some(Ok(Message::Text(t))) => serde_json::from_str(t.as_str()).expect("JSON frame"),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

/// Events up to and including `response.completed`, or a single `error` event.
pub async fn response(ws: &mut Ws) -> Vec<Value> {
    let mut events = Vec::new();
    loop {
        let ev = next_event(ws).await;
        let end = matches!(ev["type"].as_str(), Some("response.completed" | "error"));
        events.push(ev);
        if end {
            return events;
        }
    }
}

pub fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().filter_map(|e| e["type"].as_str()).collect()
}

/// A Codex `response.create` frame with these input items and fields merged in.
pub fn create(input: &[Value], extra: Value) -> Value {
    let mut frame = codex_body(&[]);
    frame["type"] = json!("response.create");
    frame["input"] = Value::Array(input.to_vec());
    if let (Some(obj), Value::Object(extra)) = (frame.as_object_mut(), extra) {
        obj.extend(extra);
    }
    frame
}

pub fn user(text: &str) -> Value {
    json!({"type":"message","role":"user","content":[{"type":"input_text","text":text}]})
}

#[tokio::test]
async fn bad_credentials_get_the_http_401_and_no_upgrade() {
    let (fake, t) = fake_with_account().await;
    let (status, body) = refused(&fake, "not-a-token", "acc-a").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "invalid_api_key");
    let (status, body) = refused(&fake, &t.access_token, "acc-other").await;
    assert_eq!(status, 401);
    assert!(body["error"].is_object());
    fake.expire_access_tokens("acc-a");
    let (status, body) = refused(&fake, &t.access_token, "acc-a").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "token_expired");
    assert_eq!(fake.ws_connections_total("acc-a"), 0);
    let requests = fake.requests();
    assert_eq!(requests.len(), 3);
    assert!(
        requests
            .iter()
            .all(|r| r.method == "GET" && r.header("upgrade") == Some("websocket"))
    );
}

#[tokio::test]
async fn handshake_has_the_headers_codex_reads_and_declines_deflate() {
    let (fake, t) = fake_with_account().await;
    let (_ws1, r1) = connect_async(ws_request(&fake, &t.access_token, "acc-a"))
        .await
        .expect("upgrade");
    let (_ws2, r2) = connect_async(ws_request(&fake, &t.access_token, "acc-a"))
        .await
        .expect("upgrade");
    let h = r1.headers();
    assert!(h.contains_key("x-request-id"));
    assert_eq!(h["x-models-etag"], "\"fake-models-v1\"");
    assert_eq!(h["x-reasoning-included"], "true");
    assert_eq!(h["openai-model"], "gpt-5.1-codex");
    assert!(
        !h.contains_key("sec-websocket-extensions"),
        "permessage-deflate is declined"
    );
    assert_ne!(h["x-codex-turn-state"], r2.headers()["x-codex-turn-state"]);
    assert_eq!(fake.ws_connections_open(), 2);
    assert_eq!(fake.ws_connections_total("acc-a"), 2);
    let captured = &fake.requests()[0];
    assert_eq!(
        (captured.method.as_str(), captured.path.as_str()),
        ("GET", "/backend-api/codex/responses")
    );
    assert_eq!(captured.header("session-id"), Some("thread-1"));
    assert_eq!(captured.account.as_deref(), Some("acc-a"));
    assert_eq!(
        fake.responses_calls("acc-a"),
        0,
        "a handshake is not a response call"
    );
}

#[tokio::test]
async fn prewarm_is_a_context_the_first_request_names() {
    let (fake, t) = fake_with_account().await;
    let mut ws = connect(&fake, &t.access_token, "acc-a").await;
    send(&mut ws, &create(&[], json!({"generate": false}))).await;
    let prewarm = response(&mut ws).await;
    assert_eq!(kinds(&prewarm), ["response.created", "response.completed"]);
    assert_eq!(prewarm[1]["response"]["output"], json!([]));
    let prewarm_id = prewarm[1]["response"]["id"].as_str().expect("id").to_owned();

    let input = [user("run echo hi")];
    send(
        &mut ws,
        &create(&input, json!({"previous_response_id": prewarm_id})),
    )
    .await;
    let events = response(&mut ws).await;
    assert_eq!(events.len(), 10);
    let blob = events[9]["response"]["output"][0]["encrypted_content"]
        .as_str()
        .expect("blob");
    assert_eq!(encrypted_content_owner(blob).as_deref(), Some("acc-a"));
    let frames = fake.ws_frames();
    assert_eq!(frames.len(), 2);
    assert!(!frames[0].incremental && frames[1].incremental);
    assert_eq!(frames[1].full_input.as_deref(), Some(&input[..]));
    assert_eq!(fake.responses_calls("acc-a"), 2, "the prewarm counts");
}

#[tokio::test]
async fn incremental_request_rebuilds_the_full_input() {
    let (fake, t) = fake_with_account().await;
    let mut ws = connect(&fake, &t.access_token, "acc-a").await;
    let first_input = [user("first"), user(&"history ".repeat(200))];
    send(&mut ws, &create(&first_input, json!({}))).await;
    let first = response(&mut ws).await;
    let done = &first[first.len() - 1]["response"];
    let id = done["id"].as_str().expect("id");
    let new_item = json!({"type":"function_call_output","call_id":"call_1","output":"hi\n"});
    send(
        &mut ws,
        &create(
            std::slice::from_ref(&new_item),
            json!({"previous_response_id": id}),
        ),
    )
    .await;
    let second = response(&mut ws).await;
    assert_eq!(kinds(&second).last(), Some(&"response.completed"));
    fake.wait_ws_frames(2).await;
    let frames = fake.ws_frames();
    let mut expected = first_input.to_vec();
    expected.extend(done["output"].as_array().expect("output").iter().cloned());
    expected.push(new_item);
    assert_eq!(frames[1].full_input.as_ref(), Some(&expected));
    assert!(frames[1].len * 4 < frames[0].len, "the follow-up is small");
    assert_eq!((frames[0].connection, frames[1].connection), (1, 1));
}

#[tokio::test]
async fn unknown_previous_response_id_is_a_wrapped_400_and_the_connection_survives() {
    let (fake, t) = fake_with_account().await;
    let mut ws = connect(&fake, &t.access_token, "acc-a").await;
    send(
        &mut ws,
        &create(&[user("x")], json!({"previous_response_id": "resp_elsewhere"})),
    )
    .await;
    let ev = next_event(&mut ws).await;
    assert_eq!(
        ev,
        json!({"type":"error","status":400,"error":{"type":"invalid_request_error","code":"previous_response_not_found",
            "message":"Previous response with id 'resp_elsewhere' not found.","param":"previous_response_id"}})
    );
    assert_eq!(fake.ws_frames()[0].full_input, None);
    send(&mut ws, &create(&[user("again")], json!({}))).await;
    assert_eq!(
        kinds(&response(&mut ws).await).last(),
        Some(&"response.completed")
    );
}

#[tokio::test]
async fn a_context_of_another_connection_is_not_found() {
    let (fake, t) = fake_with_account().await;
    let mut ws1 = connect(&fake, &t.access_token, "acc-a").await;
    send(&mut ws1, &create(&[user("x")], json!({}))).await;
    let id = response(&mut ws1).await[9]["response"]["id"].clone();
    let mut ws2 = connect(&fake, &t.access_token, "acc-a").await;
    send(
        &mut ws2,
        &create(&[user("y")], json!({"previous_response_id": id})),
    )
    .await;
    assert_eq!(
        next_event(&mut ws2).await["error"]["code"],
        "previous_response_not_found"
    );
}

#[tokio::test]
async fn a_foreign_encrypted_blob_is_a_wrapped_400() {
    let (fake, t) = fake_with_account().await;
    let mut ws = connect(&fake, &t.access_token, "acc-a").await;
    let foreign = json!({"type":"reasoning","id":"rs_x","summary":[],
        "encrypted_content": mint_encrypted_content("acc-b", 1)});
    send(&mut ws, &create(&[user("x"), foreign], json!({}))).await;
    let ev = next_event(&mut ws).await;
    assert_eq!(
        (ev["type"].as_str(), ev["status"].as_u64()),
        (Some("error"), Some(400))
    );
    assert_eq!(ev["error"]["code"], "invalid_encrypted_content");
    assert_eq!(ev["error"]["type"], "invalid_request_error");
    send(&mut ws, &create(&[user("clean")], json!({}))).await;
    assert_eq!(
        kinds(&response(&mut ws).await).last(),
        Some(&"response.completed")
    );
}

#[tokio::test]
async fn pings_are_answered_and_a_client_close_ends_the_connection() {
    let (fake, t) = fake_with_account().await;
    let mut ws = connect(&fake, &t.access_token, "acc-a").await;
    ws.send(Message::Ping(b"hi".to_vec().into())).await.expect("ping");
    let pong = tokio::time::timeout(WAIT, ws.next()).await.expect("in time");
    assert!(matches!(pong, Some(Ok(Message::Pong(p))) if p.as_ref() == b"hi"));
    ws.close(None).await.expect("close");
    assert!(matches!(
        next_message(&mut ws).await,
        Some(Ok(Message::Close(_))) | None
    ));
    fake.wait_ws_connections_open(0).await;
}

#[tokio::test]
async fn dropping_the_fake_ends_its_connections() {
    let (fake, t) = fake_with_account().await;
    let mut ws = connect(&fake, &t.access_token, "acc-a").await;
    drop(fake);
    assert!(!matches!(next_message(&mut ws).await, Some(Ok(Message::Text(_)))));
}
