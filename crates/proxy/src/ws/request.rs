//! One `response.create` as an attempt: the WebSocket implementation of
//! [`crate::attempts::Transport`].
//!
//! On the connection's own account the client's frame goes upstream as it is (incremental,
//! the same bytes). After a move — another account, or a fresh upstream connection after the
//! 60-minute limit — the upstream connection does not know the response the frame continues,
//! so the request is re-sent in full from the kept context, cleaned of foreign blobs
//! (SPEC §4.3). When the upstream refuses WebSocket, the request becomes an HTTP `POST` with
//! the full input.

use std::collections::HashSet;
use std::time::Duration;

use bytes::Bytes;
use codex_router_core::Timestamp;
use codex_router_core::body;
use codex_router_core::outcome::{EventClass, Outcome, classify_http};
use codex_router_core::select::Lease;
use codex_router_core::ws_context::Lookup;
use codex_router_core::wsframe::{self, CreateFrame, classify_frame, event_info};
use codex_router_runtime::Credentials;
use futures_util::{SinkExt, StreamExt};
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::value::RawValue;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use super::conn::{Conn, Upstream};
use super::handshake::{self, Opened, Refusal, ws_outbound};
use super::stats::Count;
use super::upstream::UpstreamWs;
use crate::attempts::{Attempt, Call, Transport};
use crate::forward::{self, Committed};
use crate::{ProxyConfig, ProxyState};

/// What the client gets instead of a response.
pub(crate) enum WsReply {
    /// One frame (a wrapped error), the connection stays open.
    Frame(String),
    /// The context a move needs is gone: answer the reconnect error and close, so Codex
    /// reconnects and sends its full input (SPEC §4.4).
    Reconnect,
}

impl From<Refusal> for WsReply {
    fn from((status, headers, body): Refusal) -> Self {
        let value = serde_json::from_slice::<serde_json::Value>(&body)
            .unwrap_or_else(|_| serde_json::json!({"error": {"message": String::from_utf8_lossy(&body)}}));
        let kept: Vec<(&str, String)> = headers
            .iter()
            .filter(|(n, _)| n.as_str() == "retry-after" || n.as_str().starts_with("x-codex-"))
            .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?.to_owned())))
            .collect();
        WsReply::Frame(wsframe::wrapped_error(status.as_u16(), &value, &kept))
    }
}

/// A committed response: frames already read during the hold (the rest follows on the
/// connection's upstream), or an SSE stream from the HTTP fallback.
pub(crate) enum Delivered {
    Frames(Vec<String>),
    Sse(Committed),
}

pub(crate) struct WsRequest<'a> {
    pub state: &'a ProxyState,
    pub cfg: &'a ProxyConfig,
    pub conn: &'a mut Conn,
    /// The frame as received; relayed as these same bytes when it goes as it is.
    pub text: &'a Utf8Bytes,
    pub frame: &'a CreateFrame,
    /// The kept context of the response the frame continues.
    pub parent: &'a Lookup,
    /// The frame's own input replays `encrypted_content` or a `compaction` item (Codex's
    /// first request after a prewarm names the prewarm and carries the whole history).
    pub replays_blobs: bool,
    /// The frame names an empty prewarm the router answered: sending it in full is the
    /// normal opening of a conversation, not a re-send.
    pub opening: bool,
}

enum HoldEnd {
    Commit(Vec<String>),
    Failure {
        outcome: Outcome,
        status: u16,
        text: String,
    },
    /// The upstream ended the connection (60-minute limit, or it closed while idle) before
    /// answering: reopen for the same account and re-send.
    Gone,
    Timeout,
}

impl Transport for WsRequest<'_> {
    type Delivered = Delivered;
    type PassThrough = WsReply;

    async fn call(&mut self, at: Attempt<'_>) -> Call<Delivered, WsReply> {
        let Attempt {
            lease, creds, clean, ..
        } = at;
        let mut reopened = false;
        loop {
            if self.conn.http_only {
                return self.http_call(lease, creds, clean).await;
            }
            let on_account = self
                .conn
                .upstream
                .as_ref()
                .is_some_and(|u| u.account_id == lease.account_id);
            if !on_account {
                self.conn.upstream = None;
                let headers = ws_outbound(&self.conn.headers, creds, lease.clean_body);
                match handshake::open::<Delivered, WsReply>(self.cfg, self.state, headers).await {
                    Ok(Opened::WebSocket { ws, .. }) => {
                        self.conn.upstream = Some(Upstream {
                            account_id: lease.account_id.clone(),
                            ws,
                            known: HashSet::new(),
                        });
                    }
                    Ok(Opened::Http) => {
                        self.conn.http_only = true;
                        self.state.ws.stats.add(Count::HttpFallback);
                        continue;
                    }
                    Err(call) => return call,
                }
            }
            let Some(up) = self.conn.upstream.as_mut() else {
                return network_error();
            };
            // A continuation this upstream connection knows goes as it is: usually only new
            // items (tool outputs, user messages). When the session moved and the frame itself
            // replays blobs (the first request after a prewarm carries the whole history),
            // its own input is cleaned and it stays a continuation. A request without one is
            // cleaned when the session moved.
            let incremental = !clean
                && match &self.frame.previous_response_id {
                    Some(id) => up.known.contains(id),
                    None => !lease.clean_body,
                };
            let text = if incremental {
                if lease.clean_body && self.replays_blobs {
                    body::clean(self.text.as_bytes(), lease.drop_compaction)
                        .and_then(|(b, _)| String::from_utf8(b).ok())
                        .map_or_else(|| self.text.clone(), Utf8Bytes::from)
                } else {
                    self.text.clone()
                }
            } else {
                match full_text(
                    self.text.as_str(),
                    self.frame,
                    self.parent,
                    self.opening,
                    lease,
                    clean,
                ) {
                    Ok(t) => Utf8Bytes::from(t),
                    Err(reply) => return Call::Abandon(reply),
                }
            };
            let sent = up.ws.send(Message::Text(text)).await.is_ok();
            let end = if sent {
                let rt = self.state.runtime.clone();
                hold_frames(&mut up.ws, self.cfg, move || rt.now()).await
            } else {
                HoldEnd::Gone
            };
            let stats = &self.state.ws.stats;
            match end {
                HoldEnd::Commit(held) => {
                    if incremental {
                        stats.add(Count::Incremental);
                    } else if !self.opening {
                        stats.add(Count::FullResend);
                    }
                    return Call::Delivered {
                        delivered: Delivered::Frames(held),
                        outcome: classify_http(200, &HeaderMap::new(), b"", self.state.runtime.now()),
                        status: Some(200),
                    };
                }
                HoldEnd::Failure {
                    outcome,
                    status,
                    text,
                } => {
                    return Call::Failed {
                        outcome,
                        status: Some(status),
                        passthrough: Some(WsReply::Frame(text)),
                    };
                }
                HoldEnd::Gone if !reopened => {
                    reopened = true;
                    self.conn.upstream = None;
                    stats.add(Count::ForcedReconnect);
                    tracing::info!(account = %lease.label, "upstream WebSocket ended; reopening it for the same account");
                }
                HoldEnd::Gone | HoldEnd::Timeout => {
                    self.conn.upstream = None;
                    return network_error();
                }
            }
        }
    }
}

impl WsRequest<'_> {
    /// The request as `POST …/responses` with the full input (the upstream has no WebSocket).
    async fn http_call(
        &mut self,
        lease: &Lease,
        creds: &Credentials,
        clean: bool,
    ) -> Call<Delivered, WsReply> {
        let full = match full_text(
            self.text.as_str(),
            self.frame,
            self.parent,
            self.opening,
            lease,
            clean || lease.clean_body,
        ) {
            Ok(t) => t,
            Err(reply) => return Call::Abandon(reply),
        };
        let Some(body) = wsframe::as_http_body(full.as_bytes()) else {
            return network_error();
        };
        let mut headers = ws_outbound(&self.conn.headers, creds, lease.clean_body);
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(
            http::header::ACCEPT,
            HeaderValue::from_static("text/event-stream"),
        );
        let url = format!("{}/codex/responses", self.cfg.upstream_base);
        let req = self.state.http.post(url).headers(headers).body(Bytes::from(body));
        if self.frame.previous_response_id.is_some() && !self.opening {
            self.state.ws.stats.add(Count::FullResend);
        }
        match forward::post(self.state, self.cfg, req, false).await {
            Call::Delivered {
                delivered,
                outcome,
                status,
            } => Call::Delivered {
                delivered: Delivered::Sse(delivered),
                outcome,
                status,
            },
            Call::Failed {
                outcome,
                status,
                passthrough,
            } => Call::Failed {
                outcome,
                status,
                passthrough: passthrough.map(WsReply::from),
            },
            Call::Abandon(p) => Call::Abandon(WsReply::from(p)),
        }
    }
}

fn network_error<D>() -> Call<D, WsReply> {
    Call::Failed {
        outcome: Outcome::NetworkError,
        status: None,
        passthrough: None,
    }
}

/// The frame with its whole conversation as input (no `previous_response_id`), cleaned of
/// foreign blobs when the session moved or the upstream said a blob was foreign.
fn full_text(
    text: &str,
    frame: &CreateFrame,
    parent: &Lookup,
    opening: bool,
    lease: &Lease,
    clean: bool,
) -> Result<String, WsReply> {
    let own = frame.input.iter().map(AsRef::<RawValue>::as_ref);
    let full = match (&frame.previous_response_id, parent) {
        // It names an empty prewarm the router answered: its own input is the whole
        // conversation, whether or not the prewarm's context is still kept.
        (Some(_), _) if opening => wsframe::full_request(text, own),
        (None, _) => {
            if !(clean || lease.clean_body) {
                return Ok(text.to_owned());
            }
            wsframe::full_request(text, own)
        }
        (Some(_), Lookup::Found(node)) => {
            let chain = node.full_items();
            wsframe::full_request(text, chain.into_iter().chain(own))
        }
        (Some(_), Lookup::Unknown | Lookup::Evicted) => return Err(WsReply::Reconnect),
    };
    let Some(full) = full else {
        return Ok(text.to_owned());
    };
    let full = if clean || lease.clean_body {
        match body::clean(&full, lease.drop_compaction) {
            Some((cleaned, report)) => {
                if report.compaction_dropped {
                    tracing::warn!(account = %lease.label, "session moved to another account: its remote compaction item was dropped");
                }
                cleaned
            }
            None => full,
        }
    } else {
        full
    };
    Ok(String::from_utf8(full).unwrap_or_else(|_| text.to_owned()))
}

/// Holds the output-free opening frames of a response (SPEC §4.2 hold, per response): until
/// an output event, an in-band failure, `hold_events` frames or `hold_timeout` after the first.
async fn hold_frames(ws: &mut UpstreamWs, cfg: &ProxyConfig, now: impl Fn() -> Timestamp) -> HoldEnd {
    let mut held = Vec::new();
    let mut deadline = tokio::time::Instant::now() + cfg.headers_timeout;
    loop {
        if held.len() >= usize::try_from(cfg.hold_events).unwrap_or(usize::MAX) {
            return HoldEnd::Commit(held);
        }
        let next = match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) if held.is_empty() => return HoldEnd::Timeout,
            Err(_) => return HoldEnd::Commit(held),
            Ok(next) => next,
        };
        let text = match next {
            Some(Ok(Message::Text(t))) => t.as_str().to_owned(),
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                return if held.is_empty() {
                    HoldEnd::Gone
                } else {
                    HoldEnd::Failure {
                        outcome: Outcome::ServerError,
                        status: 200,
                        text: broken_frame(),
                    }
                };
            }
            Some(Ok(_)) => continue,
        };
        if held.is_empty() {
            deadline = tokio::time::Instant::now() + cfg.hold_timeout;
        }
        let Some(info) = event_info(&text) else {
            held.push(text);
            return HoldEnd::Commit(held);
        };
        if info.kind == "error"
            && wsframe::error_code(&text).as_deref() == Some("websocket_connection_limit_reached")
        {
            return HoldEnd::Gone;
        }
        match classify_frame(&text, &info, now()) {
            EventClass::OutputFree => held.push(text),
            EventClass::Output => {
                held.push(text);
                return HoldEnd::Commit(held);
            }
            EventClass::Failure(outcome) => {
                return HoldEnd::Failure {
                    outcome,
                    status: info.status.unwrap_or(200),
                    text,
                };
            }
        }
    }
}

/// What the client reads when the upstream broke before any output and no account is left.
fn broken_frame() -> String {
    let body = serde_json::json!({"error": {"type": "server_error", "code": "router_upstream_error",
        "message": "the upstream connection broke before the response started"}});
    wsframe::wrapped_error(StatusCode::BAD_GATEWAY.as_u16(), &body, &[])
}

/// How long the connection loop waits for the next upstream frame of a committed response.
pub(crate) fn idle(cfg: &ProxyConfig) -> Duration {
    cfg.idle_timeout
}
