//! Describing a JSON parse failure without quoting the file.
//!
//! serde's messages quote the offending value (`invalid type: string "eyJhbGciOi…", expected
//! u32`), and in `accounts.json` that value may be a token. The reason kept for the user is
//! rebuilt from the error's category, position and the schema side of the message only.

use serde_json::error::Category;

/// A one-line reason for `err`, safe to log and show: it names the position and what was
/// expected, never the content found there.
pub(crate) fn describe(err: &serde_json::Error) -> String {
    let at = format!("line {} column {}", err.line(), err.column());
    let message = strip_position(&err.to_string());
    match err.classify() {
        Category::Eof => format!("the file ends early, at {at} (truncated JSON)"),
        Category::Syntax => format!("not valid JSON at {at}: {message}"),
        Category::Data => format!("unexpected content at {at}: {}", sanitize_data_message(&message)),
        Category::Io => format!("read error: {message}"),
    }
}

/// serde_json appends " at line L column C"; the position is reported separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(idx) => message[..idx].to_owned(),
        None => message.to_owned(),
    }
}

/// Keep the schema side of serde's data errors, drop any value taken from the file.
fn sanitize_data_message(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix) {
            return match rest.rfind(", expected ") {
                Some(idx) => format!("{prefix}{}{}", kind_of(&rest[..idx]), &rest[idx..]),
                None => format!("{prefix}{}", kind_of(rest)),
            };
        }
    }
    if message.starts_with("unknown variant `") {
        return match message.rfind("`, expected ") {
            Some(idx) => format!("unknown value, {}", &message[idx + 3..]),
            None => "unknown value".to_owned(),
        };
    }
    if ["missing field `", "duplicate field `", "invalid length "]
        .iter()
        .any(|p| message.starts_with(p))
    {
        return message.to_owned();
    }
    if message.starts_with("not an RFC 3339 timestamp") {
        return "expected an RFC 3339 timestamp".to_owned();
    }
    "invalid value".to_owned()
}

/// `string "abc"` → `a string`; `integer `5`` → `an integer`: the kind without the value.
fn kind_of(unexpected: &str) -> &'static str {
    let word = unexpected.split(['`', '"', ' ']).next().unwrap_or("");
    match word {
        "string" => "a string",
        "integer" => "an integer",
        "floating" => "a number",
        "boolean" => "a boolean",
        "character" => "a character",
        "unit" | "null" => "null",
        "sequence" => "an array",
        "map" => "an object",
        _ => "a value",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Probe {
        n: u32,
        kind: Kind,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Ok,
    }

    fn reason(json: &str) -> String {
        describe(&serde_json::from_str::<Probe>(json).unwrap_err())
    }

    #[test]
    fn values_from_the_file_never_appear() {
        let secret = "eyJsecret-token-value";
        for json in [
            format!(r#"{{"n":"{secret}","kind":"ok"}}"#),
            format!(r#"{{"n":1,"kind":"{secret}"}}"#),
            format!(r#"{{"n":1,"kind":"ok","{secret}""#),
            format!(r#"{{"n":1,"kind":"ok"}} {secret}"#),
            format!(r#"{{"n":-{secret}}}"#),
        ] {
            let r = reason(&json);
            assert!(!r.contains("secret"), "{r}");
        }
    }

    #[test]
    fn reasons_say_where_and_what_was_expected() {
        assert_eq!(
            reason(r#"{"n":"x","kind":"ok"}"#),
            "unexpected content at line 1 column 8: invalid type: a string, expected u32"
        );
        assert_eq!(
            reason(r#"{"n":1}"#),
            "unexpected content at line 1 column 7: missing field `kind`"
        );
        assert_eq!(
            reason(r#"{"n":1,"kind":"nope"}"#),
            "unexpected content at line 1 column 20: unknown value, expected `ok`"
        );
        assert!(reason(r#"{"n":1,"#).starts_with("the file ends early"));
        assert!(reason("garbage").starts_with("not valid JSON at line 1 column 1"));
    }
}
