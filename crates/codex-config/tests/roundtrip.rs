//! Property tests of both bindings, provider and native: for generated TOML
//! documents (root keys, tables, arrays of tables, comments and blank lines anywhere, maybe a
//! user `openai_base_url`, LF or CRLF), binding gives a document that parses with the
//! binding's key at the top level (`model_provider = "codex-router"`, or natively
//! `openai_base_url` = the router URL), binding again changes nothing, and unbinding gives
//! back the original bytes, also after a provider → native switch.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use std::fs;

use codex_router_codex_config::{
    Originals, bind, bind_app, inspect, unbind_app, unbind_surgical, unbind_surgical_to,
};
use common::*;
use proptest::prelude::*;
use toml_edit::DocumentMut;

fn comment() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 =\\[\\]\"'#.]{0,16}".prop_map(|c| format!("#{c}"))
}

/// Blank lines and comment lines, as found between anything in a hand-edited file.
fn gap() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(prop_oneof![Just(String::new()), comment()], 0..3)
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i32>().prop_map(|i| i.to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        "[a-zA-Z0-9 #_.-]{0,10}".prop_map(|s| format!("\"{s}\"")),
        "[a-z ]{0,6}".prop_map(|s| format!("'{s}'")),
        prop::collection::vec(any::<u8>(), 0..3).prop_map(|v| format!("{v:?}")),
        (any::<u8>(), "[a-z]{1,4}").prop_map(|(n, s)| format!("{{ n = {n}, s = \"{s}\" }}")),
        Just("[\n  1, # one\n  2,\n]".to_owned()),
    ]
}

/// `count` key-value lines with distinct keys, each maybe with comments above and after it.
fn key_values(max: usize) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        (gap(), "[a-z]{1,5}", value(), prop::option::of(comment())),
        0..max,
    )
    .prop_map(|kvs| {
        kvs.into_iter()
            .enumerate()
            .flat_map(|(idx, (gap, key, value, trailing))| {
                let spacing = if idx % 2 == 0 { " = " } else { "=" };
                let line = match trailing {
                    Some(c) => format!("{key}_{idx}{spacing}{value}  {c}"),
                    None => format!("{key}_{idx}{spacing}{value}"),
                };
                gap.into_iter().chain([line])
            })
            .collect()
    })
}

const TABLES: [&str; 8] = [
    "[model_providers]",
    "[tui]",
    "[sandbox_workspace_write]",
    "[model_providers.ollama]",
    "[profiles.dev]",
    "[projects.\"/home/me/x\"]",
    "[mcp_servers.docs.env]",
    "[shell_environment_policy]",
];
const ARRAYS: [&str; 2] = ["[[profiles.x]]", "[[hooks]]"];

/// A header: a table (each at most once) or an array-of-tables entry (repeatable).
fn sections() -> impl Strategy<Value = Vec<(String, Vec<String>, Vec<String>)>> {
    let headers = (
        prop::sample::subsequence(TABLES.to_vec(), 0..=TABLES.len()).prop_shuffle(),
        prop::collection::vec(prop::sample::select(ARRAYS.to_vec()), 0..4),
    )
        .prop_map(|(tables, arrays)| {
            let mut all: Vec<String> = tables.into_iter().map(str::to_owned).collect();
            all.extend(arrays.into_iter().map(str::to_owned));
            all
        })
        .prop_shuffle();
    headers.prop_flat_map(|headers| {
        let n = headers.len();
        (
            Just(headers),
            prop::collection::vec((gap(), key_values(4)), n..=n),
        )
            .prop_map(|(headers, bodies)| {
                headers
                    .into_iter()
                    .zip(bodies)
                    .map(|(header, (gap, kvs))| (header, gap, kvs))
                    .collect()
            })
    })
}

/// A whole document, LF or CRLF, and whether it had a top-level `model_provider`.
fn document(final_newline: bool) -> impl Strategy<Value = String> {
    (
        gap(),
        key_values(4),
        prop::option::of((gap(), "[a-z]{1,8}")),
        prop::option::of(Just("tools.web_search = true".to_owned())),
        prop::option::of((gap(), Just("openai_base_url = \"https://gw.example/v1\" # gw"))),
        sections(),
        gap(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            move |(head, root, provider, dotted, own_url, sections, tail, crlf, newline)| {
                let mut lines = head;
                lines.extend(root);
                lines.extend(dotted);
                if let Some((gap, line)) = own_url {
                    lines.extend(gap);
                    lines.push(line.to_owned());
                }
                if let Some((gap, name)) = provider {
                    lines.extend(gap);
                    lines.push(format!("model_provider = \"{name}\" # the usual"));
                }
                for (header, gap, kvs) in sections {
                    lines.extend(gap);
                    lines.push(header);
                    lines.extend(kvs);
                }
                lines.extend(tail);
                let mut text = lines.join("\n");
                if !text.is_empty() && (final_newline || newline) {
                    text.push('\n');
                }
                if crlf { text.replace('\n', "\r\n") } else { text }
            },
        )
        .prop_filter("must be valid TOML", |text| text.parse::<DocumentMut>().is_ok())
}

fn top_level(text: &str, key: &str) -> Option<String> {
    let doc: DocumentMut = text.parse().unwrap();
    doc.get(key).and_then(|i| i.as_str()).map(str::to_owned)
}

fn top_level_provider(text: &str) -> Option<String> {
    top_level(text, "model_provider")
}

const ROUTER_URL: &str = "http://127.0.0.1:2456/backend-api/codex";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn bind_then_surgical_unbind_is_the_identity(text in document(true)) {
        let original_provider = inspect(&text).unwrap().model_provider;
        let bound = bind(&text, &spec()).unwrap();

        // Wherever the file starts, the key lands in the root table.
        prop_assert_eq!(top_level_provider(&bound), Some("codex-router".to_owned()));
        prop_assert!(inspect(&bound).unwrap().bound);
        // CRLF stays CRLF.
        prop_assert_eq!(bound.contains("\r\n"), text.contains("\r\n"));
        prop_assert_eq!(bind(&bound, &spec()).unwrap(), bound.clone(), "re-bind must be idempotent");

        let unbound = unbind_surgical(&bound, original_provider.as_deref()).unwrap();
        prop_assert_eq!(unbound, text);
    }
}

proptest! {
    // Files on disk: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn bind_app_then_unbind_app_restores_the_bytes(text in document(false)) {
        let homes = homes();
        write_config(&homes, text.as_bytes(), 0o644);
        bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
        let bound = fs::read_to_string(&homes.config).unwrap();
        prop_assert_eq!(top_level_provider(&bound), Some("codex-router".to_owned()));
        unbind_app(&homes.config, &homes.bind_dir).unwrap();
        prop_assert_eq!(fs::read(&homes.config).unwrap(), text.into_bytes());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn native_bind_then_surgical_unbind_is_the_identity(text in document(true)) {
        let found = inspect(&text).unwrap();
        let bound = bind(&text, &native_spec()).unwrap();

        // Wherever the file starts, the key lands in the root table, and nothing else changes.
        prop_assert_eq!(top_level(&bound, "openai_base_url"), Some(ROUTER_URL.to_owned()));
        prop_assert_eq!(top_level_provider(&bound), found.model_provider.clone());
        prop_assert!(!bound.contains("chatgpt_base_url") && !bound.contains(KEY));
        prop_assert_eq!(bound.contains("\r\n"), text.contains("\r\n"));
        prop_assert_eq!(bind(&bound, &native_spec()).unwrap(), bound.clone(), "re-bind must be idempotent");

        let originals = Originals { model_provider: found.model_provider, openai_base_url: found.openai_base_url };
        prop_assert_eq!(unbind_surgical_to(&bound, &originals).unwrap(), text);
    }
}

proptest! {
    // Files on disk: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn native_bind_app_then_unbind_app_restores_the_bytes(text in document(false)) {
        let homes = signed_in_homes();
        write_config(&homes, text.as_bytes(), 0o644);
        bind_app(&homes.config, &homes.bind_dir, &native_spec(), now()).unwrap();
        let bound = fs::read_to_string(&homes.config).unwrap();
        prop_assert_eq!(top_level(&bound, "openai_base_url"), Some(ROUTER_URL.to_owned()));
        unbind_app(&homes.config, &homes.bind_dir).unwrap();
        prop_assert_eq!(fs::read(&homes.config).unwrap(), text.into_bytes());
    }

    #[test]
    fn provider_then_native_then_unbind_app_restores_the_bytes(text in document(false)) {
        let homes = signed_in_homes();
        write_config(&homes, text.as_bytes(), 0o644);
        bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
        bind_app(&homes.config, &homes.bind_dir, &native_spec(), now()).unwrap();
        let native = fs::read_to_string(&homes.config).unwrap();
        // No trace of the provider binding (a file without a final line break gains one, the
        // documented exception of the surgical removal).
        prop_assert!(!native.contains(KEY) && !native.contains("codex-router"));
        let at_once = bind(&text, &native_spec()).unwrap();
        prop_assert_eq!(native.trim_end(), at_once.trim_end());
        unbind_app(&homes.config, &homes.bind_dir).unwrap();
        prop_assert_eq!(fs::read(&homes.config).unwrap(), text.into_bytes());
    }
}
