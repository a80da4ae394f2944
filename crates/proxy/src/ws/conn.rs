//! One client WebSocket connection: frames in, one attempt loop per `response.create`,
//! frames out, kept context, and the end (client gone, drain, frame too large).

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use codex_router_core::body;
use codex_router_core::session::{SessionHash, session_key};
use codex_router_core::ws_context::Lookup;
use codex_router_core::wsframe::{self, ClientFrame, CreateFrame};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use http::HeaderMap;
use hyper_util::rt::TokioIo;
use serde_json::value::RawValue;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};

use super::handshake::Opened;
use super::request::{Delivered, WsReply, WsRequest};
use super::stats::Count;
use super::upstream::UpstreamWs;
use crate::ProxyState;
use crate::attempts::{self, Ended};
use crate::relay::StreamGuard;

type Client = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;
pub(crate) type Tx = SplitSink<Client, Message>;
pub(crate) type Rx = SplitStream<Client>;

/// The account's upstream connection and the responses it can be asked to continue.
pub(crate) struct Upstream {
    pub account_id: String,
    pub ws: Box<UpstreamWs>,
    pub known: HashSet<String>,
}

pub(crate) struct Conn {
    pub id: u64,
    /// The client's handshake headers: every upstream request is built from them.
    pub headers: HeaderMap,
    /// From the handshake's `session-id`; a connection without one gets its own key, so its
    /// requests stay on one account.
    session: SessionHash,
    pub upstream: Option<Upstream>,
    pub http_only: bool,
    /// Empty prewarms the router answered itself: a request naming one opens the conversation.
    pub local_prewarms: HashSet<String>,
}

impl Conn {
    pub(crate) fn new(
        id: u64,
        headers: HeaderMap,
        session: Option<SessionHash>,
        opened: Opened,
        account_id: String,
    ) -> Self {
        let (upstream, http_only) = match opened {
            Opened::WebSocket { ws, .. } => (
                Some(Upstream {
                    account_id,
                    ws,
                    known: HashSet::new(),
                }),
                false,
            ),
            Opened::Http => (None, true),
        };
        Self {
            id,
            headers,
            session: session.unwrap_or_else(|| {
                SessionHash::of(&format!("codex-router-ws-{id}-{}", rand::random::<u64>()))
            }),
            upstream,
            http_only,
            local_prewarms: HashSet::new(),
        }
    }
}

pub(crate) enum Flow {
    Continue,
    Close(Option<CloseFrame>),
}

pub(crate) fn close(code: CloseCode, reason: &str) -> Flow {
    Flow::Close(Some(CloseFrame {
        code,
        reason: reason.to_owned().into(),
    }))
}

/// Serves the upgraded connection until either side ends it.
pub(crate) async fn run(state: Arc<ProxyState>, on_upgrade: hyper::upgrade::OnUpgrade, mut conn: Conn) {
    let Ok(upgraded) = on_upgrade.await else { return };
    let cfg = state.config();
    let limit = usize::try_from(cfg.max_body_bytes).unwrap_or(usize::MAX);
    let mut ws_cfg = WebSocketConfig::default();
    ws_cfg.max_message_size = Some(limit);
    ws_cfg.max_frame_size = Some(limit);
    let client = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(ws_cfg)).await;
    if conn.http_only {
        state.ws.stats.add(Count::HttpFallback);
    }
    state.ws.stats.opened();
    state.runtime.mark_changed();
    let (mut tx, mut rx) = client.split();
    let flow = serve(&state, &mut conn, &mut tx, &mut rx).await;
    if let Flow::Close(frame) = flow {
        let _ = tx.send(Message::Close(frame)).await;
    }
    let _ = tx.close().await;
    state.ws.contexts.lock().remove(conn.id);
    state.ws.stats.closed();
    // Status shows open connections and kept context: let `status --watch` see the change.
    state.runtime.mark_changed();
}

async fn serve(state: &Arc<ProxyState>, conn: &mut Conn, tx: &mut Tx, rx: &mut Rx) -> Flow {
    let mut queue: VecDeque<Message> = VecDeque::new();
    loop {
        let msg = match queue.pop_front() {
            Some(m) => Some(Ok(m)),
            None => tokio::select! {
                m = rx.next() => m,
                () = upstream_closed(conn) => {
                    conn.upstream = None;
                    continue;
                }
                () = state.ws.draining.cancelled() => return close(CloseCode::Away, "codex-router is shutting down"),
            },
        };
        let flow = match msg {
            None | Some(Ok(Message::Close(_))) => return Flow::Close(None),
            Some(Err(WsError::Capacity(_))) => {
                return close(CloseCode::Size, "frame larger than [proxy] max_body_bytes");
            }
            Some(Err(_)) => return Flow::Close(None),
            Some(Ok(Message::Text(t))) => on_text(state, conn, tx, rx, &mut queue, &t).await,
            Some(Ok(Message::Binary(_))) => {
                send(tx, bad_frame("binary frames are not part of the protocol")).await
            }
            Some(Ok(_)) => Flow::Continue,
        };
        if let Flow::Close(_) = flow {
            return flow;
        }
    }
}

/// Resolves when the idle upstream connection ends (the backend closes idle connections).
async fn upstream_closed(conn: &mut Conn) {
    let Some(up) = conn.upstream.as_mut() else {
        return std::future::pending().await;
    };
    loop {
        match up.ws.next().await {
            Some(Ok(
                Message::Text(_)
                | Message::Binary(_)
                | Message::Ping(_)
                | Message::Pong(_)
                | Message::Frame(_),
            )) => {}
            Some(Ok(Message::Close(_)) | Err(_)) | None => return,
        }
    }
}

async fn send(tx: &mut Tx, text: String) -> Flow {
    match tx.send(Message::Text(text.into())).await {
        Ok(()) => Flow::Continue,
        Err(_) => Flow::Close(None),
    }
}

fn bad_frame(message: &str) -> String {
    let body = serde_json::json!({"error": {"type": "invalid_request_error", "code": "router_bad_frame", "message": message}});
    wsframe::wrapped_error(400, &body, &[])
}

async fn on_text(
    state: &Arc<ProxyState>,
    conn: &mut Conn,
    tx: &mut Tx,
    rx: &mut Rx,
    queue: &mut VecDeque<Message>,
    bytes: &Utf8Bytes,
) -> Flow {
    let text = bytes.as_str();
    let frame = match wsframe::parse_client_frame(text) {
        Err(_) => return send(tx, bad_frame("each frame must be one JSON object")).await,
        Ok(ClientFrame::Other) => {
            if let Some(up) = conn.upstream.as_mut()
                && up.ws.send(Message::Text(bytes.clone())).await.is_err()
            {
                conn.upstream = None;
            }
            return Flow::Continue;
        }
        Ok(ClientFrame::Create(frame)) => frame,
    };
    let cfg = state.config();
    let rt = state.runtime.clone();
    let peek = body::peek(text.as_bytes());
    let session = session_key(&conn.headers, &peek).unwrap_or_else(|| conn.session.clone());
    let parent = match &frame.previous_response_id {
        Some(id) => state.ws.contexts.lock().get(conn.id, id),
        None => Lookup::Unknown,
    };
    state.ws.stats.add(Count::Response);
    if !frame.generate && (conn.http_only || frame.input.is_empty()) {
        return prewarm_locally(state, conn, tx, &frame, parent).await;
    }
    let opening = frame
        .previous_response_id
        .as_ref()
        .is_some_and(|id| conn.local_prewarms.contains(id));
    let now = rt.now();
    let compaction = peek.has_compaction || matches!(&parent, Lookup::Found(n) if n.has_compaction());
    let mut ctx = rt.with_pool(|p| p.begin(Some(session), compaction, now));
    let mut transport = WsRequest {
        state,
        cfg: &cfg,
        conn,
        text: bytes,
        frame: &frame,
        parent: &parent,
        replays_blobs: peek.has_encrypted || peek.has_compaction,
        opening,
    };
    match attempts::run(state, &cfg, &mut ctx, &mut transport, true).await {
        Ended::Delivered { delivered, lease } => {
            let guard = StreamGuard::new(rt, lease, ctx.session.clone(), true);
            let mut relay = super::relay::Relay {
                tx,
                rx,
                queue,
                guard,
                outputs: Vec::new(),
                response_id: None,
                completed: false,
            };
            let flow = match delivered {
                Delivered::Frames(held) => relay.frames(conn, &cfg, held).await,
                Delivered::Sse(c) => relay.sse(&cfg, c).await,
            };
            if relay.completed {
                keep_context(
                    state,
                    conn,
                    &frame,
                    parent,
                    relay.response_id,
                    Some(relay.outputs),
                );
            }
            flow
        }
        Ended::PassThrough {
            passthrough: Some(WsReply::Frame(f)),
            ..
        } => send(tx, f).await,
        Ended::PassThrough {
            passthrough: Some(WsReply::Reconnect),
            ..
        } => {
            let _ = send(tx, reconnect_error()).await;
            close(CloseCode::Normal, "reconnect and send the full input")
        }
        Ended::PassThrough {
            passthrough: None, ..
        } => {
            let body = serde_json::json!({"error": {"type": "server_error", "code": "router_upstream_error", "message": "the upstream failed"}});
            send(tx, wsframe::wrapped_error(502, &body, &[])).await
        }
        Ended::Exhausted(e) => {
            let headers: Vec<(&str, String)> = e
                .retry_after_secs()
                .map(|s| ("retry-after", s.to_string()))
                .into_iter()
                .collect();
            send(tx, wsframe::wrapped_error(e.status, &e.body(), &headers)).await
        }
    }
}

/// SPEC §4.4: the reconnect answer when the context a move needs is gone.
fn reconnect_error() -> String {
    let body = serde_json::json!({"error": {"type": "invalid_request_error", "code": "websocket_connection_limit_reached",
        "message": "codex-router no longer holds this conversation's context: reconnect and send the full input"}});
    wsframe::wrapped_error(400, &body, &[])
}

/// Keeps a completed response as a context later requests (and moves) may continue.
fn keep_context(
    state: &ProxyState,
    conn: &mut Conn,
    frame: &CreateFrame,
    parent: Lookup,
    id: Option<String>,
    outputs: Option<Vec<Box<RawValue>>>,
) {
    // `outputs` is `None` for a response the router answered itself: the upstream does not
    // know it, so a request naming it must be sent in full.
    let upstream_knows = outputs.is_some();
    let Some(id) = id else { return };
    let parent = match parent {
        Lookup::Found(node) => Some(node),
        Lookup::Unknown | Lookup::Evicted => None,
    };
    let mut items: Vec<Box<RawValue>> = frame.input.iter().map(|i| i.to_owned()).collect();
    items.extend(outputs.unwrap_or_default());
    state
        .ws
        .contexts
        .lock()
        .insert(conn.id, id.clone(), parent, items);
    if upstream_knows && let Some(up) = conn.upstream.as_mut() {
        up.known.insert(id);
    }
}

/// A prewarm with nothing to warm (Codex's has an empty input), or on a connection served
/// over HTTP: the router answers it itself and keeps its input as the context Codex's first
/// request names. Sending it upstream would only cost a round trip, and a prewarm refused by a
/// spent account would move the session before the request that carries the history, which
/// then could not be told it moved (its remote compaction item would reach the wrong account).
async fn prewarm_locally(
    state: &ProxyState,
    conn: &mut Conn,
    tx: &mut Tx,
    frame: &CreateFrame,
    parent: Lookup,
) -> Flow {
    let id = format!("resp_router_{:016x}", rand::random::<u64>());
    let response = serde_json::json!({"id": id, "object": "response", "status": "completed", "output": []});
    for kind in ["response.created", "response.completed"] {
        let ev = serde_json::json!({"type": kind, "response": response}).to_string();
        if let Flow::Close(c) = send(tx, ev).await {
            return Flow::Close(c);
        }
    }
    keep_context(state, conn, frame, parent, Some(id.clone()), None);
    if frame.input.is_empty() && frame.previous_response_id.is_none() {
        conn.local_prewarms.insert(id);
    }
    Flow::Continue
}
