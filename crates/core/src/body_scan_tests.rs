//! The fast scan answers what the strict peek answers, and really is the path taken.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::fast_peek;
use crate::body::{BodyPeek, strict_peek};

fn both(v: &Value) -> (Option<BodyPeek>, BodyPeek) {
    let bytes = serde_json::to_vec(v).expect("json");
    (fast_peek(&bytes), strict_peek(&bytes))
}

#[test]
fn a_codex_shaped_body_is_read_by_the_fast_path() {
    let body = json!({
        "model": "gpt-5-codex",
        "instructions": "You are Codex. {not a brace} [nor a bracket] \"quoted\" \\ backslash",
        "input": [
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "x"}]},
            {"type": "reasoning", "summary": [], "encrypted_content": "gAAAA..."},
            {"type": "compaction", "encrypted_content": null},
            "a bare string", 3, [1, [2]], null
        ],
        "tools": [{"type": "function", "name": "shell", "parameters": {"type": "object", "properties": {}}}],
        "metadata": {"other": {"deep": [true, false, null, -1.5e3]}, "session_id": "meta"},
        "previous_response_id": null,
        "prompt_cache_key": "thread-1",
        "stream": true
    });
    let (fast, strict) = both(&body);
    let fast = fast.expect("the fast path decides a Codex body");
    assert_eq!(fast, strict);
    assert_eq!(fast.prompt_cache_key.as_deref(), Some("thread-1"));
    assert_eq!(fast.metadata_session_id.as_deref(), Some("meta"));
    assert!(fast.has_compaction && fast.has_encrypted);
}

#[test]
fn whitespace_and_pretty_printing_do_not_matter() {
    let body = json!({"input": [{"type": "compaction"}], "prompt_cache_key": "k"});
    let pretty = serde_json::to_vec_pretty(&body).expect("json");
    assert_eq!(fast_peek(&pretty), Some(strict_peek(&pretty)));
    assert!(strict_peek(&pretty).has_compaction);
}

#[test]
fn what_it_does_not_decode_itself_goes_to_the_strict_peek() {
    for body in [
        &br#"{"prompt_cache_key":"a\"b"}"#[..],
        br#"{"prompt_cache_key":"a","prompt_cache_key":"b"}"#,
        br#"{"prompt_\u0063ache_key":"a"}"#,
        br#"{"input":[{"type":"compaction","type":"message"}]}"#,
        br#"{"input":true}"#,
        br#"{"metadata":["positional"]}"#,
        br#"{"prompt_cache_key":1}"#,
        br#"{"prompt_cache_key":"a"} trailing"#,
        br#"["not","an","object"]"#,
        br#"{"prompt_cache_key":"unterminated"#,
        b"",
    ] {
        assert_eq!(fast_peek(body), None, "{}", String::from_utf8_lossy(body));
    }
    // …and the public peek still answers like serde.
    assert_eq!(
        crate::body::peek(br#"{"prompt_cache_key":"a\"b"}"#)
            .prompt_cache_key
            .as_deref(),
        Some("a\"b")
    );
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        "[ -~]{0,12}".prop_map(Value::String),
        prop::sample::select(vec!["compaction", "message", "reasoning", "{", "}]", "\\\"", "é"])
            .prop_map(|s| Value::String(s.to_owned())),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        let keys = prop::sample::select(vec![
            "type",
            "encrypted_content",
            "session_id",
            "prompt_cache_key",
            "content",
            "x",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((keys, inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

fn body() -> impl Strategy<Value = Value> {
    let top = prop::sample::select(vec![
        "prompt_cache_key",
        "previous_response_id",
        "metadata",
        "input",
        "tools",
        "instructions",
    ]);
    prop::collection::vec((top, value()), 0..7)
        .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_fast_scan_agrees_with_serde_on_valid_json(v in body(), pretty in any::<bool>()) {
        let bytes = if pretty { serde_json::to_vec_pretty(&v) } else { serde_json::to_vec(&v) }
            .expect("json");
        let strict = strict_peek(&bytes);
        match fast_peek(&bytes) {
            Some(fast) => prop_assert_eq!(fast, strict),
            // Only escapes make it give up on serde's own output (no duplicates, no trailing bytes).
            None => prop_assert!(bytes.contains(&b'\\') || !matches!(v.get("input"), None | Some(Value::Array(_) | Value::String(_) | Value::Null))
                || !matches!(v.get("metadata"), None | Some(Value::Object(_) | Value::Null))
                || ["prompt_cache_key", "previous_response_id"].iter().any(|k| !matches!(v.get(*k), None | Some(Value::String(_) | Value::Null)))
                || v.get("input").and_then(Value::as_array).is_some_and(|items| items.iter().any(|i| !matches!(i.get("type"), None | Some(Value::String(_) | Value::Null))))
                || v.get("metadata").and_then(|m| m.get("session_id")).is_some_and(|s| !matches!(s, Value::String(_) | Value::Null)),
                "gave up on {}", String::from_utf8_lossy(&bytes)),
        }
    }

    #[test]
    fn the_fast_scan_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = fast_peek(&bytes);
    }
}
