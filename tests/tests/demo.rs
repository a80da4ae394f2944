//! `codexctl demo` runs offline, tells what happened, finishes in under 30 s, exits 0,
//! and leaves nothing behind: no temporary directory, and nothing in the (test's) real router
//! home or Codex home.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::time::{Duration, Instant};

use codex_router_e2e::{Home, run_bounded};
use serde_json::Value;

fn demo_home() -> (Home, std::path::PathBuf) {
    // The home's upstream and issuer are a dead port: the demo must not need them.
    let mut home = Home::new();
    let tmp = home.root().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    home.set_env("TMPDIR", tmp.to_str().unwrap());
    (home, tmp)
}

/// Helper temp dirs are cleaned on exit; and the user's own homes are never used.
fn assert_left_nothing(home: &Home, tmp: &std::path::Path) {
    let left: Vec<_> = std::fs::read_dir(tmp)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(left.is_empty(), "temporary files left behind: {left:?}");
    assert!(!home.paths.home.exists(), "the user's router home was touched");
    assert!(
        !home.root().join("codex").exists(),
        "the user's Codex home was touched"
    );
}

#[test]
fn the_demo_rotates_survives_a_usage_limit_and_a_refresh_then_cleans_up() {
    let (home, tmp) = demo_home();
    let demo = home.ctl(&["demo"]);
    let started = Instant::now();
    let out = run_bounded(demo);
    let took = started.elapsed();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{text}\n--- stderr ---\n{err}");
    assert!(took < Duration::from_secs(30), "took {took:?}");
    let lower = text.to_lowercase();
    for needle in ["rotation:", "usage limit", "moved", "refresh", "cleaned up"] {
        assert!(lower.contains(needle), "the story mentions {needle:?}:\n{text}");
    }
    assert!(text.contains("refresh tokens presented twice: 0"), "{text}");
    assert!(!text.contains("unexpected"), "every act happened:\n{text}");
    // Not a terminal: plain lines and tables, no redraw codes.
    assert!(!text.contains('\x1b') && !text.contains('\r'), "{text:?}");
    assert!(
        text.contains("ACCOUNT") && text.contains("rate_limited (usage_limit)"),
        "{text}"
    );
    // Emails and tokens never reach the screen.
    assert!(!text.contains("@example.test") && !text.contains("eyJ"), "{text}");
    assert_left_nothing(&home, &tmp);
}

#[test]
fn the_demo_in_json_is_one_document() {
    let (home, tmp) = demo_home();
    let out = run_bounded(home.ctl(&["demo", "--json"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["ok"], true);
    assert!(
        doc["status"]["counters"]["rotations"].as_u64().unwrap() >= 1,
        "{doc:#}"
    );
    assert!(
        doc["status"]["counters"]["refreshes"].as_u64().unwrap() >= 1,
        "{doc:#}"
    );
    let requests: Vec<u64> = doc["status"]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["requests"].as_u64().unwrap())
        .collect();
    assert!(
        requests.iter().all(|n| *n > 0),
        "traffic spread over every account: {requests:?}"
    );
    assert_left_nothing(&home, &tmp);
}
