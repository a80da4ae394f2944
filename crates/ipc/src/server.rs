//! The accept loop: one task per connection, a cap on how many run at once, and a clean stop.
//!
//! Like mini-redis's `server::run`, the caller hands in the listener and the stop signal, so the
//! daemon and the tests drive it the same way. On shutdown the loop stops accepting, the socket
//! file is removed, and `serve` returns once every connection has finished its current request
//! (a `daemon.stop` caller still gets its answer).

use std::sync::Arc;
use std::time::Duration;

use codex_router_protocol::{ErrorBody, ErrorCode, ErrorFrame};
use interprocess::local_socket::tokio::Stream;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, warn};

use crate::framing::write_frame;
use crate::{Handler, IpcError, IpcListener, connection, peer};

/// Default cap on concurrent control connections.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;

/// After a failed `accept` (e.g. out of file descriptors) wait this long before the next one,
/// so the loop does not spin while the condition lasts.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// How long a refused peer gets to take its `daemon_busy` frame before it is dropped anyway.
const BUSY_WRITE_TIMEOUT: Duration = Duration::from_secs(1);

/// Tunables of [`serve_with`].
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Connections beyond this get a `daemon_busy` error frame and are closed.
    pub max_connections: usize,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Serves the control plane until `shutdown` is cancelled, with default options.
pub async fn serve(
    listener: IpcListener,
    handler: Arc<dyn Handler>,
    shutdown: CancellationToken,
) -> Result<(), IpcError> {
    serve_with(listener, handler, shutdown, ServeOptions::default()).await
}

/// Serves the control plane until `shutdown` is cancelled.
pub async fn serve_with(
    listener: IpcListener,
    handler: Arc<dyn Handler>,
    shutdown: CancellationToken,
    options: ServeOptions,
) -> Result<(), IpcError> {
    let slots = Arc::new(Semaphore::new(options.max_connections));
    let tracker = TaskTracker::new();
    let own_uid = peer::own_euid();
    loop {
        let accepted = tokio::select! {
            biased;
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok(stream) => stream,
            Err(err) => {
                warn!(error = %err, "accepting a control connection failed");
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(ACCEPT_BACKOFF) => continue,
                }
            }
        };
        if !peer::is_allowed(own_uid, peer::peer_euid(&stream)) {
            warn!("refused a control connection from another user");
            continue;
        }
        let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
            tracker.spawn(refuse_busy(stream));
            continue;
        };
        let handler = Arc::clone(&handler);
        let shutdown = shutdown.clone();
        tracker.spawn(async move {
            connection::run(stream, &*handler, &shutdown).await;
            drop(permit);
        });
    }
    drop(listener);
    tracker.close();
    tracker.wait().await;
    Ok(())
}

/// Tells a peer over the connection cap why it is being closed.
async fn refuse_busy(mut stream: Stream) {
    let body = ErrorBody::new(
        ErrorCode::DaemonBusy,
        "too many control connections; try again shortly",
    );
    let frame = ErrorFrame::new(0, body);
    match tokio::time::timeout(BUSY_WRITE_TIMEOUT, write_frame(&mut stream, &frame)).await {
        Ok(Ok(())) => debug!("refused a control connection: busy"),
        _ => debug!("refused a control connection: busy (peer did not take the notice)"),
    }
}
