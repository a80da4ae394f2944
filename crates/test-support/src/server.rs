//! The HTTP server under a `FakeBackend`: one hyper accept loop serving one axum router.
//!
//! It uses its own accept loop instead of `axum::serve` for three reasons: every connection task is tied to
//! the fake's cancellation token (dropping the fake ends parked streams instead of leaking them), accepted
//! sockets get `TCP_NODELAY` (like the real edge, so small SSE writes are not delayed), and a handler can
//! ask for the connection to be dropped without any response (a failure mode `axum` cannot express).
//! Connections are served with upgrades, so `GET /backend-api/codex/responses` can become a WebSocket
//! (`backend/ws.rs`).

use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

use crate::state::State;

/// Everything handlers share. The mutex is never held across an `.await`.
pub(crate) struct Shared {
    pub state: Mutex<State>,
    /// Number of `/codex/responses` answers still alive (handler parked or body not yet dropped).
    pub active: watch::Sender<usize>,
    /// Number of captured `/backend-api` requests, so tests can wait for arrivals without polling.
    pub captured: watch::Sender<usize>,
    /// Number of captured WebSocket client frames, so tests can wait for arrivals without polling.
    pub ws_frames: watch::Sender<usize>,
    /// Number of open WebSocket connections.
    pub ws_open: watch::Sender<usize>,
    pub issuer_url: String,
    /// The fake's stop signal. Upgraded WebSocket connections leave hyper's connection task, so their own
    /// tasks watch this to end with the fake.
    pub cancel: CancellationToken,
}

impl Shared {
    pub(crate) fn new(issuer_url: String, cancel: CancellationToken) -> Self {
        Self {
            state: Mutex::new(State::default()),
            active: watch::Sender::new(0),
            captured: watch::Sender::new(0),
            ws_frames: watch::Sender::new(0),
            ws_open: watch::Sender::new(0),
            issuer_url,
            cancel,
        }
    }
}

/// Keeps the `active` count up while a response is alive; moved into streaming bodies so the count drops
/// only when hyper drops the body (client gone, stream finished, or connection aborted).
pub(crate) struct ActiveGuard {
    shared: Arc<Shared>,
}

impl ActiveGuard {
    pub(crate) fn new(shared: &Arc<Shared>) -> Self {
        shared.active.send_modify(|n| *n += 1);
        Self {
            shared: Arc::clone(shared),
        }
    }
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.shared.active.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// Response extension: close the connection instead of sending this response.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DropConnection;

impl DropConnection {
    pub(crate) fn response() -> Response {
        let mut resp = ().into_response();
        resp.extensions_mut().insert(DropConnection);
        resp
    }
}

#[derive(Debug)]
struct ScriptedDrop;

impl fmt::Display for ScriptedDrop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by script")
    }
}

impl std::error::Error for ScriptedDrop {}

/// The next accepted connection, `None` once `cancel` fires. A failed accept (the peer gave up
/// already) is logged and skipped. Shared by the fake's plain and TLS servers.
pub(crate) async fn accept_next(
    listener: &TcpListener,
    cancel: &CancellationToken,
    what: &str,
) -> Option<tokio::net::TcpStream> {
    loop {
        tokio::select! {
            () = cancel.cancelled() => return None,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _peer)) => return Some(tcp),
                Err(err) => tracing::debug!(%err, "{what}: accept failed"),
            },
        }
    }
}

/// Accepts until `cancel` fires; each connection also ends when it does.
pub(crate) async fn accept_loop(listener: TcpListener, router: Router, cancel: CancellationToken) {
    while let Some(tcp) = accept_next(&listener, &cancel, "fake backend").await {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(%err, "fake backend could not set TCP_NODELAY");
        }
        let router = router.clone();
        let cancel = cancel.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                let router = router.clone();
                async move {
                    let resp: Result<Response, Infallible> = router.oneshot(req.map(Body::new)).await;
                    match resp {
                        Ok(resp) if resp.extensions().get::<DropConnection>().is_some() => Err(ScriptedDrop),
                        Ok(resp) => Ok(resp),
                        Err(never) => match never {},
                    }
                }
            });
            // `with_upgrades`: a WebSocket handshake hands the socket to its own task once the 101 is sent.
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .with_upgrades();
            tokio::select! {
                res = conn => {
                    if let Err(err) = res {
                        tracing::trace!(%err, "fake backend connection ended with an error");
                    }
                }
                () = cancel.cancelled() => {}
            }
        });
    }
}
