//! A Codex-shaped WebSocket client for the router: handshake headers, `response.create`
//! frames, and reading one response's events.

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::Request;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use crate::common::{KEY, Router, user};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const WAIT: Duration = Duration::from_secs(20);

pub fn handshake(router: &Router, session: &str) -> Request<()> {
    let mut req = format!("ws://{}/backend-api/codex/responses", router.addr)
        .into_client_request()
        .unwrap();
    let h = req.headers_mut();
    h.insert("authorization", format!("Bearer {KEY}").parse().unwrap());
    h.insert("openai-beta", "responses_websockets=2026-02-06".parse().unwrap());
    h.insert("session-id", session.parse().unwrap());
    h.insert("thread-id", session.parse().unwrap());
    h.insert(
        "sec-websocket-extensions",
        "permessage-deflate; client_max_window_bits".parse().unwrap(),
    );
    req
}

pub async fn connect(router: &Router, session: &str) -> Ws {
    let (ws, resp) = connect_async(handshake(router, session)).await.expect("upgrade");
    assert_eq!(resp.status(), 101);
    ws
}

/// The HTTP status and body of a refused handshake.
pub async fn refused(req: Request<()>) -> (u16, Value) {
    match connect_async(req).await {
        Err(WsError::Http(resp)) => {
            let body = resp.body().clone().unwrap_or_default();
            (
                resp.status().as_u16(),
                serde_json::from_slice(&body).unwrap_or(Value::Null),
            )
        }
        Ok(_) => panic!("the handshake was accepted"),
        Err(e) => panic!("the handshake failed without an HTTP answer: {e}"),
    }
}

pub fn create(session: &str, previous: Option<&str>, input: Vec<Value>) -> Value {
    let mut f = json!({"type": "response.create", "model": "gpt-test", "stream": true, "store": false,
        "include": ["reasoning.encrypted_content"], "prompt_cache_key": session, "input": input});
    if let Some(p) = previous {
        f["previous_response_id"] = json!(p);
    }
    f
}

pub fn prewarm(session: &str) -> Value {
    let mut f = create(session, None, vec![]);
    f["generate"] = json!(false);
    f
}

pub fn tool_output(text: &str) -> Value {
    json!({"type": "function_call_output", "call_id": "call_1", "output": text})
}

/// One response's events as the client read them.
#[derive(Debug)]
pub struct Events(pub Vec<Value>);

impl Events {
    pub fn kinds(&self) -> Vec<&str> {
        self.0.iter().map(|e| e["type"].as_str().unwrap_or("")).collect()
    }

    pub fn response_id(&self) -> String {
        self.0
            .iter()
            .find_map(|e| e["response"]["id"].as_str())
            .expect("a response id")
            .to_owned()
    }

    pub fn completed(&self) -> bool {
        self.kinds().last() == Some(&"response.completed")
    }

    pub fn error(&self) -> Option<&Value> {
        self.0.iter().find(|e| e["type"] == "error")
    }
}

pub async fn send(ws: &mut Ws, frame: &Value) {
    ws.send(Message::text(frame.to_string())).await.expect("send");
}

/// The next message other than ping/pong; `None` when the connection ended.
pub async fn next(ws: &mut Ws) -> Option<Message> {
    loop {
        match tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a frame in time")
        {
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            Some(Ok(m)) => return Some(m),
            Some(Err(_)) | None => return None,
        }
    }
}

/// Reads events until the response ends (`response.completed`/`failed`/`incomplete`, or an
/// `error` event).
pub async fn read_response(ws: &mut Ws) -> Events {
    let mut out = Vec::new();
    while let Some(m) = next(ws).await {
        let Message::Text(t) = m else { break };
        let v: Value = serde_json::from_str(t.as_str()).unwrap();
        let kind = v["type"].as_str().unwrap_or("").to_owned();
        out.push(v);
        if matches!(
            kind.as_str(),
            "response.completed" | "response.failed" | "response.incomplete" | "error"
        ) {
            break;
        }
    }
    Events(out)
}

pub async fn request(ws: &mut Ws, frame: &Value) -> Events {
    send(ws, frame).await;
    read_response(ws).await
}

/// Prewarm, then the first full request naming the prewarm (Codex's opening sequence).
pub async fn open_conversation(ws: &mut Ws, session: &str) -> Events {
    let warm = request(ws, &prewarm(session)).await;
    assert!(warm.completed(), "{warm:?}");
    let first = request(
        ws,
        &create(session, Some(&warm.response_id()), vec![user("say pong")]),
    )
    .await;
    assert!(first.completed(), "{first:?}");
    first
}
