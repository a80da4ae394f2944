//! WebSocket frames of the Responses API (SPEC §4.4): what the router reads from each frame,
//! and the full request it builds when a conversation has to be re-sent in full.
//!
//! Client frames are `response.create` objects (the HTTP body plus `type`, optionally
//! `previous_response_id` naming a response of the same connection, and `generate: false` for
//! a prewarm). Server frames carry one event each — the SSE `data:` payloads — or a wrapped
//! error `{"type":"error","status":…,"error":{…},"headers":{…}}` that Codex treats as an HTTP
//! error of that status, so the router classifies it with the same §4.2 table.

use http::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::Timestamp;
use crate::outcome::{EventClass, Outcome, classify_event, classify_http};

/// A client `response.create`, with what a move needs.
#[derive(Debug)]
pub struct CreateFrame {
    pub previous_response_id: Option<String>,
    /// The input items as sent (raw JSON, never re-serialised on the normal path).
    pub input: Vec<Box<RawValue>>,
    /// `false` for a prewarm: the upstream answers without generating.
    pub generate: bool,
}

#[derive(Debug)]
pub enum ClientFrame {
    Create(CreateFrame),
    /// Any other JSON object (relayed as it is).
    Other,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    #[error("the frame is not a JSON object")]
    NotJsonObject,
}

#[derive(Deserialize)]
struct RawCreate {
    #[serde(rename = "type")]
    kind: Option<String>,
    previous_response_id: Option<String>,
    #[serde(default)]
    input: Input,
    generate: Option<bool>,
}

/// `input` read in the same pass as the rest of the frame (a first request is ~55 KB): a list
/// of items kept as raw JSON, or (rarely) a plain string, which is a user message.
#[derive(Default)]
struct Input(Vec<Box<RawValue>>);

impl<'de> Deserialize<'de> for Input {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Input;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of input items or a string")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Input, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(8));
                while let Some(item) = seq.next_element::<Box<RawValue>>()? {
                    items.push(item);
                }
                Ok(Input(items))
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Input, E> {
                let item = serde_json::json!({"type": "message", "role": "user", "content": text});
                Ok(Input(
                    serde_json::value::to_raw_value(&item)
                        .map(|v| vec![v])
                        .unwrap_or_default(),
                ))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Input, E> {
                Ok(Input::default())
            }
        }
        d.deserialize_any(V)
    }
}

pub fn parse_client_frame(text: &str) -> Result<ClientFrame, FrameError> {
    let raw: RawCreate = serde_json::from_str(text).map_err(|_| FrameError::NotJsonObject)?;
    if raw.kind.as_deref() != Some("response.create") {
        return Ok(ClientFrame::Other);
    }
    Ok(ClientFrame::Create(CreateFrame {
        previous_response_id: raw.previous_response_id.filter(|s| !s.is_empty()),
        input: raw.input.0,
        generate: raw.generate.unwrap_or(true),
    }))
}

/// The frame re-sent in full: `input` replaced by `items`, `previous_response_id` removed,
/// every other key kept in its order. `None` when the frame is not a JSON object.
pub fn full_request<'a>(frame: &str, items: impl IntoIterator<Item = &'a RawValue>) -> Option<Vec<u8>> {
    let mut doc: Map<String, Value> = serde_json::from_str(frame).ok()?;
    let input: Vec<Value> = items
        .into_iter()
        .filter_map(|raw| serde_json::from_str(raw.get()).ok())
        .collect();
    doc.shift_remove("previous_response_id");
    doc.insert("input".to_owned(), Value::Array(input));
    serde_json::to_vec(&doc).ok()
}

/// A WebSocket request as the HTTP body of `POST …/responses` (the upstream refused
/// WebSocket): the same object without the frame's `type`, streamed.
pub fn as_http_body(request: &[u8]) -> Option<Vec<u8>> {
    let mut doc: Map<String, Value> = serde_json::from_slice(request).ok()?;
    doc.shift_remove("type");
    doc.shift_remove("generate");
    doc.insert("stream".to_owned(), Value::Bool(true));
    serde_json::to_vec(&doc).ok()
}

/// What the router needs from one server frame.
#[derive(Debug, Default)]
pub struct EventInfo {
    pub kind: String,
    /// `response.id` of `response.created` / `response.completed` / ….
    pub response_id: Option<String>,
    /// The item of `response.output_item.done`: the response's output, kept for moves.
    pub output_item: Option<Box<RawValue>>,
    /// A wrapped error's status.
    pub status: Option<u16>,
}

#[derive(Deserialize)]
struct RawEvent {
    #[serde(rename = "type")]
    kind: Option<String>,
    status: Option<u16>,
    #[serde(alias = "status_code")]
    status_code: Option<u16>,
    item: Option<Box<RawValue>>,
    response: Option<ResponseRef>,
}

#[derive(Deserialize)]
struct ResponseRef {
    id: Option<String>,
}

/// Kinds whose frames the router must read in full: they start, end or fail a response, or
/// carry an output item the kept context needs. Every other frame (the many deltas) is only
/// relayed, so its kind is enough.
const READ_IN_FULL: &[&str] = &[
    "response.created",
    "response.in_progress",
    "response.completed",
    "response.failed",
    "response.incomplete",
    "response.output_item.done",
    "codex.rate_limits",
    "error",
];

/// The `type` of a frame that begins with it (the backend writes it first), read without
/// parsing the frame; `None` when the frame begins otherwise.
fn leading_type(text: &str) -> Option<&str> {
    let rest = text.strip_prefix("{\"type\":\"")?;
    let kind = &rest[..rest.find('"')?];
    (!kind.contains('\\')).then_some(kind)
}

/// Reads a server frame; `None` when it is not a JSON object. A delta costs a prefix check,
/// not a parse: a response is mostly deltas, and each is relayed as it arrives.
pub fn event_info(text: &str) -> Option<EventInfo> {
    if let Some(kind) = leading_type(text)
        && !READ_IN_FULL.contains(&kind)
    {
        return Some(EventInfo {
            kind: kind.to_owned(),
            ..EventInfo::default()
        });
    }
    let raw: RawEvent = serde_json::from_str(text).ok()?;
    let kind = raw.kind.unwrap_or_default();
    let output_item = (kind == "response.output_item.done")
        .then_some(raw.item)
        .flatten();
    Some(EventInfo {
        response_id: raw.response.and_then(|r| r.id),
        output_item,
        status: raw.status.or(raw.status_code),
        kind,
    })
}

impl EventInfo {
    /// The last event of a response: nothing more comes for it.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self.kind.as_str(),
            "response.completed" | "response.failed" | "response.incomplete" | "error"
        )
    }

    /// A wrapped error with a non-success status stands for an HTTP error of that status.
    pub fn is_wrapped_error(&self) -> bool {
        self.kind == "error" && self.status.is_some_and(|s| !(200..300).contains(&s))
    }
}

/// The §4.2 class of a server frame seen before the response's first output.
pub fn classify_frame(text: &str, info: &EventInfo, now: Timestamp) -> EventClass {
    if info.is_wrapped_error() {
        return EventClass::Failure(wrapped_outcome(text, now));
    }
    match info.kind.as_str() {
        "response.created" | "response.in_progress" | "codex.rate_limits" => EventClass::OutputFree,
        "response.failed" | "error" => match serde_json::from_str::<Value>(text) {
            Ok(v) => classify_event(&v, now),
            Err(_) => EventClass::Output,
        },
        _ => EventClass::Output,
    }
}

/// A wrapped error classified as the HTTP answer it stands for.
pub fn wrapped_outcome(text: &str, now: Timestamp) -> Outcome {
    let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let status = v
        .get("status")
        .or_else(|| v.get("status_code"))
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .unwrap_or(500);
    let headers = json_headers(v.get("headers"));
    let body = serde_json::json!({"error": v.get("error").cloned().unwrap_or(Value::Null)});
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    classify_http(status, &headers, &bytes, now)
}

/// The `error.code` of a wrapped error, e.g. `websocket_connection_limit_reached`.
pub fn error_code(text: &str) -> Option<String> {
    let v: Value = serde_json::from_str(text).ok()?;
    v.get("error")?.get("code")?.as_str().map(str::to_owned)
}

/// A wrapped error event's `headers` object as an HTTP header map.
pub fn json_headers(v: Option<&Value>) -> HeaderMap {
    let mut out = HeaderMap::new();
    let Some(Value::Object(map)) = v else { return out };
    for (k, v) in map {
        let value = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => continue,
        };
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            out.insert(name, value);
        }
    }
    out
}

/// The wrapped error event Codex reads as an HTTP error: `status`, the `error` object of an
/// HTTP error body, and the headers it should honour (`retry-after`).
pub fn wrapped_error(status: u16, body: &Value, headers: &[(&str, String)]) -> String {
    let mut h = Map::new();
    for (k, v) in headers {
        h.insert((*k).to_owned(), Value::String(v.clone()));
    }
    let error = body.get("error").cloned().unwrap_or_else(|| body.clone());
    serde_json::json!({"type": "error", "status": status, "error": error, "headers": h}).to_string()
}

#[cfg(test)]
#[path = "wsframe_tests.rs"]
mod tests;
