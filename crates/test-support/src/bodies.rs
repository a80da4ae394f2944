//! Error bodies exactly as the real backend and issuer send them (reference: `backend-shapes.md`).
//!
//! Kept in one place so a classifier test in another crate fails here first if a shape is wrong, and so the
//! fake never drifts into "plausible" JSON that the real service does not produce. HTTP bodies are strings
//! written in the observed key order (a `serde_json::Value` would reorder keys depending on crate features).

use serde_json::{Value, json};

/// 401 for a bearer the backend has never issued (§2.1, peers match `invalid_api_key`).
pub fn invalid_api_key() -> String {
    r#"{"error":{"message":"Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","code":"invalid_api_key","param":null},"status":401}"#.to_owned()
}

/// 401 for an expired access token: the observed body, byte for byte in key order (§2.1).
pub fn token_expired() -> String {
    r#"{"error":{"message":"Provided authentication token is expired. Please try signing in again.","type":null,"code":"token_expired","param":null},"status":401}"#.to_owned()
}

/// 401 for a server-side revoked token (§2.1: code and message observed, envelope mirrors `token_expired`).
pub fn token_invalidated() -> String {
    r#"{"error":{"message":"Your authentication token has been invalidated. Please try signing in again.","type":null,"code":"token_invalidated","param":null},"status":401}"#.to_owned()
}

/// 401 when `chatgpt-account-id` does not name the bearer's workspace (what a router bug would cause).
pub fn account_mismatch() -> String {
    r#"{"error":{"message":"The chatgpt-account-id header does not match the authentication token.","type":"invalid_request_error","code":"account_mismatch","param":null},"status":401}"#.to_owned()
}

/// 400 for a body that is not JSON.
pub fn unparsable_json() -> String {
    r#"{"error":{"message":"We could not parse the JSON body of your request.","type":"invalid_request_error","code":null,"param":null}}"#.to_owned()
}

/// 400 for replayed reasoning or compaction from another account (§5, observed). The real message shows the
/// blob's head and tail, so this does the same.
pub fn invalid_encrypted_content(blob: &str) -> String {
    let message = format!(
        "The encrypted content {} could not be verified.",
        abbreviate(blob)
    );
    format!(
        r#"{{"error":{{"message":{},"type":"invalid_request_error","param":null,"code":"invalid_encrypted_content"}}}}"#,
        json_str(&message)
    )
}

fn abbreviate(blob: &str) -> String {
    let chars: Vec<char> = blob.chars().collect();
    if chars.len() <= 8 {
        return blob.to_owned();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}...{tail}")
}

/// A JSON string literal (quoted and escaped).
fn json_str(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}

/// 429 plan usage limit (§1.1), keys in the observed order. Absent fields are omitted, as real bodies
/// sometimes omit them.
pub fn usage_limit_reached(
    plan_type: Option<&str>,
    resets_at: Option<i64>,
    resets_in_seconds: Option<i64>,
) -> String {
    let mut error =
        String::from(r#"{"type":"usage_limit_reached","message":"The usage limit has been reached""#);
    if let Some(plan) = plan_type {
        error.push_str(&format!(r#","plan_type":{}"#, json_str(plan)));
    }
    if let Some(at) = resets_at {
        error.push_str(&format!(r#","resets_at":{at}"#));
    }
    if let Some(secs) = resets_in_seconds {
        error.push_str(&format!(r#","resets_in_seconds":{secs}"#));
    }
    format!(r#"{{"error":{error}}}}}"#)
}

/// 429 short-term rate limit (§1.1, fixture).
pub fn rate_limit_exceeded() -> String {
    r#"{"error":{"type":"rate_limit_error","code":"rate_limit_exceeded","message":"Rate limit reached."}}"#
        .to_owned()
}

/// 429 for a plan without Codex (§1.1).
pub fn usage_not_included() -> String {
    r#"{"error":{"type":"usage_not_included","message":"Codex is not included in your plan. Upgrade your plan to use Codex."}}"#.to_owned()
}

/// 402 deactivated workspace: note `detail`, not `error` (§2.2, observed).
pub fn deactivated_workspace() -> String {
    r#"{"detail":{"code":"deactivated_workspace"}}"#.to_owned()
}

/// 400 for a model the plan cannot use: a top-level `detail` string (§5, observed).
pub fn model_not_supported(model: &str) -> String {
    let detail = format!("The '{model}' model is not supported when using Codex with a ChatGPT account.");
    format!(r#"{{"detail":{}}}"#, json_str(&detail))
}

/// The `error` object of an overload, used both as HTTP 503 body and in-band (§4.1, §4.5).
pub fn server_is_overloaded_error() -> Value {
    json!({"type":"service_unavailable_error","code":"server_is_overloaded","message":"Our servers are currently overloaded. Please try again later."})
}

/// HTTP 503 overload body (§4.5).
pub fn server_overloaded() -> String {
    r#"{"error":{"type":"service_unavailable_error","code":"server_is_overloaded","message":"Our servers are currently overloaded. Please try again later."}}"#.to_owned()
}

/// Generic 5xx body.
pub fn server_error() -> String {
    r#"{"error":{"message":"An error occurred while processing your request. You can retry your request, or contact us through our help center if the error persists.","type":"server_error","code":null,"param":null}}"#.to_owned()
}

/// The WebSocket error event the backend sends on the first `response.create` after a connection's 60
/// minutes (status 400; Codex reconnects and re-sends its full input).
pub fn websocket_connection_limit_reached() -> Value {
    json!({
        "type": "error",
        "status": 400,
        "error": {
            "type": "invalid_request_error",
            "code": "websocket_connection_limit_reached",
            "message": "Responses websocket connection limit reached (60 minutes). Create a new websocket connection to continue.",
        },
    })
}

/// The WebSocket error event for a `previous_response_id` the connection never produced (the connection
/// stays open).
pub fn previous_response_not_found(id: &str) -> Value {
    json!({
        "type": "error",
        "status": 400,
        "error": {
            "type": "invalid_request_error",
            "code": "previous_response_not_found",
            "message": format!("Previous response with id '{id}' not found."),
            "param": "previous_response_id",
        },
    })
}

/// A Cloudflare challenge page (§2.2): HTML, not JSON, and not an account fault.
pub const CLOUDFLARE_CHALLENGE_HTML: &str = "<!DOCTYPE html><html lang=\"en-US\"><head><title>Just a moment...</title>\
<meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\"></head><body>\
<div class=\"main-wrapper\" role=\"main\"><noscript>Enable JavaScript and cookies to continue</noscript></div>\
<script src=\"/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1\"></script></body></html>";

/// Issuer: a refresh token presented a second time (§3, observed message).
pub fn refresh_token_reused() -> String {
    r#"{"error":{"code":"refresh_token_reused","message":"Your refresh token has already been used to generate a new access token. Please try signing in again."}}"#.to_owned()
}

/// Issuer: a refresh token revoked by logout or invalidation (§3).
pub fn refresh_token_invalidated() -> String {
    r#"{"error":{"code":"refresh_token_invalidated","message":"Your refresh token has been invalidated. Please try signing in again."}}"#.to_owned()
}

/// Issuer: the RFC 6749 string form (§3).
pub fn invalid_grant(description: &str) -> String {
    format!(
        r#"{{"error":"invalid_grant","error_description":{}}}"#,
        json_str(description)
    )
}

/// Issuer: a malformed token request (RFC 6749 §5.2).
pub fn invalid_request(description: &str) -> String {
    format!(
        r#"{{"error":"invalid_request","error_description":{}}}"#,
        json_str(description)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Value {
        serde_json::from_str(s).expect("valid JSON")
    }

    #[test]
    fn token_expired_is_the_observed_bytes() {
        assert_eq!(
            token_expired(),
            r#"{"error":{"message":"Provided authentication token is expired. Please try signing in again.","type":null,"code":"token_expired","param":null},"status":401}"#
        );
    }

    #[test]
    fn every_fixed_body_is_json() {
        for body in [
            invalid_api_key(),
            token_expired(),
            token_invalidated(),
            account_mismatch(),
            unparsable_json(),
            rate_limit_exceeded(),
            usage_not_included(),
            deactivated_workspace(),
            server_error(),
            server_overloaded(),
            refresh_token_reused(),
            refresh_token_invalidated(),
            invalid_grant("x \"quoted\""),
            invalid_request("y"),
            model_not_supported("gpt-\"x"),
        ] {
            parse(&body);
        }
    }

    #[test]
    fn usage_limit_keeps_observed_order_and_omits_absent_fields() {
        assert_eq!(
            usage_limit_reached(Some("pro"), Some(1789435516), Some(513840)),
            r#"{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","plan_type":"pro","resets_at":1789435516,"resets_in_seconds":513840}}"#
        );
        assert_eq!(
            parse(&usage_limit_reached(None, None, Some(90))),
            json!({"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","resets_in_seconds":90}})
        );
    }

    #[test]
    fn encrypted_content_message_abbreviates() {
        let body = parse(&invalid_encrypted_content("ENC.abcdefghijkl"));
        assert_eq!(
            body["error"]["message"],
            "The encrypted content ENC....ijkl could not be verified."
        );
        assert_eq!(body["error"]["code"], "invalid_encrypted_content");
        assert_eq!(body["error"]["type"], "invalid_request_error");
    }

    #[test]
    fn model_not_supported_uses_top_level_detail() {
        assert_eq!(
            parse(&model_not_supported("gpt-6")),
            json!({"detail":"The 'gpt-6' model is not supported when using Codex with a ChatGPT account."})
        );
    }
}
