//! One Codex-shaped conversation, step by step, over either transport (the WebSocket benchmark):
//! - **WebSocket**: one connection per conversation (Codex opens one per session); step 1 sends the
//!   55 KB input as a `response.create` frame, every later step only its new item with
//!   `previous_response_id` naming the previous response (`reference/codex-client.md` §7).
//! - **HTTP**: one keep-alive connection per conversation; every step re-sends the whole history (the
//!   previous input, the previous response's output items, the new item), as Codex does over HTTP.
//!
//! A step is timed from just before its request is written to the arrival of `response.completed`; the
//! bytes it sent are the frame's or the body's length. Connecting is never part of a step's time.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt as _};
use http::{HeaderName, HeaderValue, Request};
use http_body_util::{BodyExt as _, Full};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::body::codex_headers;
use crate::client::{self, Sender, Target};

/// No step of a healthy conversation takes anywhere near this; a hung one fails the cell.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);
/// The `openai-beta` value Codex 0.169 sends on its WebSocket handshake.
const WS_BETA: &str = "responses_websockets=2026-02-06";

/// The transport a conversation uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Ws,
    Http,
}

/// One finished step.
#[derive(Debug, Clone, Default)]
pub struct Step {
    /// 1-based.
    pub step: usize,
    pub total_us: u64,
    /// Bytes of the request the client wrote (the frame's text or the HTTP body).
    pub sent_bytes: usize,
}

/// The small item each step after the first adds: a tool's output, like the 142-byte incremental
/// request measured with the real client.
pub fn tool_output(step: usize) -> Value {
    json!({"type": "function_call_output", "call_id": format!("call_{step:03}"),
        "output": format!("exit code 0; step {step:03}: 3 files changed, 12 tests passed in 0.84 s, no warnings")})
}

enum Conn {
    Ws(Box<WebSocketStream<TcpStream>>),
    Http(Sender),
}

/// A conversation in progress.
pub struct Conversation {
    conn: Conn,
    /// The step-1 body (the template for this thread) without `input`.
    base: Value,
    /// Over HTTP: the whole history so far (what the next step re-sends before its new item).
    history: Vec<Value>,
    /// Over WebSocket: the id of the previous response.
    previous: Option<String>,
    steps: usize,
    target: String,
}

impl std::fmt::Debug for Conversation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conversation")
            .field("target", &self.target)
            .field("steps", &self.steps)
            .finish_non_exhaustive()
    }
}

impl Conversation {
    /// Opens the connection (the WebSocket handshake included) for the thread whose step-1 body is
    /// `body`.
    pub async fn open(
        target: &Target,
        transport: Transport,
        thread: &str,
        body: &[u8],
    ) -> anyhow::Result<Self> {
        let mut base: Value = serde_json::from_slice(body).context("parsing the body template")?;
        let input = base
            .as_object_mut()
            .and_then(|o| o.remove("input"))
            .and_then(|v| match v {
                Value::Array(a) => Some(a),
                _ => None,
            })
            .context("the body template has no input array")?;
        let conn = match transport {
            Transport::Ws => Conn::Ws(Box::new(ws_connect(target, thread).await?)),
            Transport::Http => Conn::Http(client::connect(target.addr).await?),
        };
        Ok(Self {
            conn,
            base,
            history: input,
            previous: None,
            steps: 0,
            target: target.name.clone(),
        })
    }

    /// Runs the next step: step 1 sends the template's input; later steps add `item`.
    pub async fn step(&mut self, target: &Target, thread: &str, item: Value) -> anyhow::Result<Step> {
        self.steps += 1;
        let n = self.steps;
        let fut = async {
            match &mut self.conn {
                Conn::Ws(ws) => {
                    let mut frame = self.base.clone();
                    let input = if n == 1 {
                        std::mem::take(&mut self.history)
                    } else {
                        vec![item]
                    };
                    if let Some(o) = frame.as_object_mut() {
                        o.insert("type".into(), json!("response.create"));
                        o.insert("input".into(), Value::Array(input));
                        if let Some(p) = &self.previous {
                            o.insert("previous_response_id".into(), json!(p));
                        }
                    }
                    let text = frame.to_string();
                    let sent = text.len();
                    let (total_us, completed) = ws_exchange(ws, text).await?;
                    self.previous = completed
                        .pointer("/response/id")
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                    anyhow::Ok(Step {
                        step: n,
                        total_us,
                        sent_bytes: sent,
                    })
                }
                Conn::Http(sender) => {
                    if n > 1 {
                        self.history.push(item);
                    }
                    let mut body = self.base.clone();
                    if let Some(o) = body.as_object_mut() {
                        o.insert("input".into(), Value::Array(std::mem::take(&mut self.history)));
                    }
                    let bytes = Bytes::from(serde_json::to_vec(&body).context("encoding the body")?);
                    let sent = bytes.len();
                    let (total_us, completed) = http_exchange(sender, target, thread, bytes).await?;
                    if let Some(Value::Array(input)) = body.as_object_mut().and_then(|o| o.remove("input")) {
                        self.history = input;
                    }
                    if let Some(Value::Array(output)) = completed.pointer("/response/output") {
                        self.history.extend(output.iter().cloned());
                    }
                    anyhow::Ok(Step {
                        step: n,
                        total_us,
                        sent_bytes: sent,
                    })
                }
            }
        };
        tokio::time::timeout(STEP_TIMEOUT, fut)
            .await
            .map_err(|_| {
                anyhow::anyhow!(
                    "{}: step {n} got no response.completed within {STEP_TIMEOUT:?}",
                    self.target
                )
            })?
            .with_context(|| format!("{}: step {n}", self.target))
    }

    /// Closes a WebSocket with a close frame (the router then closes its upstream connection at once).
    pub async fn close(self) {
        if let Conn::Ws(mut ws) = self.conn {
            let _ = SinkExt::close(&mut ws).await;
        }
    }
}

/// The WebSocket handshake Codex makes, with the target's credentials, over a `TCP_NODELAY` socket.
async fn ws_connect(target: &Target, thread: &str) -> anyhow::Result<WebSocketStream<TcpStream>> {
    let mut req = format!("ws://{}{}", target.addr, target.path)
        .into_client_request()
        .context("building the handshake")?;
    let h = req.headers_mut();
    for (name, value) in codex_headers(thread) {
        if matches!(name, "accept" | "content-type") {
            continue;
        }
        h.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(&value).context("header value")?,
        );
    }
    h.insert("openai-beta", HeaderValue::from_static(WS_BETA));
    for (name, value) in &target.auth {
        h.insert(name.clone(), value.clone());
    }
    let tcp = tcp(target.addr).await?;
    let (ws, resp) = tokio_tungstenite::client_async(req, tcp)
        .await
        .with_context(|| format!("{}: WebSocket handshake", target.name))?;
    if resp.status().as_u16() != 101 {
        bail!("{}: handshake answered {}", target.name, resp.status());
    }
    Ok(ws)
}

async fn tcp(addr: SocketAddr) -> anyhow::Result<TcpStream> {
    let tcp = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    tcp.set_nodelay(true).context("setting TCP_NODELAY")?;
    Ok(tcp)
}

/// Only the event type is decoded per frame, so reading the stream costs both targets little and alike.
#[derive(Deserialize)]
struct Kind<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
}

/// Sends one frame and reads frames up to `response.completed`; any other ending is an error.
async fn ws_exchange(ws: &mut WebSocketStream<TcpStream>, text: String) -> anyhow::Result<(u64, Value)> {
    let t0 = Instant::now();
    ws.send(Message::text(text)).await.context("sending the frame")?;
    loop {
        let msg = ws
            .next()
            .await
            .context("the connection ended before response.completed")?
            .context("reading a frame")?;
        let Message::Text(t) = msg else {
            if msg.is_close() {
                bail!("closed before response.completed: {msg:?}");
            }
            continue;
        };
        let kind: Kind<'_> = serde_json::from_str(t.as_str()).context("a frame that is not an event")?;
        match kind.kind.as_ref() {
            "response.completed" => {
                let us = micros(t0.elapsed());
                return Ok((
                    us,
                    serde_json::from_str(t.as_str()).context("parsing response.completed")?,
                ));
            }
            "response.failed" | "response.incomplete" | "error" => {
                bail!(
                    "the response ended with {}",
                    t.as_str().chars().take(300).collect::<String>()
                )
            }
            _ => {}
        }
    }
}

/// POSTs one body and reads the whole SSE stream; returns the `response.completed` event.
async fn http_exchange(
    sender: &mut Sender,
    target: &Target,
    thread: &str,
    bytes: Bytes,
) -> anyhow::Result<(u64, Value)> {
    let mut req = Request::post(target.path.as_str())
        .body(Full::new(bytes))
        .context("building the request")?;
    let h = req.headers_mut();
    for (name, value) in codex_headers(thread) {
        h.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(&value).context("header value")?,
        );
    }
    for (name, value) in &target.auth {
        h.insert(name.clone(), value.clone());
    }
    h.insert(
        http::header::HOST,
        HeaderValue::from_str(&target.addr.to_string()).context("host header")?,
    );
    sender.ready().await.context("connection not ready")?;
    let t0 = Instant::now();
    let resp = sender.send_request(req).await.context("sending the request")?;
    let status = resp.status().as_u16();
    let body = resp
        .into_body()
        .collect()
        .await
        .context("reading the stream")?
        .to_bytes();
    let us = micros(t0.elapsed());
    if status != 200 {
        bail!(
            "status {status}: {}",
            String::from_utf8_lossy(&body)
                .chars()
                .take(300)
                .collect::<String>()
        );
    }
    let text = std::str::from_utf8(&body).context("the stream is not UTF-8")?;
    let completed = text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(str::trim)
        .filter(|d| d.contains("\"response.completed\""))
        .find_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter(|v| v["type"] == "response.completed")
        .context("the stream has no response.completed")?;
    Ok((us, completed))
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}
