//! Turning one received line into a [`Request`] or the error frame that answers it.
//!
//! The line is first parsed as untyped JSON so that the `id` can be recovered from a frame
//! that is otherwise wrong, and so `v` is checked before anything else about the shape: a
//! newer client may send a shape this daemon cannot decode, and it deserves
//! `version_mismatch`, not `bad_frame`.

use codex_router_protocol::{ErrorBody, ErrorCode, ErrorFrame, PROTOCOL_VERSION, Request};
use serde_json::Value;

/// Validates one frame. Errors carry the request's id when it could be read, else 0 (boxed:
/// the error path is rare and the frame is large).
pub(crate) fn parse_request(line: &[u8]) -> Result<Request, Box<ErrorFrame>> {
    let value: Value = serde_json::from_slice(line)
        .map_err(|err| bad_frame(0, format!("frame is not valid JSON: {err}")))?;
    let Value::Object(map) = value else {
        return Err(bad_frame(0, "a frame must be a JSON object"));
    };
    let id = map.get("id").and_then(Value::as_u64);
    let reply_id = id.unwrap_or(0);
    match map.get("v").map(Value::as_u64) {
        None => return Err(bad_frame(reply_id, "frame has no `v` (protocol version)")),
        Some(Some(v)) if v == u64::from(PROTOCOL_VERSION) => {}
        Some(v) => {
            return Err(Box::new(ErrorFrame::new(
                reply_id,
                ErrorBody::version_mismatch(v),
            )));
        }
    }
    if id.is_none() {
        return Err(bad_frame(0, "frame has no `id` (a non-negative integer)"));
    }
    serde_json::from_value(Value::Object(map))
        .map_err(|err| bad_frame(reply_id, format!("bad request: {err}")))
}

fn bad_frame(id: u64, message: impl Into<String>) -> Box<ErrorFrame> {
    Box::new(ErrorFrame::new(id, ErrorBody::new(ErrorCode::BadFrame, message)))
}

#[cfg(test)]
#[path = "dispatch_tests.rs"]
mod tests;
