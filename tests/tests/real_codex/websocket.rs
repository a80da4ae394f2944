//! The real Codex CLI over the router's WebSocket transport (SPEC §4.4): incremental steps on
//! one upstream connection, the usage-limit stop, and the reconnect when a move's context is gone.

use codex_router_test_support::Behavior;

use crate::codex::{exec, sent, setup, setup_router, skip};
use crate::show;

fn tool_call() -> Behavior {
    Behavior::FunctionCall {
        name: "shell".into(),
        arguments: r#"{"command":["echo","hi"]}"#.into(),
    }
}

#[test]
fn a_tool_step_goes_upstream_incrementally_on_the_same_websocket() {
    if skip() {
        return;
    }
    let (upstream, home) = setup(&["acct-a"], &[], "");
    upstream.fake.script("acct-a", tool_call());
    let out = exec(&home, &["run echo hi"]);
    assert!(out.status.success(), "{}", show(&out));
    let steps = sent(&upstream);
    assert!(
        steps.len() >= 2,
        "the tool call needs a second request: {steps:?}"
    );
    assert!(steps.iter().all(|s| s.websocket), "{steps:?}");
    let (before, last) = (&steps[steps.len() - 2], &steps[steps.len() - 1]);
    assert!(
        last.incremental,
        "the step after the tool names the previous response"
    );
    assert_eq!(
        last.connection, before.connection,
        "on the same upstream connection"
    );
    let types: Vec<&str> = last.body["input"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["type"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(types, ["function_call_output"], "only the new item travelled");
    assert!(
        !upstream
            .fake
            .requests()
            .iter()
            .any(|r| r.method == "POST" && r.path.ends_with("/codex/responses")),
        "no HTTP /responses call"
    );
    let status = home.run_ctl(&["status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert!(v["websocket"]["incremental"].as_u64().unwrap() >= 1, "{v}");
}

#[test]
fn every_account_rate_limited_stops_codex_with_its_try_again_message_over_websocket() {
    if skip() {
        return;
    }
    let (upstream, home) = setup(&["acct-a", "acct-b"], &[], "");
    for a in ["acct-a", "acct-b"] {
        upstream.fake.script_always(a, Behavior::usage_limit_in(7200));
    }
    let out = exec(&home, &["say pong"]);
    assert!(!out.status.success(), "{}", show(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("usage limit") && err.contains("try again at"),
        "{}",
        show(&out)
    );
}

#[test]
fn a_move_whose_context_is_gone_makes_codex_reconnect_and_finish() {
    if skip() {
        return;
    }
    let (upstream, home) = setup_router(
        &["acct-a", "acct-b"],
        &[],
        "",
        "[proxy]\nws_context_max_bytes = 0\n",
    );
    let out = exec(&home, &["say pong"]);
    assert!(out.status.success(), "{}", show(&out));
    let first = sent(&upstream).pop().unwrap().account;
    let other = if first == "acct-a" { "acct-b" } else { "acct-a" };
    upstream.fake.script(&first, tool_call());
    upstream.fake.script(&first, Behavior::usage_limit_in(3600));
    let out = exec(&home, &["resume", "--last", "run echo hi"]);
    assert!(out.status.success(), "{}", show(&out));
    let last = sent(&upstream).pop().unwrap();
    assert_eq!(last.account, other, "finished on the other account");
    assert!(
        !last.incremental,
        "Codex re-sent its full input on a new connection"
    );
    assert!(
        last.input_types().iter().any(|t| t == "function_call_output"),
        "{:?}",
        last.input_types()
    );
    let status = home.run_ctl(&["status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert!(v["websocket"]["connections"].as_u64().unwrap() >= 3, "{v}");
}
