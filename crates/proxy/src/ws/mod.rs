//! The WebSocket transport (SPEC §4.4): Codex's persistent connection to the Responses API,
//! carried through the pool.
//!
//! The handshake is a client request like any other: it passed the Origin/Host and key
//! checks before reaching here, its account is chosen by the shared attempt loop, and the
//! upstream WebSocket for that account is open *before* the client's upgrade completes, so a
//! refused handshake fails over (or is answered with the §4.2 exhaustion response) while the
//! client can still be told with an HTTP status. Then every `response.create` frame runs the
//! same attempt loop again (`request.rs`), and the connection loop (`conn.rs`) relays frames.
//!
//! # Layout
//! - `handshake.rs` — the handshake's attempt ([`crate::attempts::Transport`]).
//! - `request.rs` — one `response.create`'s attempt: incremental on the account's connection,
//!   or in full from the kept context after a move, or over HTTP when the upstream refuses
//!   WebSocket.
//! - `conn.rs` — the per-connection loop: frames both ways, kept context, drain; `relay.rs` —
//!   a committed response relayed after its hold.
//! - `upstream.rs` — the WebSocket client to the backend, through `tunnel.rs` (an HTTP
//!   `CONNECT` proxy from `HTTPS_PROXY`) where the environment asks; `stats.rs` — counters.

mod conn;
mod handshake;
mod relay;
mod request;
mod stats;
mod tunnel;
mod upstream;

pub use stats::{WsCounters, WsStats};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::response::Response;
use codex_router_core::ws_context::ContextStore;
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode};
use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::attempts::{self, Ended};
use crate::headers::set_router_headers;
use crate::{ProxyState, reply};

/// What the WebSocket transport shares across connections.
#[derive(Debug)]
pub struct WsShared {
    pub stats: WsStats,
    pub(crate) contexts: Mutex<ContextStore>,
    pub(crate) tracker: TaskTracker,
    /// Fired when the daemon drains: idle connections close, busy ones after their response.
    pub(crate) draining: CancellationToken,
    next_id: AtomicU64,
}

impl WsShared {
    pub(crate) fn new(max_context_bytes: u64) -> Self {
        Self {
            stats: WsStats::default(),
            contexts: Mutex::new(ContextStore::new(
                usize::try_from(max_context_bytes).unwrap_or(usize::MAX),
            )),
            tracker: TaskTracker::new(),
            draining: CancellationToken::new(),
            next_id: AtomicU64::new(1),
        }
    }

    /// Bytes of conversation context kept for moves, over all connections.
    pub fn context_bytes(&self) -> usize {
        self.contexts.lock().bytes()
    }

    /// What `status` and `/metrics` show about the transport.
    pub fn counters(&self) -> WsCounters {
        self.stats
            .counters(u64::try_from(self.context_bytes()).unwrap_or(u64::MAX))
    }
}

/// Handshake headers Codex reads, copied from the upstream's `101`.
const COPIED: &[&str] = &[
    "x-codex-turn-state",
    "x-models-etag",
    "x-reasoning-included",
    "openai-model",
];

/// `GET` with `Upgrade: websocket` on a responses route.
pub(crate) fn is_upgrade(headers: &HeaderMap) -> bool {
    let has = |name: http::HeaderName, token: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    has(http::header::UPGRADE, "websocket")
}

/// Answers a checked WebSocket handshake: the §4.2 answer when no account can serve,
/// otherwise `101` with the upstream's handshake headers and the connection handed to its loop.
pub(crate) async fn handshake(state: Arc<ProxyState>, mut parts: Parts) -> Response {
    let Some(accept) = accept_key(&parts.headers) else {
        return reply::error(
            StatusCode::BAD_REQUEST,
            "router_bad_request",
            "a WebSocket handshake needs Sec-WebSocket-Key and Sec-WebSocket-Version: 13",
        );
    };
    let Some(on_upgrade) = parts.extensions.remove::<hyper::upgrade::OnUpgrade>() else {
        return reply::error(
            StatusCode::BAD_REQUEST,
            "router_bad_request",
            "this connection cannot be upgraded",
        );
    };
    let cfg = state.config();
    let rt = state.runtime.clone();
    let session = codex_router_core::session::session_key(&parts.headers, &Default::default());
    let now = rt.now();
    let mut ctx = rt.with_pool(|p| p.begin(session.clone(), false, now));
    let mut transport = handshake::Handshake {
        state: &state,
        cfg: &cfg,
        headers: &parts.headers,
    };
    let up = match attempts::run(&state, &cfg, &mut ctx, &mut transport, false).await {
        Ended::Exhausted(e) => return reply::exhausted(&e, ctx.calls()),
        Ended::PassThrough { passthrough, label } => {
            return handshake::refused(passthrough, &label, ctx.calls());
        }
        Ended::Delivered { delivered, lease } => {
            rt.with_pool(|p| p.release(&lease));
            (delivered, lease)
        }
    };
    let (opened, lease) = up;
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = resp.headers_mut();
    h.insert(http::header::CONNECTION, HeaderValue::from_static("upgrade"));
    h.insert(http::header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(v) = HeaderValue::from_str(&accept) {
        h.insert(http::header::SEC_WEBSOCKET_ACCEPT, v);
    }
    if let handshake::Opened::WebSocket { headers, .. } = &opened {
        for name in COPIED {
            if let Some(v) = headers.get(*name) {
                h.insert(*name, v.clone());
            }
        }
    }
    set_router_headers(h, Some(&lease.label), ctx.calls());
    let id = state.ws.next_id.fetch_add(1, Ordering::Relaxed);
    let conn = conn::Conn::new(id, parts.headers, session, opened, lease.account_id);
    let tracker = state.ws.tracker.clone();
    tracker.spawn(conn::run(state, on_upgrade, conn));
    resp
}

/// `Sec-WebSocket-Accept` for a valid version-13 handshake.
fn accept_key(headers: &HeaderMap) -> Option<String> {
    let version = headers.get(http::header::SEC_WEBSOCKET_VERSION)?.to_str().ok()?;
    if version.trim() != "13" {
        return None;
    }
    let key = headers.get(http::header::SEC_WEBSOCKET_KEY)?;
    Some(tokio_tungstenite::tungstenite::handshake::derive_accept_key(
        key.as_bytes(),
    ))
}

/// Stops taking new WebSocket work and waits for the open connections to finish their
/// responses and close (the caller bounds the wait with its drain timeout).
pub async fn drain(shared: &WsShared) {
    shared.draining.cancel();
    shared.tracker.close();
    shared.tracker.wait().await;
}
