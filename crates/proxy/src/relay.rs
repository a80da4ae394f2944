//! The client-facing body of a committed stream.
//!
//! Chunks are relayed as they arrive, with the idle timeout measured between chunks. The lease
//! lives inside the body: whichever way the body ends — completed, upstream broke or stalled,
//! client hung up (the body is dropped, which also drops and so cancels the upstream
//! request) — the account's in-flight count is released exactly once and the end is recorded.

use std::collections::VecDeque;
use std::io;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
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
    /// What the upstream said after the last gathered chunk, kept for the next poll.
    peeked: Option<Option<Result<Bytes, reqwest::Error>>>,
    idle: Duration,
    guard: StreamGuard,
}

/// Upper bound on the bytes gathered into one client write.
const GATHER_CAP: usize = 64 << 10;

/// Scheduler passes without a new chunk after which gathering ends. hyper's client connection
/// needs up to two after a chunk is taken (measured); the third is slack.
const GATHER_YIELDS: usize = 3;

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
        peeked: None,
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
        let next = match st.peeked.take() {
            Some(next) => Ok(next),
            None => tokio::time::timeout(st.idle, up.next()).await,
        };
        match next {
            Ok(Some(Ok(chunk))) => {
                let (chunk, peeked) = gather_ready(chunk, up).await;
                st.peeked = peeked;
                Some((Ok(chunk), st))
            }
            Ok(None) => {
                st.upstream = None;
                st.guard.end(StreamEnd::Completed);
                None
            }
            Ok(Some(Err(_))) => {
                st.upstream = None;
                st.guard.end(StreamEnd::UpstreamBroken);
                // One `Pending` first: hyper drops what it buffered when the body fails, and a
                // gathered chunk may still sit in its buffer; a pending body makes it flush.
                tokio::task::yield_now().await;
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

/// Appends the chunks the upstream connection has already received to `first`, so one read
/// from the upstream becomes one write to the client instead of one write per SSE event (on
/// loopback a write costs more than everything else the router does for an event).
///
/// The upstream connection task hands its body over one chunk at a time and only after it has
/// been scheduled again. So the relay waits on the body channel itself (the connection task's
/// send wakes it at once, next in line on the worker) and, beside it, on one pass of the
/// scheduler; [`GATHER_YIELDS`] passes in a row without a new chunk end the gathering. Waiting
/// only on passes (as the relay first did) cost a full round of every other ready task per
/// chunk under load. Nothing waits for data that has not arrived, so events produced apart
/// still travel apart (the no-batching target of docs/benchmarks.md measures this).
/// Returns the gathered bytes and, when the stream ended or failed meanwhile, that news.
async fn gather_ready<S, E>(first: Bytes, up: &mut S) -> (Bytes, Option<Option<Result<Bytes, E>>>)
where
    S: futures_util::Stream<Item = Result<Bytes, E>> + Unpin,
{
    let mut buf: Option<BytesMut> = None;
    let mut len = first.len();
    let mut peeked = None;
    let mut idle = 0;
    'gather: while len < GATHER_CAP {
        let next = tokio::select! {
            biased;
            next = up.next() => Some(next),
            () = tokio::task::yield_now() => None,
        };
        if next.is_none() {
            idle += 1;
            if idle < GATHER_YIELDS {
                continue;
            }
        }
        idle = 0;
        match next {
            Some(Some(Ok(chunk))) => {
                len += chunk.len();
                buf.get_or_insert_with(|| {
                    let mut b = BytesMut::with_capacity(len.max(4096));
                    b.extend_from_slice(&first);
                    b
                })
                .extend_from_slice(&chunk);
            }
            Some(end) => {
                peeked = Some(end);
                break 'gather;
            }
            None => break 'gather,
        }
    }
    let out = match buf {
        Some(b) => b.freeze(),
        None => first,
    };
    (out, peeked)
}

#[cfg(test)]
#[path = "relay_tests.rs"]
mod tests;
