//! Properties of the request-body and answer parsers over arbitrary input (bad input):
//! nothing panics, and rewriting only ever removes what it should.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use codex_router_core::Timestamp;
use codex_router_core::body::{clean, peek};
use codex_router_core::outcome::{classify_event, classify_http};
use http::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;
use serde_json::{Value, json};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[a-z_]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::hash_map("[a-z_]{1,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn input_item() -> impl Strategy<Value = Value> {
    prop_oneof![
        json_value(),
        (any::<bool>(), "[a-z]{0,6}").prop_map(|(summary, blob)| {
            let summary = if summary {
                json!([{"type":"summary_text","text":"t"}])
            } else {
                json!([])
            };
            json!({"type":"reasoning","summary":summary,"encrypted_content":blob})
        }),
        "[a-z]{1,6}".prop_map(|blob| json!({"type":"compaction","encrypted_content":blob})),
        "[a-z ]{0,20}".prop_map(|t| json!({"type":"message","role":"user","content":t})),
    ]
}

proptest! {
    #[test]
    fn peek_and_clean_never_panic_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = peek(&bytes);
        let _ = clean(&bytes, true);
    }

    #[test]
    fn clean_removes_every_blob_and_keeps_everything_else(
        items in prop::collection::vec(input_item(), 0..12),
        key in "[a-z]{1,8}",
        drop_compaction in any::<bool>(),
    ) {
        let body = serde_json::to_vec(&json!({"prompt_cache_key": key, "input": items})).unwrap();
        let p = peek(&body);
        prop_assert_eq!(p.prompt_cache_key.as_deref(), Some(key.as_str()));
        let Some((out, report)) = clean(&body, drop_compaction) else {
            // Nothing to change: no reasoning item, and no compaction item to drop.
            prop_assert!(!items.iter().any(|i| i["type"] == "reasoning"));
            prop_assert!(!(drop_compaction && items.iter().any(|i| i["type"] == "compaction")));
            return Ok(());
        };
        let v: Value = serde_json::from_slice(&out).unwrap();
        let kept = v["input"].as_array().unwrap();
        for item in kept {
            if item["type"] == "reasoning" {
                prop_assert!(item.get("encrypted_content").is_none());
            }
            if drop_compaction {
                prop_assert!(item["type"] != "compaction");
            }
        }
        // Everything that is not reasoning or a dropped compaction item survives, in order.
        let expect: Vec<&Value> = items
            .iter()
            .filter(|i| i["type"] != "reasoning" && !(drop_compaction && i["type"] == "compaction"))
            .collect();
        let got: Vec<&Value> = kept.iter().filter(|i| i["type"] != "reasoning").collect();
        prop_assert_eq!(got, expect);
        prop_assert_eq!(v["prompt_cache_key"].as_str(), Some(key.as_str()));
        prop_assert!(report.items_dropped <= items.len());
    }

    #[test]
    fn classification_never_panics(
        status in 100u16..600,
        body in prop::collection::vec(any::<u8>(), 0..256),
        value in json_value(),
        header_values in prop::collection::vec("[ -~]{0,16}", 0..4),
    ) {
        let now = Timestamp::from_unix_secs(1_800_000_000);
        let mut headers = HeaderMap::new();
        let names = ["retry-after", "retry-after-ms", "x-codex-primary-used-percent", "x-codex-primary-reset-at"];
        for (name, v) in names.iter().zip(&header_values) {
            if let Ok(v) = HeaderValue::from_str(v) {
                headers.insert(HeaderName::from_static(name), v);
            }
        }
        let _ = classify_http(status, &headers, &body, now);
        let _ = classify_http(status, &headers, &serde_json::to_vec(&value).unwrap(), now);
        let _ = classify_event(&value, now);
        let _ = classify_event(&json!({"type":"response.failed","response":{"error": value}}), now);
    }
}
