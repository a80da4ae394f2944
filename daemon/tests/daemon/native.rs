//! The native binding's daemon side (SPEC §4, §7): Codex's own bearer is accepted while the
//! native binding is active, never forwarded, and the account Codex is signed in to is spared.

use std::sync::Arc;
use std::time::Duration;

use codex_router_test_support::ManualClock;

use codex_router_test_support::Behavior;
use serde_json::json;

use crate::common::{Daemon, Setup};

/// Codex signed in to `account` with this access token (`$CODEX_HOME/auth.json`).
fn sign_in(d: &Daemon, account: &str) -> String {
    let t = d.fake.issue_tokens(account);
    let doc = json!({"auth_mode": "chatgpt", "OPENAI_API_KEY": null,
        "tokens": {"id_token": t.id_token, "access_token": t.access_token, "refresh_token": t.refresh_token, "account_id": account},
        "last_refresh": "2026-12-07T00:00:00Z"});
    std::fs::create_dir_all(&d.codex_home).unwrap();
    std::fs::write(d.codex_home.join("auth.json"), doc.to_string()).unwrap();
    t.access_token
}

/// `codexctl rotation bind-app --native` as the bind state records it.
fn bind_native(d: &Daemon) {
    let config = d.codex_home.join("config.toml");
    let spec = codex_router_codex_config::BindSpec {
        port: d.listen.port(),
        client_key: codex_router_core::Secret::new(d.key.clone()),
        remote_compaction: false,
        mode: codex_router_codex_config::BindMode::Native,
    };
    codex_router_codex_config::bind_app(
        &config,
        &d.paths.bind_dir,
        &spec,
        codex_router_core::Timestamp::from_unix_secs(1_800_000_000),
    )
    .unwrap();
}

async fn turn(d: &Daemon, bearer: &str, session: &str) -> crate::common::Reply {
    let body = json!({"model": "gpt-test", "stream": true, "store": false, "prompt_cache_key": session,
        "input": [{"type": "message", "role": "user", "content": "hi"}]});
    let resp = d
        .http
        .post(d.url("/backend-api/codex/responses"))
        .bearer_auth(bearer)
        .header("chatgpt-account-id", "acct-l")
        .json(&body)
        .send()
        .await
        .unwrap();
    crate::common::read(resp).await
}

#[tokio::test]
async fn codexs_own_bearer_is_accepted_only_while_natively_bound_and_never_forwarded() {
    let d = Daemon::start(Setup::accounts(&["acct-l", "acct-b"])).await;
    let token = sign_in(&d, "acct-l");
    assert_eq!(
        turn(&d, &token, "s1").await.status,
        401,
        "no binding: Codex's bearer is refused"
    );
    // No wait: the binding's own change is seen at once.
    bind_native(&d);
    let reply = turn(&d, &token, "s1").await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.account(), Some("acct-b"), "the signed-in account is spared");
    let upstream = d
        .fake
        .requests()
        .into_iter()
        .rfind(|r| r.method == "POST")
        .unwrap();
    let auth = upstream.header("authorization").unwrap().to_owned();
    assert!(
        !auth.contains(&token),
        "Codex's token never reaches a pool account's request"
    );
    assert_eq!(upstream.header("chatgpt-account-id"), Some("acct-b"));
    assert_eq!(turn(&d, "not-a-token", "s2").await.status, 401);
    let status = d.status().await;
    let login = &status["codex_login"];
    assert_eq!(
        (
            &login["signed_in"],
            &login["account"],
            &login["in_pool"],
            &login["spared"]
        ),
        (&json!(true), &json!("acct-l"), &json!(true), &json!(true)),
        "{login}"
    );
    assert!(
        login.get("quota").is_some(),
        "its quota reading (or null) is shown: {login}"
    );
}

#[tokio::test]
async fn the_signed_in_account_serves_only_when_no_other_account_can() {
    let d = Daemon::start(Setup::accounts(&["acct-l", "acct-b"])).await;
    let token = sign_in(&d, "acct-l");
    bind_native(&d);
    for i in 0..4 {
        let r = turn(&d, &token, &format!("s{i}")).await;
        assert_eq!(r.account(), Some("acct-b"), "request {i}");
    }
    d.fake.script_always("acct-b", Behavior::usage_limit_in(3600));
    let r = turn(&d, &token, "s9").await;
    assert_eq!(
        (r.status, r.account()),
        (200, Some("acct-l")),
        "only Codex's own account is left"
    );
}

#[tokio::test]
async fn a_token_codex_refreshed_is_accepted_and_the_old_one_refused() {
    let clock = Arc::new(ManualClock::starting_now());
    let d = Daemon::start(Setup {
        clock: Some(Arc::clone(&clock)),
        ..Setup::accounts(&["acct-b"])
    })
    .await;
    d.fake
        .add_account(codex_router_test_support::FakeAccount::new("acct-l", "plus"));
    let old = sign_in(&d, "acct-l");
    bind_native(&d);
    assert_eq!(turn(&d, &old, "s").await.status, 200);
    let status = d.status().await;
    assert_eq!(
        status["codex_login"]["in_pool"], false,
        "Codex's account need not be in the pool"
    );
    let new = sign_in(&d, "acct-l");
    // The file is re-read at most once a second (SPEC §4), by the daemon's clock.
    clock.advance(Duration::from_millis(1100));
    assert_eq!(turn(&d, &new, "s").await.status, 200);
    let refused = turn(&d, &old, "s").await;
    assert_eq!(refused.status, 401);
    assert!(refused.body.contains("router_unauthorized"), "{}", refused.body);
}
