//! Reading an import file as a JSON object without ever quoting it.
//!
//! serde's messages quote what they found (`invalid type: string "eyJhbGci…"`), and in these
//! files that is a token. So the file is parsed into an untyped [`Value`] (whose only failures
//! are syntax, reported by position), and every field is then read by hand with a message that
//! names the field and the expected type, never the value.

use serde_json::error::Category;
use serde_json::{Map, Value};

use crate::error::ImportProblem;

/// The top-level object of a file. A UTF-8 byte-order mark (Windows editors write one) is
/// skipped; anything else that is not a JSON object is reported by kind and position.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, ImportProblem> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(ImportProblem::NotUtf8 {
            offset: e.valid_up_to(),
        });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ImportProblem::Empty);
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(ImportProblem::NotAnObject { found: kind(&other) }),
        Err(e) => {
            let (line, column) = (e.line(), e.column());
            Err(match e.classify() {
                Category::Eof => ImportProblem::Truncated { line, column },
                _ => ImportProblem::Syntax { line, column },
            })
        }
    }
}

/// A non-blank string field. Absent, `null` and blank are `None`; another type is an error.
pub(crate) fn opt_str<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    field: impl FnOnce() -> String,
) -> Result<Option<&'a str>, ImportProblem> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim()).filter(|s| !s.is_empty())),
        Some(_) => Err(ImportProblem::field(field(), "must be a string")),
    }
}

/// A non-blank string field that must be there.
pub(crate) fn req_str<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    field: impl Fn() -> String,
) -> Result<&'a str, ImportProblem> {
    opt_str(map, key, &field)?.ok_or_else(|| ImportProblem::field(field(), "is missing or empty"))
}

/// A string field read leniently: a value of the wrong type counts as absent. For metadata
/// (labels, emails, ids) that must not make a whole import fail.
pub(crate) fn lenient_str<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    map.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A whole number read leniently (a JSON number, or a float with its fraction dropped).
pub(crate) fn lenient_i64(map: &Map<String, Value>, key: &str) -> Option<i64> {
    let n = map.get(key)?.as_number()?;
    n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))
}

/// The kind of a value, for messages: never the value itself.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
