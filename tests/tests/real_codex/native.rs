//! The real Codex CLI natively bound (SPEC §7, docs/binding.md): only the top-level
//! `openai_base_url` points at the router, Codex keeps its built-in provider, its ChatGPT login
//! and its WebSocket, and `chatgpt_base_url` is a TLS fake ([`FakeChatgpt`]) with a test CA.
//!
//! What 0.169.0 did here is in `docs/decisions.md` ("Codex natively bound, measured"). Codex's
//! config pins `model = "gpt-5.1-codex"` (see [`setup_native`]): its default model for a ChatGPT
//! login offers the shell only inside the JavaScript `exec` custom tool, which the fake cannot
//! script, while gpt-5.1-codex offers the `exec_command` function the tool call below names.
//!
//! [`FakeChatgpt`]: codex_router_test_support::FakeChatgpt

use codex_router_test_support::Behavior;

use crate::codex::{Native, exec, sent, setup_native, skip};
use crate::show;

/// The pool accounts other than Codex's own.
const OTHERS: [&str; 2] = ["acct-a", "acct-b"];

/// Every path 0.169.0 called at `chatgpt_base_url` during one `exec` (measured).
const CHATGPT_CALLS: [&str; 6] = [
    "/backend-api/wham/accounts/check",
    "/backend-api/ps/plugins/installed",
    "/backend-api/ps/plugins/suggested/codex",
    "/backend-api/wham/settings/user",
    "/backend-api/ps/mcp",
    "/backend-api/codex/analytics-events/events",
];

fn tool_call() -> Behavior {
    Behavior::FunctionCall {
        name: "exec_command".into(),
        arguments: r#"{"cmd":"echo hi"}"#.into(),
    }
}

/// Runs one `codex exec` with a tool call and checks that it completes, that model traffic
/// reached the fake backend with a pool account's credentials (never Codex's own token, never
/// the client key), and that workspace discovery reached the TLS fake with Codex's login.
fn a_tool_turn_runs_on_the_pool_and_discovery_on_codexs_login(n: &Native, signed_in: &str) {
    for a in OTHERS {
        n.upstream.fake.script(a, tool_call());
    }
    let out = exec(&n.home, &["run echo hi"]);
    assert!(out.status.success(), "{}", show(&out));

    // Model traffic: over the WebSocket, on pool accounts other than Codex's.
    let steps = sent(&n.upstream);
    assert!(
        steps.len() >= 2,
        "the tool call needs a second request: {steps:?}"
    );
    assert!(steps.iter().all(|s| s.websocket), "{steps:?}");
    let served: Vec<&str> = steps.iter().map(|s| s.account.as_str()).collect();
    assert!(
        served.iter().all(|a| OTHERS.contains(a)),
        "served by {served:?}, Codex's own {signed_in} spared"
    );
    let outputs: Vec<&str> = steps
        .last()
        .unwrap()
        .full_input
        .iter()
        .filter(|i| i["type"] == "function_call_output")
        .filter_map(|i| i["output"].as_str())
        .collect();
    assert!(
        outputs
            .iter()
            .any(|o| o.contains("exited with code 0") && o.contains("hi")),
        "the command ran and its output went back: {outputs:?}"
    );

    let requests = n.upstream.fake.requests();
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
    let handshakes: Vec<_> = requests
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/codex/responses"))
        .collect();
    assert!(!handshakes.is_empty(), "no WebSocket handshake upstream");
    for h in &handshakes {
        let account = h.account.as_deref().unwrap_or("?");
        assert!(OTHERS.contains(&account), "handshake on {account}: {h:?}");
        assert_eq!(h.header("chatgpt-account-id"), Some(account), "{h:?}");
    }
    assert!(
        !requests
            .iter()
            .any(|r| r.method == "POST" && r.path.ends_with("/codex/responses")),
        "no HTTP /responses call"
    );
    assert!(
        !n.upstream
            .fake
            .issuer_requests()
            .iter()
            .any(|r| r.account.as_deref() == Some(signed_in)),
        "Codex did not refresh its login"
    );

    // Workspace discovery and the rest of chatgpt.com: at the TLS fake, with Codex's own login.
    let seen = n.chatgpt.requests();
    let discovery: Vec<_> = seen.iter().filter(|r| r.path == CHATGPT_CALLS[0]).collect();
    assert!(!discovery.is_empty(), "no workspace discovery: {seen:?}");
    for d in &discovery {
        assert_eq!(d.method, "GET");
        assert_eq!(d.account.as_deref(), Some(signed_in), "{d:?}");
        assert_eq!(d.header("chatgpt-account-id"), Some(signed_in), "{d:?}");
    }
    let bearer = format!("Bearer {}", n.codex_token);
    for r in &seen {
        // The measured calls (0.169.0), plus what later versions add under the same families
        // (0.171.0 also asks `ps/plugins/tooling-state/…`); never model traffic.
        let known = CHATGPT_CALLS.contains(&r.path.as_str())
            || ["/backend-api/ps/", "/backend-api/wham/"]
                .iter()
                .any(|family| r.path.starts_with(family));
        assert!(known, "a call no measured Codex makes: {r:?}");
        assert!(
            !r.path.contains("/codex/responses") && !r.path.contains("/codex/models"),
            "model traffic must reach the router, not chatgpt_base_url: {r:?}"
        );
        if let Some(auth) = r.header("authorization") {
            assert_eq!(auth, bearer, "only Codex's own login at chatgpt_base_url: {r:?}");
        }
    }
    // The only host beyond loopback Codex tried is its metrics endpoint (trapped, never reached);
    // never chatgpt.com or auth.openai.com themselves.
    let outside = n.outside.seen();
    assert!(
        outside
            .iter()
            .all(|line| line.starts_with("CONNECT ab.chatgpt.com:443 ")),
        "{outside:?}"
    );
}

fn status(n: &Native) -> serde_json::Value {
    let out = n.home.run_ctl(&["status", "--json"]);
    assert!(out.status.success(), "{}", show(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn natively_bound_codex_runs_a_tool_turn_on_the_pool_sparing_its_own_account_in_the_pool() {
    if skip() {
        return;
    }
    let n = setup_native(&["acct-a", "acct-b", "acct-l"], "acct-l");
    a_tool_turn_runs_on_the_pool_and_discovery_on_codexs_login(&n, "acct-l");
    let v = status(&n);
    assert_eq!(v["binding"]["mode"], "native", "{v}");
    // Labels follow the records' order: acct-l's is the third.
    assert_eq!(
        login_without_quota(&v),
        serde_json::json!({"signed_in": true, "account": "pro-3", "in_pool": true, "spared": true}),
        "{v}"
    );
    let l = &v["accounts"][2];
    assert_eq!(
        (l["label"].as_str(), l["requests"].as_u64()),
        (Some("pro-3"), Some(0)),
        "{v}"
    );
}

#[test]
fn natively_bound_codex_signed_in_outside_the_pool_runs_a_tool_turn_on_the_pool() {
    if skip() {
        return;
    }
    let n = setup_native(&OTHERS, "acct-l");
    a_tool_turn_runs_on_the_pool_and_discovery_on_codexs_login(&n, "acct-l");
    let v = status(&n);
    assert_eq!(v["binding"]["mode"], "native", "{v}");
    // Nothing to spare: the account the router could pick is not in the pool at all.
    assert_eq!(
        login_without_quota(&v),
        serde_json::json!({"signed_in": true, "account": null, "in_pool": false, "spared": false}),
        "{v}"
    );
}

#[test]
fn natively_bound_codex_is_served_by_its_own_account_when_no_other_can() {
    if skip() {
        return;
    }
    let n = setup_native(&["acct-a", "acct-b", "acct-l"], "acct-l");
    for a in OTHERS {
        n.upstream.fake.script_always(a, Behavior::usage_limit_in(3600));
    }
    let out = exec(&n.home, &["say pong"]);
    assert!(out.status.success(), "{}", show(&out));
    let served: Vec<String> = sent(&n.upstream).into_iter().map(|s| s.account).collect();
    assert_eq!(
        served.last().map(String::as_str),
        Some("acct-l"),
        "only Codex's own account was left: {served:?}"
    );
    // Its pool credentials, never Codex's own token.
    assert!(
        n.upstream
            .fake
            .requests()
            .iter()
            .all(|r| !r.header("authorization").unwrap_or("").contains(&n.codex_token))
    );
}

/// `codex_login` minus its quota reading (present or not depending on the usage poll's timing).
fn login_without_quota(status: &serde_json::Value) -> serde_json::Value {
    let mut login = status["codex_login"].clone();
    if let Some(o) = login.as_object_mut() {
        o.remove("quota");
    }
    login
}
