//! Server-sent events: the writer the fake uses and a spec-following parser for tests.

use bytes::Bytes;
use codex_router_core::sse_line::LineSplitter;
use serde_json::Value;

/// One dispatched event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: String,
}

impl SseEvent {
    /// The data as JSON, when it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.data).ok()
    }

    /// The `type` the Responses API puts in every event's data (falls back to the `event:` field).
    pub fn kind(&self) -> Option<String> {
        self.json()
            .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_owned))
            .or_else(|| self.event.clone())
    }
}

/// Parses a complete or partial SSE body the way a browser does (WHATWG rules): `\n`, `\r\n` or `\r` line
/// ends, `:` comments, one optional space after the colon, multi-line data joined by `\n`, and an event
/// still being read when the bytes end is discarded (a truncated stream must not look complete).
pub fn parse_sse(bytes: &[u8]) -> Vec<SseEvent> {
    let mut lines = LineSplitter::default();
    let mut pos = 0;
    let mut events = Vec::new();
    let mut event: Option<String> = None;
    let mut data: Option<String> = None;
    while let Some(line) = lines.next_line(bytes, &mut pos) {
        let line = String::from_utf8_lossy(line);
        if line.is_empty() {
            if let Some(d) = data.take() {
                events.push(SseEvent {
                    event: event.take(),
                    data: d,
                });
            }
            event = None;
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line.as_ref(), ""),
        };
        match field {
            "event" => event = Some(value.to_owned()),
            "data" => match data.as_mut() {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => data = Some(value.to_owned()),
            },
            _ => {}
        }
    }
    events
}

/// One event as the backend writes it: `event: <type>\ndata: <json>\n\n`.
pub(crate) fn encode_event(data: &Value) -> Bytes {
    let kind = data.get("type").and_then(Value::as_str).unwrap_or("message");
    Bytes::from(format!("event: {kind}\ndata: {data}\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_encoded_events() {
        let mut body = Vec::new();
        body.extend_from_slice(&encode_event(
            &json!({"type":"response.created","sequence_number":0}),
        ));
        body.extend_from_slice(&encode_event(&json!({"type":"response.completed"})));
        let events = parse_sse(&body);
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].event.as_deref(), Some("response.created"));
        assert_eq!(events[0].kind().as_deref(), Some("response.created"));
        assert_eq!(events[1].json(), Some(json!({"type":"response.completed"})));
    }

    #[test]
    fn follows_whatwg_rules() {
        let body = b": comment\r\nevent: a\r\ndata: one\r\ndata:two\r\n\r\ndata\n\nevent: b\n\n";
        let events = parse_sse(body);
        assert_eq!(
            events,
            vec![
                SseEvent {
                    event: Some("a".into()),
                    data: "one\ntwo".into()
                },
                SseEvent {
                    event: None,
                    data: String::new()
                },
            ]
        );
    }

    #[test]
    fn drops_unterminated_event() {
        assert!(parse_sse(b"event: x\ndata: {}\n").is_empty());
        assert!(parse_sse(b"data: {}").is_empty());
    }
}
