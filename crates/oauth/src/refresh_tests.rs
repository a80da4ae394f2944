use super::*;

const REUSED_MESSAGE: &str = "Your refresh token has already been used to generate a new access token. \
                              Please try signing in again.";

fn presented() -> Secret {
    Secret::new("rt-presented-secret")
}

/// Expected outcome: `Ok(code)` for permanent, `Err(status)` for transient.
type Want = Result<&'static str, u16>;

#[test]
fn classification_table_from_backend_shapes_section_3() {
    let reused = format!(r#"{{"error":{{"code":"refresh_token_reused","message":"{REUSED_MESSAGE}"}}}}"#);
    let cases: Vec<(u16, String, Want)> = vec![
        // The three subtype codes are permanent at any status, in any of the three shapes.
        (
            401,
            r#"{"error":{"code":"refresh_token_expired","message":"expired"}}"#.into(),
            Ok("refresh_token_expired"),
        ),
        (401, reused.clone(), Ok("refresh_token_reused")),
        (
            401,
            r#"{"error":{"code":"refresh_token_invalidated","message":"revoked"}}"#.into(),
            Ok("refresh_token_invalidated"),
        ),
        (
            400,
            r#"{"error":"refresh_token_reused"}"#.into(),
            Ok("refresh_token_reused"),
        ),
        (
            400,
            r#"{"code":"refresh_token_expired","message":"m"}"#.into(),
            Ok("refresh_token_expired"),
        ),
        (500, reused.clone(), Ok("refresh_token_reused")),
        (
            403,
            r#"{"error":{"code":"refresh_token_invalidated"}}"#.into(),
            Ok("refresh_token_invalidated"),
        ),
        // RFC 6749 invalid_grant: permanent on 400 (and on 401, as every 401 is).
        (
            400,
            r#"{"error":"invalid_grant","error_description":"Invalid refresh token"}"#.into(),
            Ok("invalid_grant"),
        ),
        (400, r#"{"error":"INVALID_GRANT"}"#.into(), Ok("INVALID_GRANT")),
        (401, r#"{"error":"invalid_grant"}"#.into(), Ok("invalid_grant")),
        (403, r#"{"error":"invalid_grant"}"#.into(), Err(403)),
        // Any 401 is permanent, whatever it says or does not say.
        (
            401,
            r#"{"error":{"code":"token_expired","message":"m"}}"#.into(),
            Ok("token_expired"),
        ),
        (401, String::new(), Ok("http_401")),
        (401, "<html>Unauthorized</html>".into(), Ok("http_401")),
        // Everything else is transient.
        (
            500,
            r#"{"error":{"code":"server_error","message":"oops"}}"#.into(),
            Err(500),
        ),
        (502, "<html>Bad gateway</html>".into(), Err(502)),
        (503, String::new(), Err(503)),
        (
            429,
            r#"{"error":{"code":"rate_limited","message":"slow down"}}"#.into(),
            Err(429),
        ),
        (
            400,
            r#"{"error":"invalid_request","error_description":"missing client_id"}"#.into(),
            Err(400),
        ),
        (403, "<html>Just a moment...</html>".into(), Err(403)),
        (404, r#"{"detail":"Not Found"}"#.into(), Err(404)),
    ];
    for (status, body, want) in cases {
        let err = classify(status, body.as_bytes(), &presented());
        let got = match &err {
            RefreshError::Permanent { code, .. } => Ok(code.as_str()),
            RefreshError::Transient { status, .. } => Err(status.unwrap_or(0)),
            RefreshError::ConnectFailed { .. } => Err(0),
        };
        assert_eq!(got, want, "{status} {body}");
        assert_eq!(err.is_permanent(), want.is_ok());
    }
}

#[test]
fn reused_is_recognised_and_keeps_the_issuer_message() {
    let body = format!(r#"{{"error":{{"code":"refresh_token_reused","message":"{REUSED_MESSAGE}"}}}}"#);
    let err = classify(401, body.as_bytes(), &presented());
    assert!(err.is_reused());
    assert_eq!(err.code(), Some("refresh_token_reused"));
    assert_eq!(
        err,
        RefreshError::Permanent {
            code: "refresh_token_reused".into(),
            message: REUSED_MESSAGE.into()
        }
    );
    assert!(err.to_string().contains("already been used"));

    let expired = classify(
        401,
        br#"{"error":{"code":"refresh_token_expired"}}"#,
        &presented(),
    );
    assert!(!expired.is_reused());
}

#[test]
fn transient_errors_keep_status_and_code_in_the_message() {
    let err = classify(
        429,
        br#"{"error":{"code":"rate_limited","message":"slow down"}}"#,
        &presented(),
    );
    assert_eq!(
        err,
        RefreshError::Transient {
            status: Some(429),
            message: "rate_limited: slow down".into()
        }
    );
    assert_eq!(err.code(), None);
    assert!(!err.is_reused());
    assert_eq!(
        err.to_string(),
        "token refresh failed (HTTP 429): rate_limited: slow down"
    );
    let network = RefreshError::Transient {
        status: None,
        message: "connection refused".into(),
    };
    assert_eq!(network.to_string(), "token refresh failed: connection refused");
}

#[test]
fn an_echoed_token_never_reaches_the_error() {
    let body = br#"{"error":"invalid_grant","error_description":"token rt-presented-secret is unknown"}"#;
    let err = classify(400, body, &presented());
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("rt-presented-secret"), "{shown}");
    assert!(shown.contains("<redacted>"));
}
