//! The real Codex CLI natively bound (issue 14 acceptance 1, SPEC §7): only the top-level
//! `openai_base_url` points at the router, Codex keeps its built-in provider, its ChatGPT login
//! and its WebSocket, and `chatgpt_base_url` is a TLS fake (`FakeChatgpt`) with a test CA.

use codex_router_test_support::Behavior;

use crate::codex::{Native, exec, sent, setup_native, skip};
use crate::show;

fn tool_call() -> Behavior {
    Behavior::FunctionCall {
        name: "shell".into(),
        arguments: r#"{"command":["echo","hi"]}"#.into(),
    }
}

/// Runs one `codex exec` with a tool call and checks acceptance 1 of issue 14; returns the
/// accounts that served.
fn a_tool_turn_is_served_by_the_pool_and_discovery_by_codexs_login(
    n: &Native,
    signed_in: &str,
) -> Vec<String> {
    for a in ["acct-a", "acct-b"] {
        n.upstream.fake.script(a, tool_call());
    }
    let out = exec(&n.home, &["run echo hi"]);
    assert!(out.status.success(), "{}", show(&out));

    // Model traffic: over the WebSocket, on pool accounts, never on Codex's own.
    let steps = sent(&n.upstream);
    assert!(
        steps.len() >= 2,
        "the tool call needs a second request: {steps:?}"
    );
    assert!(steps.iter().all(|s| s.websocket), "{steps:?}");
    let served: Vec<String> = steps.iter().map(|s| s.account.clone()).collect();
    assert!(
        served.iter().all(|a| a == "acct-a" || a == "acct-b"),
        "a pool account other than Codex's ({signed_in}) served: {served:?}"
    );
    assert!(
        steps.last().unwrap().body["input"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["type"] == "function_call_output"),
        "the tool ran and its output went back"
    );
    let requests = n.upstream.fake.requests();
    let handshakes: Vec<_> = requests
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/codex/responses"))
        .collect();
    assert!(!handshakes.is_empty(), "no WebSocket handshake reached the fake");
    for r in &requests {
        let auth = r.header("authorization").unwrap_or("");
        assert!(
            !auth.contains(&n.codex_token),
            "Codex's own token went upstream: {r:?}"
        );
        assert!(
            !auth.contains(&n.client_key),
            "the client key went upstream: {r:?}"
        );
    }
    for h in &handshakes {
        let account = h.account.as_deref().unwrap_or("?");
        assert!(
            account == "acct-a" || account == "acct-b",
            "handshake on {account}: {h:?}"
        );
        assert_eq!(h.header("chatgpt-account-id"), Some(account), "{h:?}");
    }
    assert!(
        !requests
            .iter()
            .any(|r| r.method == "POST" && r.path.ends_with("/codex/responses")),
        "no HTTP /responses call"
    );

    // Workspace discovery: at the TLS fake, with Codex's own login.
    let seen = n.chatgpt.requests();
    let discovery: Vec<_> = seen
        .iter()
        .filter(|r| r.path.ends_with("/wham/accounts/check"))
        .collect();
    assert!(!discovery.is_empty(), "no workspace discovery: {seen:?}");
    for d in &discovery {
        assert_eq!(
            d.header("authorization"),
            Some(format!("Bearer {}", n.codex_token).as_str()),
            "discovery with Codex's bearer"
        );
        assert_eq!(d.account.as_deref(), Some(signed_in));
        assert_eq!(d.header("chatgpt-account-id"), Some(signed_in));
    }
    assert!(
        seen.iter().all(|r| !r.path.contains("/codex/responses")),
        "no model traffic at chatgpt_base_url: {seen:?}"
    );
    served
}

fn status(n: &Native) -> serde_json::Value {
    let out = n.home.run_ctl(&["status", "--json"]);
    assert!(out.status.success(), "{}", show(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn natively_bound_codex_runs_a_tool_turn_on_the_pool_while_its_own_account_in_the_pool_is_spared() {
    if skip() {
        return;
    }
    let n = setup_native(&["acct-a", "acct-b", "acct-l"], "acct-l");
    a_tool_turn_is_served_by_the_pool_and_discovery_by_codexs_login(&n, "acct-l");
    let v = status(&n);
    assert_eq!(v["binding"]["mode"], "native", "{v}");
    assert_eq!(
        v["codex_login"],
        serde_json::json!({"signed_in": true, "account": "acct-l", "in_pool": true, "spared": true}),
        "{v}"
    );
}

#[test]
fn natively_bound_codex_signed_in_outside_the_pool_runs_a_tool_turn_on_the_pool() {
    if skip() {
        return;
    }
    let n = setup_native(&["acct-a", "acct-b"], "acct-l");
    a_tool_turn_is_served_by_the_pool_and_discovery_by_codexs_login(&n, "acct-l");
    let v = status(&n);
    assert_eq!(v["binding"]["mode"], "native", "{v}");
    assert_eq!(v["codex_login"]["signed_in"], true, "{v}");
    assert_eq!(v["codex_login"]["in_pool"], false, "{v}");
}
