//! `codex exec` answered through the router, and a session that moves accounts.

use codex_router_test_support::Behavior;

use crate::codex::{exec, served_by, setup, skip};
use crate::show;

#[test]
fn codex_exec_is_answered_through_the_router_and_resumes_on_another_account() {
    if skip() {
        return;
    }
    let (upstream, home) = setup(&["acct-a", "acct-b"], &[], "");
    let out = exec(&home, &["say pong"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("pong"),
        "{}",
        show(&out)
    );
    let first = served_by(&upstream);
    assert_eq!(first.len(), 1, "one request for one turn");
    let handshake = upstream
        .fake
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path.ends_with("/codex/responses"))
        .unwrap();
    assert_eq!(handshake.header("originator"), Some("codex_exec"));
    let turn = crate::codex::sent(&upstream).pop().unwrap();
    assert!(turn.websocket, "Codex speaks WebSocket through the router");
    assert!(turn.body["prompt_cache_key"].is_string());

    // The account that served turn 1 runs out: the resumed turn moves, and Codex never notices.
    upstream.fake.script(&first[0], Behavior::usage_limit_in(3600));
    let out = exec(&home, &["resume", "--last", "again"]);
    assert!(out.status.success(), "{}", show(&out));
    let all = served_by(&upstream);
    let other = if first[0] == "acct-a" { "acct-b" } else { "acct-a" };
    assert_eq!(
        &all[1..],
        &[first[0].clone(), other.to_owned()],
        "429 on the first, served by the other"
    );
    // The replayed reasoning of the first account never reached the second one.
    let moved = crate::codex::sent(&upstream).pop().unwrap();
    let owners = moved.blob_owners();
    assert!(
        owners.iter().all(|o| o == other),
        "only the serving account's blobs reach it: {owners:?}"
    );
    assert_eq!(upstream.fake.refresh_reuse_count(), 0);
    let status = home.run_ctl(&["status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(v["counters"]["rotations"], 1, "{v}");
}
