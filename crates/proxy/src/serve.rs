//! The accept loop: one hyper HTTP/1.1 connection per client socket, with a bounded read buffer.
//!
//! hyper grows a connection's read buffer to fit what it reads and keeps it for the life of
//! the connection, so a ~55 KB Codex request body could leave up to 64 KiB behind on every open
//! connection. Capping it at hyper's minimum (8 KiB) bounds that (the memory target under
//! 1 000 concurrent streams, docs/benchmarks.md) and costs a few more reads per request body,
//! nothing else measurable.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::{ProxyState, router};

/// Upper bound on a client connection's read buffer (hyper's minimum is 8 KiB).
const READ_BUF_MAX: usize = 8 << 10;

/// Pause after an accept error that is not about one connection (out of file descriptors):
/// retrying at once would spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves until `shutdown` fires, then stops accepting and lets in-flight streams finish (the
/// caller bounds that drain with its own timeout). Accepted sockets get `TCP_NODELAY`: SSE
/// events are small writes and must not wait for Nagle.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<ProxyState>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let ws_state = Arc::clone(&state);
    let app = router(state);
    let mut http = hyper::server::conn::http1::Builder::new();
    // No header-read timeout: hyper runs it from the moment a keep-alive connection turns idle,
    // so it would close Codex's idle connections every 30 s, and a request sent just as one
    // closes fails. Clients here are local; they close their idle connections themselves.
    http.max_buf_size(READ_BUF_MAX).header_read_timeout(None);
    // Connection tasks, so shutdown can wait for in-flight streams (hyper-util's graceful
    // watcher does not take connections that may upgrade to WebSocket).
    let tracker = TaskTracker::new();
    // Warn once when accepting starts failing (out of descriptors), once when it works again:
    // a retry every 50 ms must not become 20 log lines a second.
    let mut failing = false;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown.cancelled() => break,
        };
        let tcp = match accepted {
            Ok((tcp, _)) => tcp,
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                if !std::mem::replace(&mut failing, true) {
                    tracing::warn!(error = %e, "accepting a proxy connection failed; retrying until it works");
                }
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        if std::mem::replace(&mut failing, false) {
            tracing::info!("accepting proxy connections again");
        }
        let _ = tcp.set_nodelay(true);
        let app = app.clone();
        let svc = hyper::service::service_fn(move |req: http::Request<Incoming>| {
            app.clone().oneshot(req.map(Body::new))
        });
        let conn = http.serve_connection(TokioIo::new(tcp), svc).with_upgrades();
        let shutdown = shutdown.clone();
        tracker.spawn(async move {
            let mut conn = std::pin::pin!(conn);
            // A client that hangs up mid-request is not the daemon's problem to report.
            tokio::select! {
                _ = conn.as_mut() => return,
                () = shutdown.cancelled() => {}
            }
            // Finish the request in flight (if any), then close; idle connections close now.
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        });
    }
    drop(listener);
    // Upgraded WebSocket connections have left hyper's watch: they drain on their own.
    tracker.close();
    tokio::join!(tracker.wait(), crate::ws::drain(&ws_state.ws));
    Ok(())
}

/// Errors that concern one incoming connection only (it died before we took it).
fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(e.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset)
}
