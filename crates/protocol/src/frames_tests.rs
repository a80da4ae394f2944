//! Snapshots of every frame's exact JSON: a diff here is a wire change and needs a
//! `PROTOCOL_VERSION` discussion in review.

use serde_json::json;

use super::*;

fn to_json<T: Serialize>(frame: &T) -> String {
    serde_json::to_string(frame).unwrap()
}

#[test]
fn request_snapshot() {
    let frame = Request::new(7, "accounts.label", json!({"account": "2", "label": "work"}));
    assert_eq!(
        to_json(&frame),
        r#"{"v":1,"id":7,"method":"accounts.label","params":{"account":"2","label":"work"}}"#
    );
}

#[test]
fn request_without_params_decodes_as_empty_object() {
    let frame: Request = serde_json::from_str(r#"{"v":1,"id":3,"method":"ping"}"#).unwrap();
    assert_eq!(frame, Request::new(3, "ping", json!({})));
}

#[test]
fn response_snapshot() {
    let frame = Response::new(7, json!({"version": "0.1.0"}));
    assert_eq!(to_json(&frame), r#"{"v":1,"id":7,"result":{"version":"0.1.0"}}"#);
    assert_eq!(
        to_json(&Response::new(1, Value::Null)),
        r#"{"v":1,"id":1,"result":null}"#
    );
}

#[test]
fn error_frame_snapshot_without_data() {
    let frame = ErrorFrame::new(
        9,
        ErrorBody::new(ErrorCode::UnknownMethod, "unknown method `nope`"),
    );
    assert_eq!(
        to_json(&frame),
        r#"{"v":1,"id":9,"error":{"code":"unknown_method","message":"unknown method `nope`"}}"#
    );
}

#[test]
fn error_frame_snapshot_with_data() {
    let mut body = ErrorBody::new(ErrorCode::NotFound, "no account matches `x`");
    body.data = Some(json!({"account": "x"}));
    assert_eq!(
        to_json(&ErrorFrame::new(2, body)),
        r#"{"v":1,"id":2,"error":{"code":"not_found","message":"no account matches `x`","data":{"account":"x"}}}"#
    );
}

#[test]
fn version_mismatch_names_the_daemon_release_and_the_fix() {
    let frame = ErrorFrame::new(4, ErrorBody::version_mismatch(Some(99)));
    assert_eq!(
        to_json(&frame),
        format!(
            concat!(
                r#"{{"v":1,"id":4,"error":{{"code":"version_mismatch","message":"codex-routerd {0} speaks "#,
                r#"IPC protocol version 1, and the client sent protocol version 99: the daemon and codexctl "#,
                r#"come from different releases. After an upgrade, restart the daemon (`codexctl daemon "#,
                r#"restart`)","data":{{"client_version":99,"daemon_release":"{0}","daemon_version":1}}}}}}"#
            ),
            crate::RELEASE_VERSION
        )
    );
    let no_version = ErrorBody::version_mismatch(None);
    assert_eq!(
        no_version.data,
        Some(json!({"daemon_version": 1, "client_version": null, "daemon_release": crate::RELEASE_VERSION}))
    );
}

#[test]
fn frame_too_large_snapshot() {
    assert_eq!(
        to_json(&ErrorFrame::new(0, ErrorBody::frame_too_large())),
        r#"{"v":1,"id":0,"error":{"code":"frame_too_large","message":"frame exceeds 1048576 bytes; closing the connection"}}"#
    );
}

#[test]
fn event_frame_snapshot() {
    let frame = EventFrame::new(5, json!({"accounts": []}));
    assert_eq!(to_json(&frame), r#"{"v":1,"id":5,"event":{"accounts":[]}}"#);
}

#[test]
fn server_frame_serialises_like_the_frame_it_wraps() {
    let frame = ServerFrame::Event(EventFrame::new(5, json!(1)));
    assert_eq!(to_json(&frame), r#"{"v":1,"id":5,"event":1}"#);
}

#[test]
fn server_frame_decodes_each_kind() {
    let response: ServerFrame = serde_json::from_str(r#"{"v":1,"id":1,"result":null}"#).unwrap();
    assert_eq!(response, ServerFrame::Response(Response::new(1, Value::Null)));

    let error: ServerFrame =
        serde_json::from_str(r#"{"v":1,"id":2,"error":{"code":"brand_new","message":"m"}}"#).unwrap();
    let expected = ErrorBody::new(ErrorCode::Other("brand_new".into()), "m");
    assert_eq!(error, ServerFrame::Error(ErrorFrame::new(2, expected)));

    let event: ServerFrame = serde_json::from_str(r#"{"v":1,"id":3,"event":{"a":1}}"#).unwrap();
    assert_eq!(event, ServerFrame::Event(EventFrame::new(3, json!({"a": 1}))));
    assert_eq!(event.id(), 3);
}

#[test]
fn server_frame_ignores_unknown_members_for_forward_compatibility() {
    let frame: ServerFrame = serde_json::from_str(r#"{"v":1,"id":1,"result":true,"trace":"abc"}"#).unwrap();
    assert_eq!(frame, ServerFrame::Response(Response::new(1, json!(true))));
}

#[test]
fn server_frame_with_none_or_several_payloads_is_rejected() {
    for raw in [
        r#"{"v":1,"id":1}"#,
        r#"{"v":1,"id":1,"result":1,"event":2}"#,
        r#"{"v":1,"id":1,"result":1,"error":{"code":"internal","message":"m"}}"#,
        r#"{"v":1,"result":1}"#,
        r#"[1,2]"#,
    ] {
        let err = serde_json::from_str::<ServerFrame>(raw).unwrap_err();
        assert!(!err.to_string().is_empty(), "{raw}");
    }
}

#[test]
fn frames_round_trip() {
    let request = Request::new(1, "status", json!({}));
    assert_eq!(
        serde_json::from_str::<Request>(&to_json(&request)).unwrap(),
        request
    );
    let error = ErrorFrame::new(1, ErrorBody::version_mismatch(Some(2)));
    assert_eq!(
        serde_json::from_str::<ErrorFrame>(&to_json(&error)).unwrap(),
        error
    );
}
