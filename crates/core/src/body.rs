//! Reading and rewriting Responses request bodies (SPEC §4.1 session keys, §4.3 moves).
//!
//! The hot path only *peeks*: a streaming deserializer pulls the few keys selection needs and
//! skips the rest (a real Codex body is ~55 KB of tools and history), so the body is forwarded
//! as the same bytes. Only a session moving to another account pays for a full parse and
//! re-serialisation, because only then must account-bound blobs be removed.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde_json::Value;

/// What selection needs to know about a request body.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BodyPeek {
    pub prompt_cache_key: Option<String>,
    pub previous_response_id: Option<String>,
    pub metadata_session_id: Option<String>,
    /// The history holds a `compaction` item (remote compaction, bound to its account).
    pub has_compaction: bool,
    /// The history replays `encrypted_content` somewhere.
    pub has_encrypted: bool,
}

#[derive(Deserialize)]
struct RawPeek {
    prompt_cache_key: Option<String>,
    previous_response_id: Option<String>,
    metadata: Option<MetaPeek>,
    input: Option<InputPeek>,
}

#[derive(Deserialize)]
struct MetaPeek {
    session_id: Option<String>,
}

#[derive(Default)]
struct InputPeek {
    has_compaction: bool,
    has_encrypted: bool,
}

#[derive(Deserialize)]
struct ItemPeek {
    #[serde(rename = "type")]
    kind: Option<String>,
    encrypted_content: Option<IgnoredAny>,
}

impl<'de> Deserialize<'de> for InputPeek {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = InputPeek;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a list of input items")
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<InputPeek, E> {
                Ok(InputPeek::default())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<InputPeek, A::Error> {
                let mut out = InputPeek::default();
                while let Some(item) = seq.next_element::<ItemOrOther>()? {
                    if let ItemOrOther::Item(item) = item {
                        out.has_compaction |= item.kind.as_deref() == Some("compaction");
                        out.has_encrypted |= item.encrypted_content.is_some();
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_any(V)
    }
}

/// An input element that is an object is peeked; anything else is skipped.
enum ItemOrOther {
    Item(ItemPeek),
    Other,
}

impl<'de> Deserialize<'de> for ItemOrOther {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ItemOrOther;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an input item")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<ItemOrOther, A::Error> {
                ItemPeek::deserialize(de::value::MapAccessDeserializer::new(map)).map(ItemOrOther::Item)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<ItemOrOther, E> {
                Ok(ItemOrOther::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ItemOrOther, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(ItemOrOther::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<ItemOrOther, E> {
                Ok(ItemOrOther::Other)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<ItemOrOther, E> {
                Ok(ItemOrOther::Other)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<ItemOrOther, E> {
                Ok(ItemOrOther::Other)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<ItemOrOther, E> {
                Ok(ItemOrOther::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<ItemOrOther, E> {
                Ok(ItemOrOther::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// Peeks at a body. A body that is not a JSON object yields the default (no keys): it is
/// forwarded unchanged and the upstream decides what to say about it.
pub fn peek(body: &[u8]) -> BodyPeek {
    crate::body_scan::fast_peek(body).unwrap_or_else(|| strict_peek(body))
}

/// The reference peek: serde decides everything. The fast scan must agree with it on every
/// valid JSON body (property-tested in `body_scan_tests.rs`).
pub(crate) fn strict_peek(body: &[u8]) -> BodyPeek {
    match serde_json::from_slice::<RawPeek>(body) {
        Ok(raw) => {
            let input = raw.input.unwrap_or_default();
            BodyPeek {
                prompt_cache_key: raw.prompt_cache_key,
                previous_response_id: raw.previous_response_id,
                metadata_session_id: raw.metadata.and_then(|m| m.session_id),
                has_compaction: input.has_compaction,
                has_encrypted: input.has_encrypted,
            }
        }
        Err(_) => BodyPeek::default(),
    }
}

/// What [`clean`] removed, for the log line and the response header.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Cleaned {
    pub blobs_removed: usize,
    pub items_dropped: usize,
    pub compaction_dropped: bool,
}

fn is_empty_list(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::String(s)) => s.is_empty(),
        Some(_) => false,
    }
}

/// Rewrites a body for an account that did not produce its history: removes
/// `encrypted_content` from reasoning items, drops reasoning items left empty, and (when
/// `drop_compaction`) drops `compaction` items. Returns `None` when the body is not JSON or
/// nothing had to change, so the caller forwards the original bytes.
pub fn clean(body: &[u8], drop_compaction: bool) -> Option<(Vec<u8>, Cleaned)> {
    let mut doc: Value = serde_json::from_slice(body).ok()?;
    let items = doc.get_mut("input")?.as_array_mut()?;
    let mut report = Cleaned::default();
    items.retain_mut(|item| {
        let Some(obj) = item.as_object_mut() else {
            return true;
        };
        match obj.get("type").and_then(Value::as_str) {
            Some("reasoning") => {
                if obj.remove("encrypted_content").is_some() {
                    report.blobs_removed += 1;
                }
                let empty = is_empty_list(obj.get("summary")) && is_empty_list(obj.get("content"));
                if empty {
                    report.items_dropped += 1;
                }
                !empty
            }
            Some("compaction") if drop_compaction => {
                report.compaction_dropped = true;
                report.items_dropped += 1;
                false
            }
            _ => true,
        }
    });
    if report == Cleaned::default() {
        return None;
    }
    serde_json::to_vec(&doc).ok().map(|b| (b, report))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn peek_reads_keys_and_history_flags() {
        let body = json!({"model":"m","prompt_cache_key":"thread-1","metadata":{"session_id":"s"},
            "input":["text", {"type":"message","content":[{"type":"input_text","text":"hi"}]},
                     {"type":"reasoning","summary":[],"encrypted_content":"ENC"},
                     {"type":"compaction","encrypted_content":"C"}]});
        let p = peek(&serde_json::to_vec(&body).unwrap());
        assert_eq!(p.prompt_cache_key.as_deref(), Some("thread-1"));
        assert_eq!(p.metadata_session_id.as_deref(), Some("s"));
        assert!(p.has_compaction && p.has_encrypted);
    }

    #[test]
    fn peek_tolerates_garbage_and_string_input() {
        assert_eq!(peek(b"{not json"), BodyPeek::default());
        assert_eq!(peek(b"[1,2]"), BodyPeek::default());
        let p = peek(br#"{"input":"just text","previous_response_id":"resp_1"}"#);
        assert_eq!(p.previous_response_id.as_deref(), Some("resp_1"));
        assert!(!p.has_encrypted);
    }

    #[test]
    fn clean_strips_blobs_and_drops_empty_reasoning() {
        let body = json!({"input":[
            {"type":"reasoning","id":"rs_1","summary":[],"content":null,"encrypted_content":"A"},
            {"type":"reasoning","id":"rs_2","summary":[{"type":"summary_text","text":"t"}],"encrypted_content":"B"},
            {"type":"message","role":"user","content":"again"},
            {"type":"compaction","encrypted_content":"C"}]});
        let (out, report) = clean(&serde_json::to_vec(&body).unwrap(), false).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        let items = v["input"].as_array().unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0]["id"], "rs_2");
        assert!(items[0].get("encrypted_content").is_none());
        assert_eq!(
            report,
            Cleaned {
                blobs_removed: 2,
                items_dropped: 1,
                compaction_dropped: false
            }
        );
        let (out, report) = clean(&serde_json::to_vec(&body).unwrap(), true).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["input"].as_array().unwrap().len(), 2);
        assert!(report.compaction_dropped);
    }

    #[test]
    fn clean_keeps_key_order_and_returns_none_when_nothing_changes() {
        let body = br#"{"z":1,"a":2,"input":[{"type":"reasoning","summary":[1],"encrypted_content":"x"}]}"#;
        let (out, _) = clean(body, false).unwrap();
        assert!(String::from_utf8(out).unwrap().starts_with(r#"{"z":1,"a":2"#));
        assert!(clean(br#"{"input":[{"type":"message"}]}"#, true).is_none());
        assert!(clean(b"nope", true).is_none());
    }
}
