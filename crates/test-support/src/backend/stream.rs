//! Streaming response bodies: one SSE event per body frame, paced, and cut the ways real streams break.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use serde_json::Value;

use crate::behavior::Gate;
use crate::server::ActiveGuard;
use crate::sse::encode_event;

/// How a stream ends.
pub(crate) enum Tail {
    /// Every event, then a clean end.
    Complete,
    /// After this many events, silence until the client leaves.
    Stall(usize),
    /// After this many events, an error that makes hyper abort the connection (no terminating chunk).
    Drop(usize),
    /// After this many events, wait for the gate, then the rest.
    Pause(usize, Gate),
}

struct Pacer {
    events: VecDeque<Bytes>,
    sent: usize,
    delay: Duration,
    tail: Tail,
    resumed: bool,
    failed: bool,
    /// When the previous event was due: events are paced on an absolute schedule, so the
    /// timer's 1 ms rounding does not add up over a stream.
    last_due: Option<tokio::time::Instant>,
    _guard: ActiveGuard,
}

/// A 200 `text/event-stream` response streaming `events` per `tail`.
pub(crate) fn sse_response(
    events: &[Value],
    delay: Duration,
    tail: Tail,
    guard: ActiveGuard,
    headers: &[(String, String)],
) -> Response {
    let pacer = Pacer {
        events: events.iter().map(encode_event).collect(),
        sent: 0,
        delay,
        tail,
        resumed: false,
        failed: false,
        last_due: None,
        _guard: guard,
    };
    let stream = futures_util::stream::unfold(pacer, next_frame);
    let mut resp = Response::new(Body::from_stream(stream));
    *resp.status_mut() = StatusCode::OK;
    let h = resp.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(http::header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    append_headers(&mut resp, headers);
    resp
}

async fn next_frame(mut p: Pacer) -> Option<(Result<Bytes, std::io::Error>, Pacer)> {
    if p.failed {
        return None;
    }
    match &p.tail {
        Tail::Stall(n) if p.sent >= *n => {
            // Parked until hyper drops the body (client gone) or the fake shuts down.
            let never: Infallible = std::future::pending().await;
            match never {}
        }
        Tail::Drop(n) if p.sent >= *n => {
            p.failed = true;
            // One `Pending` first: hyper flushes what it buffered when the body is not ready, so the client
            // really receives the events sent so far before the connection breaks.
            tokio::task::yield_now().await;
            return Some((
                Err(std::io::Error::other("fake backend: scripted connection drop")),
                p,
            ));
        }
        Tail::Pause(n, gate) if p.sent >= *n && !p.resumed => {
            gate.wait().await;
            p.resumed = true;
        }
        _ => {}
    }
    let event = p.events.pop_front()?;
    let now = tokio::time::Instant::now();
    let due = match p.last_due {
        Some(prev) if p.sent > 0 && !p.delay.is_zero() => (prev + p.delay).max(now),
        _ => now,
    };
    if due > now {
        tokio::time::sleep_until(due).await;
    }
    p.last_due = Some(due);
    p.sent += 1;
    Some((Ok(event), p))
}

pub(crate) fn append_headers(resp: &mut Response, headers: &[(String, String)]) {
    for (name, value) in headers {
        let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            tracing::warn!(header = %name, "fake backend: skipping a scripted header that is not valid HTTP");
            continue;
        };
        resp.headers_mut().append(name, value);
    }
}
