//! The client-facing body of a committed stream.
//!
//! Chunks are relayed as they arrive, with the idle timeout measured between chunks. The lease
//! lives inside the body: whichever way the body ends — completed, upstream broke or stalled,
//! client hung up (the body is dropped, which also drops and so cancels the upstream
//! request) — the account's in-flight count is released exactly once and the end is recorded.

use std::collections::VecDeque;
use std::io;
use std::time::Duration;

use bytes::Bytes;
use codex_router_core::record::StreamEnd;
use codex_router_core::select::Lease;
use codex_router_core::session::SessionHash;
use codex_router_runtime::Runtime;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use crate::hold::UpstreamStream;

/// Releases a lease exactly once, recording how its stream ended.
pub struct StreamGuard {
    runtime: Runtime,
    lease: Option<Lease>,
    session: Option<SessionHash>,
    counted: bool,
}

impl StreamGuard {
    /// `counted`: the lease carries a 2xx body that counts in `streams_*`.
    pub fn new(runtime: Runtime, lease: Lease, session: Option<SessionHash>, counted: bool) -> Self {
        Self {
            runtime,
            lease: Some(lease),
            session,
            counted,
        }
    }

    pub fn end(&mut self, end: StreamEnd) {
        let Some(lease) = self.lease.take() else { return };
        let now = self.runtime.now();
        let counted = self.counted;
        let session = self.session.take();
        self.runtime.with_pool(|p| {
            if counted {
                p.stream_ended(&lease, session.as_ref(), end, now);
            }
            p.release(&lease);
        });
        if end == StreamEnd::UpstreamBroken {
            tracing::warn!(account = %lease.label, "upstream stream broke after output was sent; account cooled");
        }
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.end(StreamEnd::ClientGone);
    }
}

struct RelayState {
    held: VecDeque<Bytes>,
    upstream: Option<UpstreamStream>,
    idle: Duration,
    guard: StreamGuard,
}

/// The body stream: held chunks first, then the upstream's, until it ends, errors or stalls.
pub fn relay(
    held: Vec<Bytes>,
    upstream: Option<UpstreamStream>,
    idle: Duration,
    guard: StreamGuard,
) -> BoxStream<'static, Result<Bytes, io::Error>> {
    let mut state = RelayState {
        held: held.into(),
        upstream,
        idle,
        guard,
    };
    if state.upstream.is_none() && state.held.is_empty() {
        state.guard.end(StreamEnd::Completed);
    }
    futures_util::stream::unfold(state, |mut st| async move {
        if let Some(chunk) = st.held.pop_front() {
            if st.held.is_empty() && st.upstream.is_none() {
                st.guard.end(StreamEnd::Completed);
            }
            return Some((Ok(chunk), st));
        }
        let up = st.upstream.as_mut()?;
        match tokio::time::timeout(st.idle, up.next()).await {
            Ok(Some(Ok(chunk))) => Some((Ok(chunk), st)),
            Ok(None) => {
                st.upstream = None;
                st.guard.end(StreamEnd::Completed);
                None
            }
            Ok(Some(Err(_))) => {
                st.upstream = None;
                st.guard.end(StreamEnd::UpstreamBroken);
                Some((Err(io::Error::other("upstream stream broke")), st))
            }
            Err(_) => {
                st.upstream = None;
                st.guard.end(StreamEnd::UpstreamBroken);
                Some((
                    Err(io::Error::other("upstream stream stalled past the idle timeout")),
                    st,
                ))
            }
        }
    })
    .boxed()
}
