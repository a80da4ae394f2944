//! Compaction across an account move (SPEC §7, §4.3): local compaction by default
//! stays portable; remote compaction (opt-in) keeps its item on its account until that account
//! is unusable, then the router drops it so the conversation can go on.

use codex_router_test_support::{Behavior, StreamConfig};

use crate::codex::{exec, served_by, setup, skip};
use crate::show;

/// A tiny auto-compact limit plus a fake that reports huge usage forces compaction on resume.
const FORCE_COMPACTION: &str = "model_auto_compact_token_limit = 5000\n";

fn huge_usage(upstream: &codex_router_e2e::Upstream) {
    upstream.fake.set_stream(StreamConfig {
        input_tokens: Some(200_000),
        ..StreamConfig::default()
    });
}

fn kinds_of_last(upstream: &codex_router_e2e::Upstream, n: usize) -> Vec<(String, Vec<String>)> {
    let reqs = crate::codex::sent(upstream);
    reqs[reqs.len().saturating_sub(n)..]
        .iter()
        .map(|r| (r.account.clone(), r.input_types()))
        .collect()
}

#[test]
fn default_local_compaction_survives_an_account_move() {
    if skip() {
        return;
    }
    let (upstream, home) = setup(&["acct-a", "acct-b"], &[], FORCE_COMPACTION);
    huge_usage(&upstream);
    let out = exec(&home, &["say pong"]);
    assert!(out.status.success(), "{}", show(&out));
    let first = served_by(&upstream)[0].clone();
    upstream
        .fake
        .script_always(&first, Behavior::usage_limit_in(3600));
    let out = exec(&home, &["resume", "--last", "again"]);
    assert!(out.status.success(), "{}", show(&out));
    let seen = kinds_of_last(&upstream, 3);
    assert!(
        seen.iter()
            .all(|(_, kinds)| !kinds.iter().any(|k| k == "compaction")),
        "local compaction sends no compaction item: {seen:?}"
    );
    assert!(
        seen.iter().any(|(acct, _)| acct != &first),
        "the session moved: {seen:?}"
    );
}

#[test]
fn remote_compaction_stays_on_its_account_until_it_is_unusable() {
    if skip() {
        return;
    }
    let (upstream, home) = setup(&["acct-a", "acct-b"], &["--remote-compaction"], FORCE_COMPACTION);
    huge_usage(&upstream);
    let out = exec(&home, &["say pong"]);
    assert!(out.status.success(), "{}", show(&out));
    let first = served_by(&upstream)[0].clone();
    // Resume: Codex compacts remotely (a compaction_trigger), then sends the turn with the item.
    let out = exec(&home, &["resume", "--last", "again"]);
    assert!(out.status.success(), "{}", show(&out));
    let after = served_by(&upstream);
    assert!(
        after.iter().all(|a| a == &first),
        "compaction-bound session stays: {after:?}"
    );
    let with_item: Vec<_> = kinds_of_last(&upstream, 4)
        .into_iter()
        .filter(|(_, k)| k.iter().any(|t| t == "compaction"))
        .collect();
    assert!(!with_item.is_empty(), "Codex replayed its remote compaction item");

    // Only when its account becomes unusable does the session move, and the item is dropped.
    upstream
        .fake
        .script_always(&first, Behavior::usage_limit_in(3600));
    let out = exec(&home, &["resume", "--last", "once more"]);
    assert!(out.status.success(), "{}", show(&out));
    let last = kinds_of_last(&upstream, 1).pop().unwrap();
    assert_ne!(last.0, first, "moved to the other account");
    // Codex compacts again on this resume (the fake reports huge usage): the compaction item it
    // replays now is the new account's own; the first account's item never reached it.
    let reqs = crate::codex::sent(&upstream);
    let on_new: Vec<_> = reqs.iter().rev().take_while(|r| r.account == last.0).collect();
    assert!(!on_new.is_empty());
    for r in on_new {
        let owners = r.blob_owners();
        assert!(
            owners.iter().all(|o| o == &last.0),
            "a foreign blob reached {}: {owners:?}",
            last.0
        );
    }
}
