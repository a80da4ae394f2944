//! Holding the response head until the stream shows it really started (SPEC §4.2).
//!
//! The backend sometimes answers `200` and reports a usage limit or an overload as the first
//! event. Until an event with output arrives, nothing has reached the client, so such a
//! failure can still fail over. Only the output-free opening events are held, and only up to
//! `hold_events` events or `hold_timeout`, whichever comes first.

use std::time::Duration;

use bytes::Bytes;
use codex_router_core::Timestamp;
use codex_router_core::outcome::{EventClass, Outcome, classify_event};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use crate::sse::SseSplitter;

pub type UpstreamStream = BoxStream<'static, Result<Bytes, reqwest::Error>>;

pub enum Held {
    /// Relay `held` first, then the rest of `stream` (`None` when it already ended).
    Commit {
        held: Vec<Bytes>,
        stream: Option<UpstreamStream>,
    },
    /// An in-band failure before any output: fail over as its HTTP twin would. `held` is
    /// what was read up to and including the failure, the upstream's own answer should it be
    /// passed on (an `invalid_encrypted_content` that cleaning did not fix).
    Failure { outcome: Outcome, held: Vec<Bytes> },
    /// The stream broke before any output reached the client.
    Broken,
}

/// The event names whose data the hold reads: the ones that can report a failure.
fn may_be_failure(name: &str) -> bool {
    name == "response.failed" || name == "error"
}

pub async fn hold(
    mut stream: UpstreamStream,
    max_events: u32,
    timeout: Duration,
    now: impl Fn() -> Timestamp,
) -> Held {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut held = Vec::new();
    let mut splitter = SseSplitter::keeping_data_of(may_be_failure);
    let mut events = 0u32;
    loop {
        if events >= max_events {
            return Held::Commit {
                held,
                stream: Some(stream),
            };
        }
        let next = match tokio::time::timeout_at(deadline, stream.next()).await {
            Err(_) => {
                return Held::Commit {
                    held,
                    stream: Some(stream),
                };
            }
            Ok(next) => next,
        };
        let chunk = match next {
            None => return Held::Commit { held, stream: None },
            Some(Err(_)) => return Held::Broken,
            Some(Ok(chunk)) => chunk,
        };
        let parsed = splitter.push(&chunk);
        // A copy: the chunk shares the upstream connection's 8 KiB read buffer, which would
        // stay pinned for as long as the hold lasts while the connection allocates another.
        held.push(Bytes::copy_from_slice(&chunk));
        for ev in parsed {
            events += 1;
            let class = match ev.event.as_deref() {
                // Named events are classified by name; only a possible failure is parsed (a real
                // `response.created` echoes the whole request's instructions and tools, and its
                // data is not even kept).
                Some("response.created" | "response.in_progress" | "codex.rate_limits") => {
                    EventClass::OutputFree
                }
                Some(name) if !may_be_failure(name) => EventClass::Output,
                _ => match ev.data {
                    None => continue,
                    Some(data) => match serde_json::from_str::<serde_json::Value>(&data) {
                        Ok(v) => classify_event(&v, now()),
                        Err(_) => EventClass::Output,
                    },
                },
            };
            match class {
                EventClass::OutputFree => {}
                EventClass::Output => {
                    return Held::Commit {
                        held,
                        stream: Some(stream),
                    };
                }
                EventClass::Failure(outcome) => return Held::Failure { outcome, held },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, data: &str) -> Result<Bytes, reqwest::Error> {
        Ok(Bytes::from(format!("event: {kind}\ndata: {data}\n\n")))
    }

    /// `n` output-free opening events, then an in-band usage limit, one event per chunk.
    fn opening_then_failure(n: usize) -> UpstreamStream {
        let mut chunks: Vec<_> = (0..n)
            .map(|_| event("response.in_progress", r#"{"type":"response.in_progress"}"#))
            .collect();
        chunks.push(event(
            "response.failed",
            r#"{"type":"response.failed","response":{"error":{"code":"usage_limit_reached","message":"m"}}}"#,
        ));
        futures_util::stream::iter(chunks)
            .chain(futures_util::stream::pending())
            .boxed()
    }

    fn now() -> Timestamp {
        Timestamp::from_unix_secs(1_800_000_000)
    }

    // The hold is bounded: it ends at `hold_events` (16) events: the held events are sent and
    // the stream is committed, even if a failure follows.
    #[tokio::test]
    async fn the_hold_commits_after_sixteen_output_free_events() {
        let long = Duration::from_secs(3600);
        match hold(opening_then_failure(16), 16, long, now).await {
            Held::Commit { held, stream } => {
                assert_eq!(held.len(), 16, "exactly the bound, nothing read beyond it");
                assert!(stream.is_some());
            }
            _ => panic!("the 16-event bound commits the stream"),
        }
        assert!(
            matches!(
                hold(opening_then_failure(15), 16, long, now).await,
                Held::Failure { .. }
            ),
            "a failure within the bound still fails over"
        );
    }
}
