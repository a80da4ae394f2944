use http::HeaderValue;
use serde_json::json;

use super::*;

fn t(s: i64) -> Timestamp {
    Timestamp::from_unix_secs(s)
}

fn classify(status: u16, body: &str) -> Outcome {
    classify_http(status, &HeaderMap::new(), body.as_bytes(), t(1_000_000))
}

#[test]
fn usage_limit_with_resets_at_and_in_seconds() {
    let now = t(1_789_000_000);
    let body = r#"{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached",
        "plan_type":"pro","resets_at":1789000600,"resets_in_seconds":513840}}"#;
    let o = classify_http(429, &HeaderMap::new(), body.as_bytes(), now);
    assert_eq!(
        o,
        Outcome::UsageLimit {
            reset_at: Some(t(1_789_000_600)),
            plan_type: Some("pro".into()),
            quota: None
        }
    );
    let only_in = r#"{"error":{"type":"usage_limit_reached","resets_in_seconds":90}}"#;
    match classify_http(429, &HeaderMap::new(), only_in.as_bytes(), now) {
        Outcome::UsageLimit { reset_at, .. } => assert_eq!(reset_at, Some(t(1_789_000_090))),
        o => panic!("{o:?}"),
    }
}

#[test]
fn usage_limit_reset_from_headers_and_retry_after() {
    let now = t(1_000);
    let body = br#"{"error":{"type":"usage_limit_reached","message":"x"}}"#;
    let mut h = HeaderMap::new();
    h.insert("retry-after", HeaderValue::from_static("120"));
    match classify_http(429, &h, body, now) {
        Outcome::UsageLimit { reset_at, .. } => assert_eq!(reset_at, Some(t(1_120))),
        o => panic!("{o:?}"),
    }
    let mut h = HeaderMap::new();
    h.insert("retry-after-ms", HeaderValue::from_static("1500"));
    match classify_http(429, &h, body, now) {
        Outcome::UsageLimit { reset_at, .. } => {
            assert_eq!(reset_at, Some(Timestamp::from_unix_ms(1_001_500)))
        }
        o => panic!("{o:?}"),
    }
    let mut h = HeaderMap::new();
    h.insert("x-codex-primary-used-percent", HeaderValue::from_static("100"));
    h.insert("x-codex-primary-reset-at", HeaderValue::from_static("4000"));
    h.insert("x-codex-secondary-used-percent", HeaderValue::from_static("20"));
    h.insert("x-codex-secondary-reset-at", HeaderValue::from_static("90000"));
    match classify_http(429, &h, body, now) {
        Outcome::UsageLimit { reset_at, quota, .. } => {
            assert_eq!(reset_at, Some(t(4_000)));
            assert!(quota.is_some());
        }
        o => panic!("{o:?}"),
    }
    // No hint at all: the caller asks /wham/usage, then backs off.
    match classify_http(429, &HeaderMap::new(), body, now) {
        Outcome::UsageLimit { reset_at, .. } => assert_eq!(reset_at, None),
        o => panic!("{o:?}"),
    }
}

#[test]
fn http_date_retry_after() {
    let now = Timestamp::from_unix_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
    let mut h = HeaderMap::new();
    h.insert(
        "retry-after",
        HeaderValue::from_static("Sun, 06 Nov 1994 08:50:37 GMT"),
    );
    assert_eq!(retry_after(&h, now), Some(Duration::from_secs(60)));
}

#[test]
fn reset_capped_at_seven_days_and_past_ignored() {
    let now = t(1_000);
    let far = format!(
        r#"{{"error":{{"type":"usage_limit_reached","resets_at":{}}}}}"#,
        1_000 + 30 * 86_400
    );
    match classify_http(429, &HeaderMap::new(), far.as_bytes(), now) {
        Outcome::UsageLimit { reset_at, .. } => assert_eq!(reset_at, Some(now.plus(MAX_RESET))),
        o => panic!("{o:?}"),
    }
    let past = r#"{"error":{"type":"usage_limit_reached","resets_at":10}}"#;
    match classify_http(429, &HeaderMap::new(), past.as_bytes(), now) {
        Outcome::UsageLimit { reset_at, .. } => assert_eq!(reset_at, None),
        o => panic!("{o:?}"),
    }
}

#[test]
fn other_429s() {
    assert_eq!(
        classify(
            429,
            r#"{"error":{"type":"rate_limit_error","code":"rate_limit_exceeded","message":"Rate limit reached."}}"#
        ),
        Outcome::ShortRateLimit { retry_after: None }
    );
    assert_eq!(
        classify(429, r#"{"error":{"type":"usage_not_included"}}"#),
        Outcome::NotEntitled
    );
}

#[test]
fn auth_failures() {
    let expired = r#"{"error":{"message":"Provided authentication token is expired. Please try signing in again.","type":null,"code":"token_expired","param":null},"status":401}"#;
    assert_eq!(
        classify(401, expired),
        Outcome::Unauthorized { invalidated: false }
    );
    let inv = r#"{"error":{"message":"Your authentication token has been invalidated. Please try signing in again.","code":"token_invalidated"}}"#;
    assert_eq!(classify(401, inv), Outcome::Unauthorized { invalidated: true });
    assert_eq!(
        classify(401, r#"{"error":{"code":"account_deactivated"}}"#),
        Outcome::Deactivated
    );
}

#[test]
fn deactivation_and_cdn_pages() {
    assert_eq!(
        classify(402, r#"{"detail":{"code":"deactivated_workspace"}}"#),
        Outcome::Deactivated
    );
    assert_eq!(
        classify(403, r#"{"error":{"code":"workspace_disabled"}}"#),
        Outcome::Deactivated
    );
    let html = "<html><head><title>Just a moment...</title></head><body>challenge-platform</body></html>";
    assert_eq!(classify(403, html), Outcome::ServerError);
    assert_eq!(
        classify(402, r#"{"error":{"code":"something_else"}}"#),
        Outcome::ClientError
    );
}

#[test]
fn four_hundreds() {
    let enc = r#"{"error":{"message":"The encrypted content gAAA...Rg== could not be verified.","type":"invalid_request_error","param":null,"code":"invalid_encrypted_content"}}"#;
    assert_eq!(classify(400, enc), Outcome::InvalidEncryptedContent);
    let model = r#"{"detail":"The 'gpt-9' model is not supported when using Codex with a ChatGPT account."}"#;
    assert_eq!(classify(400, model), Outcome::ModelNotSupported);
    assert_eq!(
        classify(400, r#"{"error":{"code":"context_length_exceeded"}}"#),
        Outcome::ClientError
    );
    assert_eq!(classify(404, r#"{"detail":"Not Found"}"#), Outcome::ClientError);
}

#[test]
fn server_errors() {
    assert_eq!(classify(500, ""), Outcome::ServerError);
    assert_eq!(
        classify(503, r#"{"error":{"code":"server_is_overloaded"}}"#),
        Outcome::ServerError
    );
    assert_eq!(classify(502, "<html>bad gateway</html>"), Outcome::ServerError);
}

#[test]
fn success_reads_quota() {
    let mut h = HeaderMap::new();
    h.insert("x-codex-primary-used-percent", HeaderValue::from_static("12"));
    h.insert("x-codex-primary-window-minutes", HeaderValue::from_static("300"));
    match classify_http(200, &h, b"", t(1)) {
        Outcome::Success { quota: Some(q) } => assert_eq!(q.primary.unwrap().used_percent, 12.0),
        o => panic!("{o:?}"),
    }
}

#[test]
fn events() {
    let now = t(100);
    assert_eq!(
        classify_event(&json!({"type":"response.created"}), now),
        EventClass::OutputFree
    );
    assert_eq!(
        classify_event(&json!({"type":"codex.rate_limits"}), now),
        EventClass::OutputFree
    );
    assert_eq!(
        classify_event(&json!({"type":"response.output_text.delta"}), now),
        EventClass::Output
    );
    let failed = json!({"type":"response.failed","response":{"error":{"type":"service_unavailable_error",
        "code":"server_is_overloaded","message":"Our servers are currently overloaded."}}});
    assert_eq!(
        classify_event(&failed, now),
        EventClass::Failure(Outcome::ServerError)
    );
    let usage = json!({"type":"error","error":{"type":"usage_limit_reached","message":"You've hit your usage limit.","resets_in_seconds":300}});
    assert_eq!(
        classify_event(&usage, now),
        EventClass::Failure(Outcome::UsageLimit {
            reset_at: Some(t(400)),
            plan_type: None,
            quota: None
        })
    );
    let rl = json!({"type":"error","error":{"code":"rate_limit_exceeded","message":"Rate limit reached. Please try again in 1.5s."}});
    assert_eq!(
        classify_event(&rl, now),
        EventClass::Failure(Outcome::ShortRateLimit {
            retry_after: Some(Duration::from_millis(1500))
        })
    );
    let ctx = json!({"type":"response.failed","response":{"error":{"code":"context_length_exceeded"}}});
    assert_eq!(classify_event(&ctx, now), EventClass::Output);
}
