//! `state.json` costs what the clock says, not what the request rate says (SPEC §3).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::sync::Arc;
use std::time::Duration;

use codex_router_core::outcome::Outcome;
use codex_router_core::persist::PoolState;
use codex_router_core::pool::PoolConfig;
use codex_router_core::select::Selection;
use codex_router_core::session::SessionHash;
use codex_router_core::{Secret, Timestamp};
use codex_router_oauth::OAuthClient;
use codex_router_runtime::{Runtime, RuntimeOptions};
use codex_router_store::{AccountsFile, RouterPaths, StoredAccount, StoredTokens};
use codex_router_test_support::ManualClock;
use tokio_util::sync::CancellationToken;

fn open(home: &std::path::Path, clock: Arc<ManualClock>) -> Runtime {
    let paths = RouterPaths::from_home(home.to_path_buf());
    paths.ensure_dirs().unwrap();
    let mut file = AccountsFile::default();
    for i in 0..3 {
        let mut a = StoredAccount::with_tokens(StoredTokens {
            access_token: Secret::new(format!("at-{i}")),
            refresh_token: Secret::new(format!("rt-{i}")),
            id_token: None,
            expires_at: None,
        });
        a.label = Some(format!("acct-{i}"));
        file.accounts.push(a);
    }
    codex_router_store::save_accounts(&paths.accounts, &file).unwrap();
    // Nothing here refreshes a token: the issuer is never called.
    let http = codex_router_oauth::client_builder(Duration::from_secs(1))
        .no_proxy()
        .build()
        .unwrap();
    Runtime::open(RuntimeOptions {
        paths,
        pool_config: PoolConfig {
            max_sessions: 20_000,
            ..PoolConfig::default()
        },
        oauth: OAuthClient::new(http, "http://127.0.0.1:9", "app_test"),
        clock,
    })
    .unwrap()
}

/// One request's critical sections, as the proxy runs them.
fn request(rt: &Runtime, key: SessionHash, now: Timestamp) {
    rt.with_pool(|p| {
        let mut ctx = p.begin(Some(key), false, now);
        let Selection::Use(lease) = p.select(&mut ctx, now) else {
            panic!("exhausted");
        };
        p.record(
            &mut ctx,
            &lease,
            &Outcome::Success { quota: None },
            Some(200),
            now,
        );
        p.finish(&ctx, Some(&lease), false);
        p.release(&lease);
    });
}

/// 20 000 new sessions over five (virtual) seconds: the coalesced writer writes `state.json` about
/// once a second, never once per request, and what it wrote last holds every session.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn state_writes_follow_the_clock_not_the_request_rate() {
    let home = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(Timestamp::from_unix_secs(1_800_000_000)));
    let rt = open(home.path(), clock.clone());
    let shutdown = CancellationToken::new();
    let flusher = tokio::spawn(rt.clone().run_state_flusher(shutdown.clone()));
    let start = tokio::time::Instant::now();
    for step in 0..50 {
        for i in 0..400 {
            request(&rt, SessionHash::of(&format!("s-{step}-{i}")), rt.now());
        }
        clock.advance(Duration::from_millis(100));
        tokio::time::advance(Duration::from_millis(100)).await;
        tokio::task::yield_now().await;
    }
    let elapsed = start.elapsed().as_secs();
    let during = rt.state_writes();
    assert!(
        during <= elapsed + 1,
        "{during} writes in {elapsed} s of 20 000 requests: writes must follow the clock"
    );
    shutdown.cancel();
    flusher.await.unwrap();
    assert!(rt.state_writes() > during, "one more write at shutdown");
    let state: PoolState =
        serde_json::from_slice(&std::fs::read(home.path().join("state.json")).unwrap()).unwrap();
    assert_eq!(state.sessions.len(), 20_000);
    assert!(state.sessions.contains_key(&SessionHash::of("s-49-399")));
}
