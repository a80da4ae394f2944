//! Crash durability: the daemon is SIGKILLed at random moments while it serves
//! streams, refreshes tokens and saves state, 100 times. After every kill `accounts.json` and
//! `state.json` parse and no account is lost; at the end every refresh chain is intact: the fake
//! issuer saw a refresh token presented twice only for an account whose refresh a kill
//! interrupted, and each such account ended in `needs_login` / `refresh_interrupted_by_crash`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::time::{Duration, Instant};

use codex_router_e2e::process::kill;
use codex_router_e2e::{Home, Upstream};
use codex_router_store::{JsonLoad, load_accounts, load_json, read_daemon_info};
use serde_json::{Value, json};

const ROUNDS: usize = 100;
const ACCOUNTS: usize = 3;

/// A cheap deterministic generator: the kill moments differ per round but every run is the same.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

fn accounts(home: &Home) -> Vec<Value> {
    let bytes = std::fs::read(&home.paths.accounts).unwrap();
    let v: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("accounts.json torn: {e}"));
    v["accounts"].as_array().unwrap().clone()
}

#[test]
fn sigkill_at_random_moments_loses_nothing() {
    let upstream = Upstream::start();
    // Tokens live 10 s: every request finds its token within the 30 s inline window and
    // refreshes it first, so kills land in the middle of refreshes all the time.
    upstream.fake.set_refreshed_ttl(10);
    let mut records = Vec::new();
    for i in 0..ACCOUNTS {
        let t = upstream.fake.add_account(
            codex_router_test_support::FakeAccount::new(&format!("acct-{i}"), "pro").with_ttl(10),
        );
        records.push(codex_router_e2e::home::account_record(&t));
    }
    let home = Home::with_fake(&upstream);
    home.write_accounts(&records);
    let client = upstream.rt.block_on(async {
        codex_router_oauth::client_builder(Duration::from_secs(2))
            .no_proxy()
            .build()
            .unwrap()
    });
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let started = Instant::now();
    let mut ids: Option<Vec<String>> = None;
    for round in 0..ROUNDS {
        let mut daemon = home.spawn_daemon();
        daemon.wait_ready(&home.paths.socket);
        let info = read_daemon_info(&home.paths.daemon_json).unwrap().unwrap();
        let key = std::fs::read_to_string(&home.paths.client_key).unwrap();
        let url = format!("http://{}/backend-api/codex/responses", info.listen);
        // Load: a few concurrent turns, each forcing a refresh and a state change.
        let load: Vec<_> = (0..4)
            .map(|n| {
                let (client, url, key) = (client.clone(), url.clone(), key.trim().to_owned());
                upstream.rt.spawn(async move {
                    let body = json!({"model":"m","stream":true,"prompt_cache_key":format!("s{round}-{n}"),"input":[]});
                    if let Ok(resp) = client.post(&url).bearer_auth(&key).json(&body).send().await {
                        let _ = resp.bytes().await;
                    }
                })
            })
            .collect();
        let wait = Duration::from_millis(next(&mut seed) % 150);
        std::thread::sleep(wait); // the random kill moment is the point of the test, not readiness
        kill(daemon.pid());
        assert!(
            daemon.wait_exit(Duration::from_secs(10)).is_some(),
            "round {round}: the daemon did not die"
        );
        for l in load {
            let _ = upstream.rt.block_on(l);
        }
        // After every crash: both files parse and every account is still there, same ids.
        let now = accounts(&home);
        assert_eq!(now.len(), ACCOUNTS, "round {round}: an account was lost");
        let round_ids: Vec<String> = now
            .iter()
            .map(|a| a["id"].as_str().unwrap_or_default().to_owned())
            .collect();
        match &ids {
            None => ids = Some(round_ids),
            Some(first) => assert_eq!(first, &round_ids, "round {round}: ids changed"),
        }
        assert!(
            matches!(load_accounts(&home.paths.accounts).unwrap(), JsonLoad::Loaded(_)),
            "round {round}"
        );
        match load_json::<Value>(&home.paths.state).unwrap() {
            JsonLoad::Loaded(_) | JsonLoad::Missing => {}
            other => panic!("round {round}: state.json {other:?}"),
        }
    }
    // Final start: every account is either healthy with a working refresh chain, or needs a login
    // because a kill interrupted its refresh after the issuer had spent the token.
    let mut daemon = home.spawn_daemon();
    daemon.wait_ready(&home.paths.socket);
    let out = home.run_ctl(&["accounts", "refresh", "--all", "--json"]);
    let status = home.run_ctl(&["status", "--json"]);
    let status: Value = serde_json::from_slice(&status.stdout).unwrap();
    let interrupted = status["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["state_reason"] == "refresh_interrupted_by_crash")
        .count();
    for a in status["accounts"].as_array().unwrap() {
        assert!(
            a["state"] == "ready" || a["state_reason"] == "refresh_interrupted_by_crash",
            "an account ended in a state no crash explains: {a}\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    assert_eq!(
        upstream.fake.refresh_reuse_count(),
        interrupted,
        "a refresh token was presented twice outside the one re-presentation SPEC §6 allows"
    );
    println!(
        "{ROUNDS} kills in {:?}; {} refreshes, {interrupted} interrupted mid-refresh",
        started.elapsed(),
        upstream.fake.refresh_calls()
    );
    kill(daemon.pid());
}
