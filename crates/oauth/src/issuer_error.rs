//! Reading the issuer's error bodies, which come in several shapes (backend-shapes §3):
//! `{"error":{"code","message"}}`, the RFC 6749 `{"error":"invalid_grant",
//! "error_description"}`, a top-level `{"code","message"}`, or an HTML page from a CDN.

use serde_json::Value;

/// The code and the human message an error body carries, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct IssuerError {
    pub(crate) code: Option<String>,
    pub(crate) message: Option<String>,
}

/// Longest issuer message kept; an HTML error page is not a message.
const MAX_MESSAGE_CHARS: usize = 300;

/// Extracts the code in codex-rs's order (`error.code` when `error` is an object, else
/// `error` when it is a string, else top-level `code`) and the message (`error.message`, then
/// `error_description`, then `message`). A body that is not JSON has no code; its text, cut
/// short, becomes the message so a CDN page is still recognisable in the log.
pub(crate) fn parse(body: &[u8]) -> IssuerError {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        let text = one_line(&String::from_utf8_lossy(body));
        return IssuerError {
            code: None,
            message: (!text.is_empty()).then_some(text),
        };
    };
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(one_line).filter(|s| !s.is_empty());
    let error = map.get("error");
    let error_object = error.and_then(Value::as_object);
    let code = match error_object {
        Some(obj) => text(obj.get("code")),
        None => text(error).or_else(|| text(map.get("code"))),
    };
    let message = text(error_object.and_then(|obj| obj.get("message")))
        .or_else(|| text(map.get("error_description")))
        .or_else(|| text(map.get("message")));
    IssuerError { code, message }
}

/// Removes every occurrence of the presented secrets from an issuer message. The issuer has
/// no reason to echo a token, but an error message is the last place one must appear.
pub(crate) fn scrub(mut message: String, secrets: &[&str]) -> String {
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        message = message.replace(secret, "<redacted>");
    }
    message
}

/// Whitespace collapsed to single spaces, cut at [`MAX_MESSAGE_CHARS`] characters.
fn one_line(text: &str) -> String {
    let mut out = String::new();
    for (n_words, word) in text.split_whitespace().enumerate() {
        if n_words > 0 {
            out.push(' ');
        }
        out.push_str(word);
        if out.chars().count() > MAX_MESSAGE_CHARS {
            let cut: String = out.chars().take(MAX_MESSAGE_CHARS).collect();
            return cut + "...";
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(body: &str) -> (Option<String>, Option<String>) {
        let e = parse(body.as_bytes());
        (e.code, e.message)
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    #[test]
    fn code_and_message_extraction_order() {
        let cases = [
            (
                r#"{"error":{"code":"refresh_token_expired","message":"too old"}}"#,
                some("refresh_token_expired"),
                some("too old"),
            ),
            (
                r#"{"error":"invalid_grant","error_description":"bad grant"}"#,
                some("invalid_grant"),
                some("bad grant"),
            ),
            (
                r#"{"code":"refresh_token_reused","message":"used"}"#,
                some("refresh_token_reused"),
                some("used"),
            ),
            // An object `error` wins even without a code: top-level `code` is not consulted.
            (r#"{"error":{"message":"m"},"code":"top"}"#, None, some("m")),
            (r#"{"error":"e","code":"top"}"#, some("e"), None),
            (
                r#"{"error":{"code":""},"error_description":"d"}"#,
                None,
                some("d"),
            ),
            (r#"{}"#, None, None),
            ("", None, None),
            (
                "<html>\n  <b>Just a moment...</b>\n</html>",
                None,
                some("<html> <b>Just a moment...</b> </html>"),
            ),
        ];
        for (body, code, message) in cases {
            assert_eq!(parsed(body), (code, message), "{body}");
        }
    }

    #[test]
    fn long_messages_are_cut() {
        let body = "x".repeat(5000);
        let message = parse(body.as_bytes()).message.unwrap();
        assert_eq!(message.chars().count(), MAX_MESSAGE_CHARS + 3);
    }

    #[test]
    fn scrub_removes_presented_secrets() {
        let msg = scrub("token rt-secret-123 was used".into(), &["rt-secret-123", ""]);
        assert_eq!(msg, "token <redacted> was used");
    }
}
