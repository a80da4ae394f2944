//! Golden tests over `tests/fixtures/`: bind gives the expected text, binding twice the same
//! bytes, and unbind after bind the original bytes exactly.
//!
//! For every `<name>.toml` input, `bind` must give exactly `<name>.bound.toml` (and, with
//! remote compaction, `<name>.remote.bound.toml` where that file exists); binding twice gives
//! the same bytes; `bind_app` then `unbind_app` gives back the original bytes exactly. A
//! missing input (`missing`) is a missing `config.toml`.
//!
//! Run with `UPDATE_GOLDEN=1` to rewrite the expected files after an intended change, then
//! review the diff.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use std::fs;

use codex_router_codex_config::{
    BindSpec, bind, bind_app, inspect, strip_binding, unbind_app, unbind_surgical,
};
use common::*;

fn check_golden(expected_name: &str, actual: &str) {
    let path = fixtures_dir().join(expected_name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::write(&path, actual).unwrap();
        return;
    }
    let expected = fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{expected_name} missing: run with UPDATE_GOLDEN=1 and review it"));
    assert_eq!(actual, expected, "{expected_name} differs");
}

fn input(name: &str) -> Option<String> {
    read_fixture(&format!("{name}.toml")).map(|b| String::from_utf8(b).unwrap())
}

fn all_inputs() -> Vec<(String, Option<String>)> {
    let mut all: Vec<_> = fixture_names()
        .into_iter()
        .map(|n| (n.clone(), input(&n)))
        .collect();
    all.push(("missing".to_owned(), None));
    all
}

// Covers a leading [[profiles.x]] / [table] (`model_provider` still lands at the top level), an
// earlier provider with sub-tables (replaced whole), and CRLF, no trailing newline and an
// original without model_provider.
#[test]
fn bind_gives_the_expected_text() {
    for (name, text) in all_inputs() {
        let bound = bind(text.as_deref().unwrap_or(""), &spec()).unwrap();
        check_golden(&format!("{name}.bound.toml"), &bound);
        let binding = inspect(&bound).unwrap();
        assert!(binding.bound, "{name}");
        assert_eq!(binding.port, Some(PORT), "{name}");
    }
}

#[test]
fn remote_compaction_adds_the_capabilities_table() {
    let remote = BindSpec {
        remote_compaction: true,
        ..spec()
    };
    for name in ["leading_table", "earlier_provider"] {
        let bound = bind(&input(name).unwrap(), &remote).unwrap();
        check_golden(&format!("{name}.remote.bound.toml"), &bound);
        assert!(inspect(&bound).unwrap().remote_compaction);
    }
}

// Re-binding is idempotent.
#[test]
fn binding_twice_gives_the_same_bytes() {
    for (name, text) in all_inputs() {
        let once = bind(text.as_deref().unwrap_or(""), &spec()).unwrap();
        let twice = bind(&once, &spec()).unwrap();
        assert_eq!(once, twice, "{name}");
    }
}

// The surgical removal alone gives the original back too, except the final line break a
// file without one gains.
#[test]
fn surgical_unbind_of_a_fresh_bind_gives_the_original() {
    for (name, text) in all_inputs() {
        let text = text.unwrap_or_default();
        let original_provider = inspect(&text).unwrap().model_provider;
        if original_provider
            .as_deref()
            .is_some_and(|p| p.starts_with("codex-"))
        {
            continue; // already bound: its original is the file minus the binding
        }
        let bound = bind(&text, &spec()).unwrap();
        let unbound = unbind_surgical(&bound, original_provider.as_deref()).unwrap();
        let expected = if name == "no_trailing_newline" {
            format!("{text}\n")
        } else {
            text
        };
        assert_eq!(unbound, expected, "{name}");
    }
}

#[test]
fn bind_app_then_unbind_app_restores_the_exact_bytes() {
    for (name, text) in all_inputs() {
        let homes = homes();
        if let Some(text) = &text {
            write_config(&homes, text.as_bytes(), 0o644);
        }
        bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
        let bound = fs::read_to_string(&homes.config).unwrap();
        let expected = fs::read_to_string(fixtures_dir().join(format!("{name}.bound.toml"))).unwrap();
        assert_eq!(bound, expected, "{name}");
        unbind_app(&homes.config, &homes.bind_dir).unwrap();
        match &text {
            // A file bound before (no bind state here) gets back its version minus the
            // binding, which is what bind saved as the original (never the bound file).
            Some(text) => {
                let original = strip_binding(text).unwrap().text;
                assert_eq!(fs::read(&homes.config).unwrap(), original.as_bytes(), "{name}");
            }
            None => assert!(!homes.config.exists(), "{name}: created file not removed"),
        }
    }
}
