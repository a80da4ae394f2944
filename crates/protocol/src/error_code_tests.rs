use super::ErrorCode;

const KNOWN: [(ErrorCode, &str); 10] = [
    (ErrorCode::VersionMismatch, "\"version_mismatch\""),
    (ErrorCode::FrameTooLarge, "\"frame_too_large\""),
    (ErrorCode::BadFrame, "\"bad_frame\""),
    (ErrorCode::UnknownMethod, "\"unknown_method\""),
    (ErrorCode::InvalidParams, "\"invalid_params\""),
    (ErrorCode::DaemonBusy, "\"daemon_busy\""),
    (ErrorCode::Internal, "\"internal\""),
    (ErrorCode::NotFound, "\"not_found\""),
    (ErrorCode::Conflict, "\"conflict\""),
    (ErrorCode::Unavailable, "\"unavailable\""),
];

#[test]
fn every_known_code_has_its_snake_case_spelling_and_round_trips() {
    for (code, json) in KNOWN {
        assert_eq!(serde_json::to_string(&code).unwrap(), json);
        assert_eq!(serde_json::from_str::<ErrorCode>(json).unwrap(), code);
        assert_eq!(format!("\"{code}\""), json);
    }
}

#[test]
fn unknown_code_from_a_newer_daemon_is_kept_verbatim() {
    let code: ErrorCode = serde_json::from_str("\"quota_exploded\"").unwrap();
    assert_eq!(code, ErrorCode::Other("quota_exploded".into()));
    assert_eq!(serde_json::to_string(&code).unwrap(), "\"quota_exploded\"");
}

#[test]
fn a_known_spelling_never_decodes_as_other() {
    assert_eq!(ErrorCode::from_wire("internal"), ErrorCode::Internal);
}

#[test]
fn non_string_code_is_rejected() {
    assert!(serde_json::from_str::<ErrorCode>("42").is_err());
}
