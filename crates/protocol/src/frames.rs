//! The frames of SPEC §9. Each frame is one JSON object on one line.
//!
//! - client → daemon: [`Request`] `{"v":1,"id":n,"method":"...","params":{...}}`
//! - daemon → client: [`Response`] `{"v":1,"id":n,"result":...}`, [`ErrorFrame`]
//!   `{"v":1,"id":n,"error":{"code":"...","message":"...","data":...}}` or, for subscriptions,
//!   [`EventFrame`] `{"v":1,"id":n,"event":{...}}`.
//!
//! `id` is chosen by the client (starting at 1) and echoed back; `0` is reserved for errors the
//! daemon cannot attribute to a request (unparseable line, busy daemon).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::{ErrorCode, MAX_FRAME_BYTES, PROTOCOL_VERSION, RELEASE_VERSION};

/// A call from the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub v: u32,
    pub id: u64,
    pub method: String,
    /// Missing params decode as `{}`, so param-less methods may omit them.
    #[serde(default = "empty_object")]
    pub params: Value,
}

impl Request {
    /// A request at the current [`PROTOCOL_VERSION`].
    pub fn new(id: u64, method: impl Into<String>, params: Value) -> Self {
        Self {
            v: PROTOCOL_VERSION,
            id,
            method: method.into(),
            params,
        }
    }
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub v: u32,
    pub id: u64,
    pub result: Value,
}

impl Response {
    pub fn new(id: u64, result: Value) -> Self {
        Self {
            v: PROTOCOL_VERSION,
            id,
            result,
        }
    }
}

/// A failed answer; also ends a subscription early.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorFrame {
    pub v: u32,
    pub id: u64,
    pub error: ErrorBody,
}

impl ErrorFrame {
    pub fn new(id: u64, error: ErrorBody) -> Self {
        Self {
            v: PROTOCOL_VERSION,
            id,
            error,
        }
    }
}

/// The `error` member: a code to branch on, a message for humans, optional structured detail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// The answer to a request whose `v` is not ours. `client_version` is `None` when the
    /// request's `v` was missing or not a number.
    pub fn version_mismatch(client_version: Option<u64>) -> Self {
        let theirs = client_version.map_or_else(|| "no".to_owned(), |v| format!("version {v}"));
        let data = VersionMismatchData {
            client_version,
            daemon_release: Some(RELEASE_VERSION.to_owned()),
            daemon_version: PROTOCOL_VERSION,
        };
        Self {
            code: ErrorCode::VersionMismatch,
            message: format!(
                "codex-routerd {RELEASE_VERSION} speaks IPC protocol version {PROTOCOL_VERSION}, and \
                 the client sent protocol {theirs}: the daemon and codexctl come from different \
                 releases. After an upgrade, restart the daemon (`codexctl daemon restart`)"
            ),
            data: serde_json::to_value(data).ok(),
        }
    }

    /// The answer to a line longer than [`MAX_FRAME_BYTES`].
    pub fn frame_too_large() -> Self {
        Self::new(
            ErrorCode::FrameTooLarge,
            format!("frame exceeds {MAX_FRAME_BYTES} bytes; closing the connection"),
        )
    }
}

/// `data` of a `version_mismatch` error. `client_version` and `daemon_version` are protocol
/// versions; `daemon_release` is the daemon's release (absent from daemons before it was added).
/// Fields are in alphabetical order so the JSON is the same whether or not serde_json's
/// `preserve_order` feature is on somewhere in the build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionMismatchData {
    pub client_version: Option<u64>,
    #[serde(default)]
    pub daemon_release: Option<String>,
    pub daemon_version: u32,
}

/// One frame of a subscription stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventFrame {
    pub v: u32,
    pub id: u64,
    pub event: Value,
}

impl EventFrame {
    pub fn new(id: u64, event: Value) -> Self {
        Self {
            v: PROTOCOL_VERSION,
            id,
            event,
        }
    }
}

/// Anything the daemon sends, told apart by which of `result`, `error`, `event` is present
/// (exactly one must be; `"result": null` counts as present).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ServerFrame {
    Response(Response),
    Error(ErrorFrame),
    Event(EventFrame),
}

impl ServerFrame {
    /// The request id this frame answers.
    pub fn id(&self) -> u64 {
        match self {
            Self::Response(frame) => frame.id,
            Self::Error(frame) => frame.id,
            Self::Event(frame) => frame.id,
        }
    }
}

/// Mirror of a server frame with every payload optional, so decoding can say precisely what
/// is wrong instead of serde's generic "did not match any variant".
#[derive(Deserialize)]
struct RawServerFrame {
    v: u32,
    id: u64,
    #[serde(default, deserialize_with = "present")]
    result: Option<Value>,
    #[serde(default)]
    error: Option<ErrorBody>,
    #[serde(default, deserialize_with = "present")]
    event: Option<Value>,
}

/// Maps a present member (even `null`) to `Some`, so only an absent one is `None`.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

impl<'de> Deserialize<'de> for ServerFrame {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let RawServerFrame {
            v,
            id,
            result,
            error,
            event,
        } = RawServerFrame::deserialize(deserializer)?;
        match (result, error, event) {
            (Some(result), None, None) => Ok(Self::Response(Response { v, id, result })),
            (None, Some(error), None) => Ok(Self::Error(ErrorFrame { v, id, error })),
            (None, None, Some(event)) => Ok(Self::Event(EventFrame { v, id, event })),
            _ => Err(serde::de::Error::custom(
                "a server frame needs exactly one of `result`, `error`, `event`",
            )),
        }
    }
}

#[cfg(test)]
#[path = "frames_tests.rs"]
mod tests;
