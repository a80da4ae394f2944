//! One upgraded WebSocket connection: each client text frame is one JSON object; a `response.create` runs
//! one response whose events go out as text frames, one event each, exactly the JSON the SSE path sends as
//! `data:` (`response.completed` ends it). Requests are answered one after another, as Codex sends them.
//!
//! The connection keeps every response it produced (id → the full input it was built from + its output
//! items), the prewarm's included, so a later `previous_response_id` is rebuilt into the full input; an id
//! not produced on this connection gets the `previous_response_not_found` error event and the connection
//! stays open. Scripts act per `response.create` like on HTTP: `Http`/`UsageLimit` become wrapped error
//! events (`{"type":"error","status":…,"error":…,"headers":…}`), `StallBeforeHeaders` sends nothing,
//! `DropAfterEvents` closes the TCP socket without a close frame, `GarbageSse` sends a frame that is not
//! JSON. While a response is paced, stalled or gated the socket is still read, so pings are answered and
//! a client close ends everything at once.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::calls::prewarm_events;
use super::events::{error_event, failed_event, failure_events, normal_events};
use super::responses::{Turn, foreign_blob, output_events, take_turn, usage_limit_parts};
use super::stream::Tail;
use super::ws_errors::{garbage_frame, wrapped, wrapped_http};
use super::ws_io::{Io, Socket, Stop};
use crate::behavior::{Behavior, StreamConfig};
use crate::bodies;
use crate::capture::WsFrame;
use crate::server::Shared;

/// One `response.create`, as received and as rebuilt.
struct Create {
    /// The frame as sent: its `input` holds only the new items.
    frame: Value,
    /// The frame with `input` replaced by the full input (when it could be rebuilt).
    full: Value,
    resolved: Result<Vec<Value>, String>,
    /// `generate: false`.
    prewarm: bool,
}

/// A response produced on this connection.
struct Context {
    input: Vec<Value>,
    output: Vec<Value>,
}

struct Conn {
    shared: Arc<Shared>,
    account: String,
    serial: u64,
    io: Io,
    contexts: HashMap<String, Context>,
}

pub(super) async fn serve(ws: Socket, shared: Arc<Shared>, account: String, serial: u64) {
    let mut conn = Conn {
        shared,
        account,
        serial,
        io: Io::new(ws),
        contexts: HashMap::new(),
    };
    let stop = loop {
        let Some(text) = conn.io.next_text().await else {
            break Stop::Close;
        };
        if let Err(stop) = conn.answer(&text).await {
            break stop;
        }
    };
    if let Stop::Close = stop {
        conn.io.close().await;
    }
}

impl Conn {
    async fn answer(&mut self, text: &str) -> Result<(), Stop> {
        let frame: Option<Value> = serde_json::from_str::<Value>(text).ok().filter(Value::is_object);
        let is_create =
            frame.as_ref().and_then(|f| f.get("type")).and_then(Value::as_str) == Some("response.create");
        let resolved = frame.as_ref().filter(|_| is_create).map(|f| self.resolve(f));
        self.record(text, frame.as_ref(), is_create, resolved.as_ref());
        let Some(frame) = frame else {
            return self
                .io
                .send(wrapped_http(400, &[], &bodies::unparsable_json()).to_string())
                .await;
        };
        let Some(resolved) = resolved else {
            let error = json!({"type": "invalid_request_error", "code": "unsupported_event_type",
                "message": "Only 'response.create' is supported.", "param": "type"});
            return self.io.send(wrapped(400, error, None).to_string()).await;
        };
        if self.expired() {
            self.io
                .send(bodies::websocket_connection_limit_reached().to_string())
                .await?;
            return Err(Stop::Close);
        }
        let prewarm = frame.get("generate") == Some(&Value::Bool(false));
        let mut full = frame.clone();
        if let (Some(obj), Ok(input)) = (full.as_object_mut(), &resolved) {
            obj.insert("input".into(), Value::Array(input.clone()));
        }
        let body = serde_json::to_vec(&full).unwrap_or_default();
        let turn = take_turn(&self.shared, self.account.clone(), &body, prewarm);
        let create = Create {
            frame,
            full,
            resolved,
            prewarm,
        };
        let cfg = turn.stream_config();
        match turn.behavior.clone() {
            Behavior::Http {
                status,
                headers,
                body,
            } => {
                self.io
                    .send(wrapped_http(status, &headers, &body).to_string())
                    .await
            }
            Behavior::UsageLimit {
                resets_in_seconds,
                resets_at,
                plan_type,
            } => {
                let (headers, body) =
                    usage_limit_parts(&turn.usage, resets_in_seconds, resets_at, plan_type.as_deref());
                self.io.send(wrapped_http(429, &headers, &body).to_string()).await
            }
            Behavior::StallBeforeHeaders => self.io.park().await,
            Behavior::InBandFailure { before, error } => {
                let normal = normal_events(&turn.ctx, &cfg, false);
                let evs = failure_events(&normal, &before, &turn.usage, failed_event(&turn.ctx, &error));
                self.io.play(&evs, cfg.delay, &Tail::Complete).await
            }
            Behavior::ErrorEvent { before, error } => {
                let normal = normal_events(&turn.ctx, &cfg, false);
                let evs = failure_events(&normal, &before, &turn.usage, error_event(&error));
                self.io.play(&evs, cfg.delay, &Tail::Complete).await
            }
            Behavior::GarbageSse => self.io.send(garbage_frame()).await,
            Behavior::DelayHeaders(d) => {
                self.io.while_reading(tokio::time::sleep(d)).await?;
                self.respond(&turn, &cfg, &Tail::Complete, create).await
            }
            Behavior::WaitForGate(gate) => {
                self.io.while_reading(gate.wait()).await?;
                self.respond(&turn, &cfg, &Tail::Complete, create).await
            }
            Behavior::Ok | Behavior::OkWith(_) | Behavior::FunctionCall { .. } => {
                self.respond(&turn, &cfg, &Tail::Complete, create).await
            }
            Behavior::StallAfterEvents(n) => self.respond(&turn, &cfg, &Tail::Stall(n), create).await,
            Behavior::DropAfterEvents(n) => self.respond(&turn, &cfg, &Tail::Drop(n), create).await,
            Behavior::PauseAfterEvents(n, gate) => {
                self.respond(&turn, &cfg, &Tail::Pause(n, gate), create).await
            }
        }
    }

    /// The successful answer after the backend's checks: the named context exists on this connection, and
    /// the new input items carry no foreign `encrypted_content` (context items were produced here).
    async fn respond(
        &mut self,
        turn: &Turn,
        cfg: &StreamConfig,
        tail: &Tail,
        create: Create,
    ) -> Result<(), Stop> {
        let input = match create.resolved {
            Ok(input) => input,
            Err(id) => {
                return self
                    .io
                    .send(bodies::previous_response_not_found(&id).to_string())
                    .await;
            }
        };
        if let Some(blob) = foreign_blob(&create.frame, &self.account) {
            let body = bodies::invalid_encrypted_content(&blob);
            return self.io.send(wrapped_http(400, &[], &body).to_string()).await;
        }
        let evs = if create.prewarm {
            prewarm_events(&turn.ctx)
        } else {
            output_events(turn, cfg, &create.full)
        };
        self.io.play(&evs, cfg.delay, tail).await?;
        let output = evs
            .last()
            .and_then(|ev| ev.pointer("/response/output"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        self.contexts
            .insert(turn.ctx.response_id.clone(), Context { input, output });
        Ok(())
    }

    /// The full input of a `response.create`: the named context's input and output, then the new items;
    /// `Err(id)` when the id names no response of this connection.
    fn resolve(&self, frame: &Value) -> Result<Vec<Value>, String> {
        let new_items = frame
            .get("input")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let Some(id) = frame.get("previous_response_id").and_then(Value::as_str) else {
            return Ok(new_items);
        };
        let context = self.contexts.get(id).ok_or_else(|| id.to_owned())?;
        let mut input = context.input.clone();
        input.extend(context.output.iter().cloned());
        input.extend(new_items);
        Ok(input)
    }

    fn expired(&self) -> bool {
        let state = self.shared.state.lock();
        state.ws.open.get(&self.serial).is_some_and(|c| c.expired)
    }

    /// Captures the frame (and counts a `response.create` in `responses_calls`), then wakes waiters.
    fn record(
        &self,
        text: &str,
        frame: Option<&Value>,
        is_create: bool,
        resolved: Option<&Result<Vec<Value>, String>>,
    ) {
        let captured = WsFrame {
            connection: self.serial,
            account: self.account.clone(),
            json: frame.cloned().unwrap_or_else(|| Value::String(text.to_owned())),
            len: text.len(),
            incremental: frame
                .and_then(|f| f.get("previous_response_id"))
                .is_some_and(|id| !id.is_null()),
            full_input: resolved.and_then(|r| r.as_ref().ok().cloned()),
        };
        let mut state = self.shared.state.lock();
        state.ws.frames.push(captured);
        if is_create {
            *state.responses_calls.entry(self.account.clone()).or_default() += 1;
        }
        drop(state);
        self.shared.ws_frames.send_modify(|n| *n += 1);
    }
}
