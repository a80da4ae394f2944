use serde_json::{Value, json};

use super::*;
use crate::outcome::Outcome;

fn now() -> Timestamp {
    Timestamp::from_unix_ms(1_800_000_000_000)
}

#[test]
fn a_create_frame_yields_its_previous_id_input_and_prewarm_flag() {
    let f = r#"{"type":"response.create","model":"m","previous_response_id":"resp_1","input":[{"type":"function_call_output","call_id":"c","output":"hi"}],"generate":false}"#;
    let ClientFrame::Create(c) = parse_client_frame(f).unwrap() else {
        panic!("create")
    };
    assert_eq!(c.previous_response_id.as_deref(), Some("resp_1"));
    assert_eq!(c.input.len(), 1);
    assert!(!c.generate);
    assert!(matches!(
        parse_client_frame(r#"{"type":"response.processed"}"#),
        Ok(ClientFrame::Other)
    ));
    assert_eq!(
        parse_client_frame("not json").unwrap_err(),
        FrameError::NotJsonObject
    );
    assert_eq!(parse_client_frame("[1]").unwrap_err(), FrameError::NotJsonObject);
}

#[test]
fn a_full_request_replaces_the_input_drops_the_previous_id_and_keeps_key_order() {
    let f = r#"{"type":"response.create","model":"m","previous_response_id":"r","input":[{"n":3}],"store":false}"#;
    let a = RawValue::from_string(r#"{"n":1}"#.into()).unwrap();
    let b = RawValue::from_string(r#"{"n":2}"#.into()).unwrap();
    let c = RawValue::from_string(r#"{"n":3}"#.into()).unwrap();
    let out = full_request(f, [a.as_ref(), b.as_ref(), c.as_ref()]).unwrap();
    let s = String::from_utf8(out).unwrap();
    assert_eq!(
        s,
        r#"{"type":"response.create","model":"m","input":[{"n":1},{"n":2},{"n":3}],"store":false}"#
    );
    let http: Value = serde_json::from_slice(&as_http_body(s.as_bytes()).unwrap()).unwrap();
    assert!(http.get("type").is_none());
    assert_eq!(http["stream"], true);
}

#[test]
fn server_frames_are_classified_like_their_http_twins() {
    let created = r#"{"type":"response.created","response":{"id":"resp_9","output":[]}}"#;
    let info = event_info(created).unwrap();
    assert_eq!(info.response_id.as_deref(), Some("resp_9"));
    assert!(matches!(
        classify_frame(created, &info, now()),
        EventClass::OutputFree
    ));

    let delta = r#"{"type":"response.output_text.delta","delta":"po"}"#;
    assert!(matches!(
        classify_frame(delta, &event_info(delta).unwrap(), now()),
        EventClass::Output
    ));

    let limit = json!({"type":"error","status":429,
        "error":{"type":"usage_limit_reached","message":"m","plan_type":"pro","resets_at":1_800_000_090},
        "headers":{"x-codex-primary-used-percent":"100.0"}})
    .to_string();
    let info = event_info(&limit).unwrap();
    assert!(info.is_wrapped_error() && info.is_terminal());
    match classify_frame(&limit, &info, now()) {
        EventClass::Failure(Outcome::UsageLimit { reset_at, .. }) => {
            assert_eq!(reset_at, Some(Timestamp::from_unix_ms(1_800_000_090_000)));
        }
        other => panic!("{other:?}"),
    }

    let done = r#"{"type":"response.output_item.done","item":{"type":"message","id":"m1"}}"#;
    let info = event_info(done).unwrap();
    assert_eq!(info.output_item.unwrap().get(), r#"{"type":"message","id":"m1"}"#);
}

#[test]
fn an_error_event_without_status_is_an_in_band_failure_and_a_limit_code_is_readable() {
    let overloaded = json!({"type":"response.failed","response":{"id":"r","status":"failed",
        "error":{"code":"server_is_overloaded","message":"busy"}}})
    .to_string();
    let info = event_info(&overloaded).unwrap();
    assert!(!info.is_wrapped_error() && info.is_terminal());
    assert!(matches!(
        classify_frame(&overloaded, &info, now()),
        EventClass::Failure(Outcome::ServerError)
    ));
    let limit = r#"{"type":"error","status":400,"error":{"type":"invalid_request_error","code":"websocket_connection_limit_reached","message":"m"}}"#;
    assert_eq!(
        error_code(limit).as_deref(),
        Some("websocket_connection_limit_reached")
    );
}

#[test]
fn the_wrapped_error_the_router_sends_carries_status_error_and_headers() {
    let body = json!({"error":{"code":"pool_exhausted","type":"usage_limit_reached","resets_at":5}});
    let s = wrapped_error(429, &body, &[("retry-after", "90".into())]);
    let v: Value = serde_json::from_str(&s).unwrap();
    assert_eq!(v["type"], "error");
    assert_eq!(v["status"], 429);
    assert_eq!(v["error"]["resets_at"], 5);
    assert_eq!(v["headers"]["retry-after"], "90");
}

#[test]
fn a_delta_is_read_from_its_prefix_and_agrees_with_a_full_parse() {
    let frames = [
        r#"{"type":"response.output_text.delta","item_id":"m","output_index":0,"delta":"po"}"#,
        r#"{"type":"response.reasoning_summary_text.delta","delta":"x\"y"}"#,
        r#"{ "type": "response.output_text.delta", "delta": "spaced" }"#,
        r#"{"delta":"d","type":"response.output_text.delta"}"#,
    ];
    for f in frames {
        let fast = event_info(f).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(f).unwrap();
        assert_eq!(fast.kind, parsed["type"].as_str().unwrap(), "{f}");
        assert!(fast.response_id.is_none() && fast.output_item.is_none() && fast.status.is_none());
        assert!(!fast.is_terminal());
    }
    // Frames the router needs are still read in full.
    let done = r#"{"type":"response.output_item.done","item":{"type":"message"}}"#;
    assert!(event_info(done).unwrap().output_item.is_some());
    let completed = r#"{"type":"response.completed","response":{"id":"resp_1"}}"#;
    assert_eq!(
        event_info(completed).unwrap().response_id.as_deref(),
        Some("resp_1")
    );
    assert!(
        event_info(r#"{"type":"error"#).is_none(),
        "a torn frame is not an event"
    );
}

#[test]
fn a_string_input_is_one_user_message_and_a_null_input_none() {
    let ClientFrame::Create(c) = parse_client_frame(r#"{"type":"response.create","input":"hi"}"#).unwrap()
    else {
        panic!("create")
    };
    let item: Value = serde_json::from_str(c.input[0].get()).unwrap();
    assert_eq!(item, json!({"type": "message", "role": "user", "content": "hi"}));
    let ClientFrame::Create(c) = parse_client_frame(r#"{"type":"response.create","input":null}"#).unwrap()
    else {
        panic!("create")
    };
    assert!(c.input.is_empty());
    assert!(parse_client_frame(r#"{"type":"response.create","input":7}"#).is_err());
}
