//! What the fake backend does with the next `/codex/responses` request of an account, and what the fake
//! issuer does with the next refresh: the failure modes a router has to classify.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::watch;

use crate::bodies;
use crate::clock::now_unix;

/// The shape of a normal (successful) stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamConfig {
    /// How many `response.output_text.delta` events the message gets.
    pub deltas: usize,
    /// Pause before every event after the first, so tests can see events arrive one at a time.
    pub delay: Duration,
    /// The text of each delta; the message text is this repeated `deltas` times.
    pub delta_text: String,
    /// `usage.input_tokens` in `response.completed`; `None` estimates it from the body size (4 bytes per
    /// token). Set it high to make Codex compact, as the client measurements did.
    pub input_tokens: Option<u64>,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self {
            deltas: 3,
            delay: Duration::ZERO,
            delta_text: "pong ".to_owned(),
            input_tokens: None,
        }
    }
}

impl StreamConfig {
    pub fn with_delay(delay: Duration) -> Self {
        Self {
            delay,
            ..Self::default()
        }
    }
}

/// A latch a test opens to release a parked response, for deterministic "while it is in flight" tests.
#[derive(Clone, Debug)]
pub struct Gate {
    tx: watch::Sender<bool>,
}

impl Default for Gate {
    fn default() -> Self {
        Self::new()
    }
}

impl Gate {
    pub fn new() -> Self {
        Self {
            tx: watch::Sender::new(false),
        }
    }

    /// Releases every response waiting on this gate, now and later.
    pub fn open(&self) {
        self.tx.send_replace(true);
    }

    pub fn is_open(&self) -> bool {
        *self.tx.borrow()
    }

    pub(crate) async fn wait(&self) {
        let mut rx = self.tx.subscribe();
        // The sender lives in `self`, so `wait_for` cannot fail while we hold it.
        let _ = rx.wait_for(|open| *open).await;
    }
}

/// One scripted answer for `/codex/responses`, over HTTP or as one `response.create` on a WebSocket
/// (`backend/ws_conn.rs` says how each one looks there).
///
/// Every behaviour that streams the normal events (`Ok`, `OkWith`, `FunctionCall`, `DelayHeaders`,
/// `WaitForGate`, `StallAfterEvents`, `DropAfterEvents`, `PauseAfterEvents`) first makes the real backend's body checks
/// (malformed JSON → 400, foreign `encrypted_content` → 400). `/codex/responses/compact` answers JSON, so the
/// stream-shaping behaviours act there like `Ok`.
#[derive(Clone, Debug)]
pub enum Behavior {
    /// The normal stream with the backend-wide `StreamConfig`.
    Ok,
    /// The normal stream with this shape.
    OkWith(StreamConfig),
    /// 429 `usage_limit_reached` with the `x-codex-*` headers showing the primary window at 100 %.
    UsageLimit {
        resets_in_seconds: Option<i64>,
        resets_at: Option<i64>,
        plan_type: Option<String>,
    },
    /// Any status, headers and body, verbatim.
    Http {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Never answers. Ends when the client disconnects (or the fake is dropped), so it cannot leak.
    StallBeforeHeaders,
    /// 200, sends that many events of the normal stream, then stays silent until the client disconnects.
    StallAfterEvents(usize),
    /// 200, sends that many events, then aborts the connection: the client sees a broken body, not an end.
    DropAfterEvents(usize),
    /// 200 SSE: the named opening events, then `response.failed` carrying `error` as `response.error`.
    InBandFailure { before: Vec<String>, error: Value },
    /// 200 SSE: the named opening events, then a top-level `{"type":"error","error":..}` event.
    ErrorEvent { before: Vec<String>, error: Value },
    /// 200 `text/event-stream` whose body is not SSE at all, then a clean close.
    GarbageSse,
    /// Waits this long before the response head, then the normal stream.
    DelayHeaders(Duration),
    /// Waits for the gate before the response head, then the normal stream.
    WaitForGate(Gate),
    /// 200, sends that many events, waits for the gate, then sends the rest of the normal stream.
    PauseAfterEvents(usize, Gate),
    /// The normal stream whose output is one `function_call` item (after the account-bound reasoning item),
    /// so a real Codex client runs the tool and sends a second request carrying a `function_call_output`.
    /// Meant for `script` (one-shot). A WebSocket prewarm (`generate: false`) has no output to carry it, so
    /// it leaves a queued one in place for the first generating request; `/compact` treats it like `Ok`.
    FunctionCall { name: String, arguments: String },
}

impl Behavior {
    /// 429 `usage_limit_reached` resetting in `secs`, with both `resets_at` and `resets_in_seconds` (the most
    /// common real form).
    pub fn usage_limit_in(secs: i64) -> Self {
        Behavior::UsageLimit {
            resets_in_seconds: Some(secs),
            resets_at: Some(now_unix() + secs),
            plan_type: None,
        }
    }

    /// A 5xx: 503 gets the `server_is_overloaded` body, any other status the generic `server_error` body.
    pub fn server_error(status: u16) -> Self {
        let body = if status == 503 {
            bodies::server_overloaded()
        } else {
            bodies::server_error()
        };
        Self::json(status, body)
    }

    /// 200 stream that fails in-band with `server_is_overloaded` before any output.
    pub fn overloaded_in_band() -> Self {
        Behavior::InBandFailure {
            before: vec!["response.created".into(), "response.in_progress".into()],
            error: bodies::server_is_overloaded_error(),
        }
    }

    /// 200 stream that fails in-band with `usage_limit_reached` (the CLIProxyAPI fixture form).
    pub fn usage_limit_in_band(secs: i64) -> Self {
        Behavior::InBandFailure {
            before: vec!["response.created".into()],
            error: json!({"type":"usage_limit_reached","message":"usage limit reached","resets_in_seconds":secs}),
        }
    }

    /// 429 `rate_limit_exceeded`, with `Retry-After` in seconds when given.
    pub fn rate_limit_exceeded(retry_after: Option<u64>) -> Self {
        let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        if let Some(secs) = retry_after {
            headers.push(("retry-after".to_owned(), secs.to_string()));
        }
        Behavior::Http {
            status: 429,
            headers,
            body: bodies::rate_limit_exceeded(),
        }
    }

    /// 402 `{"detail":{"code":"deactivated_workspace"}}`.
    pub fn deactivated_workspace() -> Self {
        Self::json(402, bodies::deactivated_workspace())
    }

    /// 403 Cloudflare challenge page (HTML, `cf-mitigated: challenge`).
    pub fn cloudflare_403() -> Self {
        Behavior::Http {
            status: 403,
            headers: vec![
                ("content-type".to_owned(), "text/html; charset=UTF-8".to_owned()),
                ("cf-mitigated".to_owned(), "challenge".to_owned()),
                ("cf-ray".to_owned(), "8f0c0ffee0000000-AMS".to_owned()),
            ],
            body: bodies::CLOUDFLARE_CHALLENGE_HTML.to_owned(),
        }
    }

    /// 429 `usage_not_included`: the plan has no Codex.
    pub fn usage_not_included() -> Self {
        Self::json(429, bodies::usage_not_included())
    }

    /// 400 "The '<model>' model is not supported when using Codex with a ChatGPT account."
    pub fn model_not_supported(model: &str) -> Self {
        Self::json(400, bodies::model_not_supported(model))
    }

    /// 401 `token_invalidated` for this one request (the account's tokens stay valid; see
    /// `FakeBackend::invalidate_account` for real revocation).
    pub fn token_invalidated() -> Self {
        Self::json(401, bodies::token_invalidated())
    }

    /// A JSON answer with this status.
    pub fn json(status: u16, body: String) -> Self {
        Behavior::Http {
            status,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body,
        }
    }
}

/// One scripted answer for the next `refresh_token` grant.
#[derive(Clone, Debug)]
pub enum RefreshBehavior {
    /// Answer this status and body; the refresh token is not consumed.
    Status(u16, String),
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Close the connection without an answer; the refresh token is not consumed.
    DropConnection,
    /// Rotate the token (the old one is now spent), then close the connection without an answer: the
    /// crash-in-the-middle case where the client cannot know whether its token was used.
    RotateThenDrop,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn gate_releases_waiters() {
        let gate = Gate::new();
        let waiter = tokio::spawn({
            let gate = gate.clone();
            async move { gate.wait().await }
        });
        assert!(!gate.is_open());
        gate.open();
        waiter.await.expect("waiter finished");
        // Already open: returns at once.
        gate.wait().await;
    }

    #[test]
    fn constructors_use_reference_shapes() {
        let Behavior::Http {
            status,
            headers,
            body,
        } = Behavior::rate_limit_exceeded(Some(3))
        else {
            panic!("expected Http");
        };
        assert_eq!(status, 429);
        assert!(headers.contains(&("retry-after".to_owned(), "3".to_owned())));
        assert!(body.contains("rate_limit_exceeded"));
        let Behavior::UsageLimit {
            resets_in_seconds,
            resets_at,
            ..
        } = Behavior::usage_limit_in(90)
        else {
            panic!("expected UsageLimit");
        };
        assert_eq!(resets_in_seconds, Some(90));
        assert!(resets_at.is_some_and(|at| at >= now_unix() + 89));
    }
}
