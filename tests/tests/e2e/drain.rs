//! A second SIGTERM during the drain ends the daemon at once (repeated signals are safe).
//! The fake holds a stream open with its `PauseAfterEvents` gate, so the first SIGTERM starts a
//! drain that cannot finish by itself (the drain window is set to a minute).

#![cfg(unix)]

use std::time::{Duration, Instant};

use codex_router_e2e::home::account_record;
use codex_router_e2e::process::Sig;
use codex_router_e2e::{Home, Upstream};
use codex_router_store::read_daemon_info;
use codex_router_test_support::{Behavior, Gate};

#[test]
fn second_sigterm_ends_the_drain_at_once() {
    let upstream = Upstream::start();
    let home = Home::with_fake(&upstream);
    home.write_accounts(&[account_record(&upstream.account("acc-1", "pro"))]);
    home.write_config("[proxy]\ndrain_timeout = \"60s\"\n");
    let gate = Gate::new();
    upstream
        .fake
        .script_always("acc-1", Behavior::PauseAfterEvents(4, gate.clone()));

    let mut daemon = home.spawn_daemon();
    daemon.wait_ready(&home.paths.socket);
    let info = read_daemon_info(&home.paths.daemon_json)
        .unwrap()
        .expect("daemon.json");
    let key = std::fs::read_to_string(&home.paths.client_key).unwrap();
    let url = format!("http://{}/backend-api/codex/responses", info.listen);
    let request = upstream.rt.spawn(async move {
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let resp = client
            .post(url)
            .bearer_auth(key.trim())
            .header("content-type", "application/json")
            .body(r#"{"model":"gpt-5.1-codex","input":[],"stream":true}"#)
            .send()
            .await?;
        resp.bytes().await
    });
    upstream.rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(20), upstream.fake.wait_active_responses(1))
            .await
            .expect("the stream reaches the upstream")
    });

    daemon.signal(Sig::Term);
    daemon
        .wait_for_line("shutting down", Duration::from_secs(10))
        .unwrap_or_else(|| panic!("no drain announced:\n{}", daemon.stderr()));
    assert!(
        daemon.wait_exit(Duration::from_millis(300)).is_none(),
        "the open stream keeps the first drain going:\n{}",
        daemon.stderr()
    );

    let second = Instant::now();
    daemon.signal(Sig::Term);
    let status = daemon
        .wait_exit(Duration::from_secs(5))
        .unwrap_or_else(|| panic!("second SIGTERM ignored:\n{}", daemon.stderr()));
    assert!(
        second.elapsed() < Duration::from_secs(5),
        "{:?}",
        second.elapsed()
    );
    assert!(
        !status.success(),
        "an interrupted drain is not a clean exit: {status}"
    );
    gate.open();
    request.abort();
}
