//! `POST /codex/responses` (and `/compact`) once the caller is authenticated: pick the scripted behaviour
//! and answer it.

use std::sync::Arc;

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::StatusCode;
use serde_json::{Value, json};

use super::calls;
use super::events::{self, EventCtx};
use super::stream::{Tail, append_headers, sse_response};
use super::{request_id, with_request_id};
use crate::behavior::{Behavior, StreamConfig};
use crate::bodies;
use crate::clock::now_unix;
use crate::encrypted::{encrypted_content_owner, mint_encrypted_content};
use crate::routes::json_response;
use crate::server::{ActiveGuard, Shared};
use crate::state::random_string;
use crate::usage::{UsageState, Window};

/// Everything a behaviour needs, taken from the state in one lock.
pub(super) struct Turn {
    pub account: String,
    pub behavior: Behavior,
    pub stream: StreamConfig,
    pub usage: UsageState,
    pub ctx: EventCtx,
}

impl Turn {
    /// The stream shape: the behaviour's own, else the backend-wide one.
    pub(super) fn stream_config(&self) -> StreamConfig {
        match &self.behavior {
            Behavior::OkWith(cfg) => cfg.clone(),
            _ => self.stream.clone(),
        }
    }
}

pub(crate) async fn handle(shared: Arc<Shared>, account: String, body: Bytes, compact: bool) -> Response {
    let guard = ActiveGuard::new(&shared);
    let turn = take_turn(&shared, account, &body, false);
    let stream_cfg = turn.stream_config();
    match turn.behavior.clone() {
        Behavior::Http {
            status,
            headers,
            body,
        } => http(status, &headers, body),
        Behavior::UsageLimit {
            resets_in_seconds,
            resets_at,
            plan_type,
        } => usage_limit(&turn.usage, resets_in_seconds, resets_at, plan_type.as_deref()),
        Behavior::StallBeforeHeaders => {
            let _guard = guard;
            // Ends only when hyper drops this future: the client disconnected or the fake shut down.
            let never: std::convert::Infallible = std::future::pending().await;
            match never {}
        }
        Behavior::InBandFailure { before, error } => {
            let normal = events::normal_events(&turn.ctx, &stream_cfg, false);
            let closing = events::failed_event(&turn.ctx, &error);
            let evs = events::failure_events(&normal, &before, &turn.usage, closing);
            sse_response(
                &evs,
                stream_cfg.delay,
                Tail::Complete,
                guard,
                &stream_headers(&turn.usage),
            )
        }
        Behavior::ErrorEvent { before, error } => {
            let normal = events::normal_events(&turn.ctx, &stream_cfg, false);
            let evs = events::failure_events(&normal, &before, &turn.usage, events::error_event(&error));
            sse_response(
                &evs,
                stream_cfg.delay,
                Tail::Complete,
                guard,
                &stream_headers(&turn.usage),
            )
        }
        Behavior::GarbageSse => garbage(),
        Behavior::DelayHeaders(d) => {
            tokio::time::sleep(d).await;
            normal(&turn, &stream_cfg, &body, compact, Tail::Complete, guard)
        }
        Behavior::WaitForGate(gate) => {
            gate.wait().await;
            normal(&turn, &stream_cfg, &body, compact, Tail::Complete, guard)
        }
        Behavior::Ok | Behavior::OkWith(_) | Behavior::FunctionCall { .. } => {
            normal(&turn, &stream_cfg, &body, compact, Tail::Complete, guard)
        }
        Behavior::StallAfterEvents(n) => normal(&turn, &stream_cfg, &body, compact, Tail::Stall(n), guard),
        Behavior::DropAfterEvents(n) => normal(&turn, &stream_cfg, &body, compact, Tail::Drop(n), guard),
        Behavior::PauseAfterEvents(n, gate) => {
            normal(&turn, &stream_cfg, &body, compact, Tail::Pause(n, gate), guard)
        }
    }
}

/// Takes the account's next behaviour (one-shot queue, then persistent, default `Ok`) and the facts its
/// events mention. A `prewarm` (WebSocket `generate: false`) leaves a queued `FunctionCall` in place: it
/// has no output to carry it.
pub(super) fn take_turn(shared: &Shared, account: String, body: &[u8], prewarm: bool) -> Turn {
    let mut state = shared.state.lock();
    let queue = state.one_shot.get_mut(&account);
    let one_shot = match queue {
        Some(q) if prewarm && matches!(q.front(), Some(Behavior::FunctionCall { .. })) => None,
        Some(q) => q.pop_front(),
        None => None,
    };
    let behavior = one_shot
        .or_else(|| state.persistent.get(&account).cloned())
        .unwrap_or(Behavior::Ok);
    let usage = state.usage.get(&account).cloned().unwrap_or_default();
    let serial = state.next_serial();
    let stream = state.stream.clone();
    drop(state);
    let model = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("model").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| "gpt-5.1-codex".to_owned());
    let input_tokens = match &behavior {
        Behavior::OkWith(cfg) => cfg.input_tokens,
        _ => stream.input_tokens,
    }
    .unwrap_or_else(|| u64::try_from(body.len() / 4).unwrap_or(u64::MAX));
    let suffix = format!("{serial:04}{}", random_string(20));
    let ctx = EventCtx {
        response_id: format!("resp_{suffix}"),
        model,
        created_at: now_unix(),
        blob: mint_encrypted_content(&account, serial),
        item_suffix: suffix,
        input_tokens,
    };
    Turn {
        account,
        behavior,
        stream,
        usage,
        ctx,
    }
}

/// The successful answer, after the checks the real backend makes on the body.
fn normal(
    turn: &Turn,
    cfg: &StreamConfig,
    body: &[u8],
    compact: bool,
    tail: Tail,
    guard: ActiveGuard,
) -> Response {
    let request: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) => return with_request_id(json_response(StatusCode::BAD_REQUEST, bodies::unparsable_json())),
    };
    if let Some(blob) = foreign_blob(&request, &turn.account) {
        return with_request_id(json_response(
            StatusCode::BAD_REQUEST,
            bodies::invalid_encrypted_content(&blob),
        ));
    }
    if compact {
        // The v1 compact endpoint answers JSON, not SSE: `{"output":[<compaction item>]}`.
        let mut resp = json_response(
            StatusCode::OK,
            json!({"output": [events::compaction_item(&turn.ctx)]}).to_string(),
        );
        append_headers(&mut resp, &stream_headers(&turn.usage));
        return resp;
    }
    let evs = output_events(turn, cfg, &request);
    sse_response(&evs, cfg.delay, tail, guard, &stream_headers(&turn.usage))
}

/// The successful sequence for this request: a `function_call` when scripted, one `compaction` item when
/// the input ends with a `compaction_trigger`, else reasoning and a message.
pub(super) fn output_events(turn: &Turn, cfg: &StreamConfig, request: &Value) -> Vec<Value> {
    if let Behavior::FunctionCall { name, arguments } = &turn.behavior {
        return calls::function_call_events(&turn.ctx, name, arguments);
    }
    let compaction = last_input_type(request).as_deref() == Some("compaction_trigger");
    events::normal_events(&turn.ctx, cfg, compaction)
}

/// The first replayed `encrypted_content` this account cannot read: minted elsewhere or not by the fake.
pub(super) fn foreign_blob(request: &Value, account: &str) -> Option<String> {
    let items = request.get("input")?.as_array()?;
    items
        .iter()
        .filter(|item| {
            matches!(
                item.get("type").and_then(Value::as_str),
                Some("reasoning" | "compaction")
            )
        })
        .filter_map(|item| item.get("encrypted_content").and_then(Value::as_str))
        .find(|blob| encrypted_content_owner(blob).as_deref() != Some(account))
        .map(str::to_owned)
}

fn last_input_type(request: &Value) -> Option<String> {
    let last = request.get("input")?.as_array()?.last()?;
    last.get("type").and_then(Value::as_str).map(str::to_owned)
}

pub(super) fn stream_headers(usage: &UsageState) -> Vec<(String, String)> {
    let mut headers = usage.headers();
    headers.push(("x-request-id".to_owned(), request_id()));
    headers
}

pub(super) fn http(status: u16, headers: &[(String, String)], body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, body).into_response();
    resp.headers_mut().remove(http::header::CONTENT_TYPE);
    append_headers(&mut resp, headers);
    with_request_id(resp)
}

/// 429 `usage_limit_reached`, with the exhausted window in the headers like the real answer.
pub(super) fn usage_limit(
    usage: &UsageState,
    resets_in_seconds: Option<i64>,
    resets_at: Option<i64>,
    plan_type: Option<&str>,
) -> Response {
    let (headers, body) = usage_limit_parts(usage, resets_in_seconds, resets_at, plan_type);
    let mut resp = json_response(StatusCode::TOO_MANY_REQUESTS, body);
    append_headers(&mut resp, &headers);
    with_request_id(resp)
}

/// The headers (window at 100 %, `x-codex-active-limit`) and body of a usage-limit answer, shared by the
/// HTTP 429 and the WebSocket's wrapped error event.
pub(super) fn usage_limit_parts(
    usage: &UsageState,
    resets_in_seconds: Option<i64>,
    resets_at: Option<i64>,
    plan_type: Option<&str>,
) -> (Vec<(String, String)>, String) {
    let mut exhausted = usage.clone();
    let reset_at = resets_at.or_else(|| resets_in_seconds.map(|s| now_unix() + s));
    let primary = exhausted
        .primary
        .get_or_insert_with(|| Window::new(100.0, 300, 5 * 3600));
    primary.used_percent = 100.0;
    if let Some(at) = reset_at {
        primary.reset_at = at;
    }
    let mut headers = exhausted.headers();
    headers.push(("x-codex-active-limit".to_owned(), "codex".to_owned()));
    let body = bodies::usage_limit_reached(plan_type, resets_at, resets_in_seconds);
    (headers, body)
}

fn garbage() -> Response {
    let body =
        "this is not an event stream\n<html><body><h1>502 Bad Gateway</h1></body></html>\n\x00\x01junk";
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/event-stream"),
    );
    with_request_id(resp)
}
