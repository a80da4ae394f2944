use serde_json::json;

use super::*;

fn code_and_id(line: &str) -> (ErrorCode, u64) {
    let frame = parse_request(line.as_bytes()).unwrap_err();
    (frame.error.code, frame.id)
}

#[test]
fn valid_request_parses() {
    let request = parse_request(br#"{"v":1,"id":3,"method":"ping","params":{"x":1}}"#).unwrap();
    assert_eq!(request, Request::new(3, "ping", json!({"x": 1})));
}

#[test]
fn unknown_members_are_ignored() {
    let request = parse_request(br#"{"v":1,"id":3,"method":"ping","trace":"t"}"#).unwrap();
    assert_eq!(request.method, "ping");
}

#[test]
fn garbage_and_non_objects_are_bad_frames_with_id_zero() {
    assert_eq!(code_and_id("not json"), (ErrorCode::BadFrame, 0));
    assert_eq!(code_and_id("[1,2]"), (ErrorCode::BadFrame, 0));
    assert_eq!(code_and_id("\"str\""), (ErrorCode::BadFrame, 0));
}

#[test]
fn recoverable_id_is_echoed_on_bad_frames() {
    assert_eq!(code_and_id(r#"{"v":1,"id":5}"#), (ErrorCode::BadFrame, 5));
    assert_eq!(
        code_and_id(r#"{"v":1,"id":5,"method":7}"#),
        (ErrorCode::BadFrame, 5)
    );
    assert_eq!(
        code_and_id(r#"{"id":5,"method":"ping"}"#),
        (ErrorCode::BadFrame, 5)
    );
    assert_eq!(
        code_and_id(r#"{"v":1,"method":"ping"}"#),
        (ErrorCode::BadFrame, 0)
    );
    assert_eq!(
        code_and_id(r#"{"v":1,"id":-1,"method":"ping"}"#),
        (ErrorCode::BadFrame, 0)
    );
}

#[test]
fn other_versions_get_version_mismatch_before_any_shape_check() {
    let frame = parse_request(br#"{"v":99,"id":8,"whatever":true}"#).unwrap_err();
    assert_eq!(
        (frame.error.code.clone(), frame.id),
        (ErrorCode::VersionMismatch, 8)
    );
    assert_eq!(
        frame.error.data,
        Some(
            json!({"client_version": 99, "daemon_release": codex_router_protocol::RELEASE_VERSION, "daemon_version": 1})
        )
    );
    assert!(
        frame.error.message.contains("version 1"),
        "{}",
        frame.error.message
    );

    let frame = parse_request(br#"{"v":"1","id":8,"method":"ping"}"#).unwrap_err();
    assert_eq!(frame.error.code, ErrorCode::VersionMismatch);
    assert_eq!(
        frame.error.data,
        Some(
            json!({"client_version": null, "daemon_release": codex_router_protocol::RELEASE_VERSION, "daemon_version": 1})
        )
    );
}
