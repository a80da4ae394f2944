//! Error answers as the WebSocket transport carries them: a wrapped `error` event with the HTTP status it
//! stands for, which Codex treats exactly like that HTTP answer (an `error` event without `status` it
//! ignores).

use serde_json::{Map, Value, json};

/// `{"type":"error","status":S,"error":E}`, plus `"headers"` when there are any.
pub(super) fn wrapped(status: u16, error: Value, headers: Option<Value>) -> Value {
    let mut event = json!({"type": "error", "status": status, "error": error});
    if let (Some(obj), Some(headers)) = (event.as_object_mut(), headers) {
        obj.insert("headers".into(), headers);
    }
    event
}

/// The event for an HTTP answer: its body's `error` object (a JSON body without one, such as
/// `{"detail":…}`, travels whole; a body that is not JSON becomes `{"message": <text>}`) and its headers
/// other than `content-type`.
pub(super) fn wrapped_http(status: u16, headers: &[(String, String)], body: &str) -> Value {
    let error = match serde_json::from_str::<Value>(body) {
        Ok(mut v) => v.as_object_mut().and_then(|obj| obj.remove("error")).unwrap_or(v),
        Err(_) => json!({"message": body}),
    };
    let headers: Map<String, Value> = headers
        .iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("content-type"))
        .map(|(name, value)| (name.to_ascii_lowercase(), Value::String(value.clone())))
        .collect();
    wrapped(
        status,
        error,
        (!headers.is_empty()).then_some(Value::Object(headers)),
    )
}

/// `GarbageSse` on a WebSocket: a text frame that is not JSON (what a broken edge would relay).
pub(super) fn garbage_frame() -> String {
    "this is not an event\n<html><body><h1>502 Bad Gateway</h1></body></html>".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_answers_unwrap_the_error_object() {
        let headers = vec![
            ("content-type".to_owned(), "application/json".to_owned()),
            ("Retry-After".to_owned(), "3".to_owned()),
        ];
        let ev = wrapped_http(429, &headers, r#"{"error":{"code":"rate_limit_exceeded"}}"#);
        assert_eq!(
            ev,
            json!({"type":"error","status":429,"error":{"code":"rate_limit_exceeded"},"headers":{"retry-after":"3"}})
        );
        let ev = wrapped_http(402, &[], r#"{"detail":{"code":"deactivated_workspace"}}"#);
        assert_eq!(ev["error"], json!({"detail":{"code":"deactivated_workspace"}}));
        assert!(ev.get("headers").is_none());
        assert_eq!(wrapped_http(403, &[], "<html>")["error"]["message"], "<html>");
    }
}
