//! Usage polling (interval, jitter, single flight, backoff; never for a disabled or logged-out
//! account, never with a refresh token) and early-reset detection (a window that resets early
//! ends the cooldown within one poll interval).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::sync::Arc;
use std::time::Duration;

use codex_router_core::Secret;
use codex_router_core::account::CoolReason;
use codex_router_core::pool::PoolConfig;
use codex_router_core::usage::Applied;
use codex_router_oauth::OAuthClient;
use codex_router_runtime::usage::PollConfig;
use codex_router_runtime::{Runtime, RuntimeOptions};
use codex_router_store::{AccountsFile, RouterPaths, StoredAccount, StoredTokens};
use codex_router_test_support::ManualClock;
use codex_router_test_support::{FakeAccount, FakeBackend, UsageState, Window};
use tokio_util::sync::CancellationToken;

async fn setup(ids: &[&str]) -> (FakeBackend, tempfile::TempDir, Runtime, reqwest::Client) {
    let fake = FakeBackend::start().await;
    let home = tempfile::tempdir().unwrap();
    let paths = RouterPaths::from_home(home.path().to_path_buf());
    paths.ensure_dirs().unwrap();
    let mut file = AccountsFile::default();
    for id in ids {
        let t = fake.add_account(FakeAccount::new(id, "pro"));
        let mut a = StoredAccount::with_tokens(StoredTokens {
            access_token: Secret::new(t.access_token),
            refresh_token: Secret::new(t.refresh_token),
            id_token: Some(Secret::new(t.id_token)),
            expires_at: None,
        });
        a.label = Some((*id).to_owned());
        file.accounts.push(a);
    }
    codex_router_store::save_accounts(&paths.accounts, &file).unwrap();
    let http = codex_router_oauth::client_builder(Duration::from_secs(5))
        .no_proxy()
        .build()
        .unwrap();
    let rt = Runtime::open(RuntimeOptions {
        paths,
        pool_config: PoolConfig::default(),
        oauth: OAuthClient::new(http.clone(), fake.issuer_url(), "app_EMoamEEZ73f0CkXaXp7hrann"),
        clock: Arc::new(ManualClock::starting_now()),
    })
    .unwrap();
    (fake, home, rt, http)
}

fn id_of(rt: &Runtime, label: &str) -> String {
    rt.accounts()
        .iter()
        .find(|a| a.label.as_deref() == Some(label))
        .unwrap()
        .id
        .clone()
        .unwrap()
}

#[tokio::test]
async fn a_poll_reads_both_windows() {
    let (fake, _home, rt, http) = setup(&["a"]).await;
    fake.set_usage(
        "a",
        UsageState {
            primary: Some(Window::new(42.0, 300, 600)),
            secondary: Some(Window::new(7.0, 10080, 86_400)),
            plan_type: "pro".into(),
        },
    );
    let id = id_of(&rt, "a");
    assert_eq!(
        rt.poll_usage(&http, &fake.base_url(), &id).await.unwrap(),
        Applied::Updated
    );
    let q = rt.snapshot().accounts[0].quota.clone().unwrap();
    assert_eq!(q.primary.unwrap().used_percent, 42.0);
    assert_eq!(q.secondary.unwrap().window_minutes, Some(10080));
    assert_eq!(fake.usage_calls("a"), 1);
    assert_eq!(fake.refresh_calls(), 0, "a poll never presents a refresh token");
}

#[tokio::test]
async fn an_early_reset_ends_a_three_day_cooldown() {
    let (fake, _home, rt, http) = setup(&["a"]).await;
    let id = id_of(&rt, "a");
    let now = rt.now();
    rt.with_pool(|p| {
        p.account_mut(&id)
            .unwrap()
            .cool_until(CoolReason::UsageLimit, now.plus(Duration::from_secs(3 * 86_400)))
    });
    fake.set_usage("a", UsageState::used("pro", 100.0, 100.0));
    assert_eq!(
        rt.poll_usage(&http, &fake.base_url(), &id).await.unwrap(),
        Applied::Updated
    );
    assert_eq!(rt.snapshot().accounts[0].state_reason, Some("usage_limit"));
    // Two hours later the upstream reset the window early.
    fake.set_usage("a", UsageState::used("pro", 2.0, 30.0));
    assert_eq!(
        rt.poll_usage(&http, &fake.base_url(), &id).await.unwrap(),
        Applied::ResetEarly
    );
    let snap = rt.snapshot();
    assert_eq!(snap.accounts[0].state_reason, None);
    assert!(snap.accounts[0].reset_early_at.is_some());
    assert_eq!(snap.counters.early_resets, 1);
}

#[tokio::test]
async fn the_poller_skips_logged_out_accounts_and_polls_the_others_once() {
    let (fake, _home, rt, http) = setup(&["a", "b"]).await;
    let b = id_of(&rt, "b");
    rt.with_pool(|p| p.mark_needs_login(&b, codex_router_core::account::NeedsLoginReason::RefreshFailed));
    let shutdown = CancellationToken::new();
    let cfg = PollConfig {
        base_url: fake.base_url(),
        interval: Duration::from_secs(300),
    };
    let mut changes = rt.subscribe_changes();
    let task = tokio::spawn(
        rt.clone()
            .run_usage_poller(http, move || cfg.clone(), shutdown.clone()),
    );
    tokio::time::timeout(Duration::from_secs(10), async {
        while rt.snapshot().counters.usage_polls < 1 {
            changes.changed().await.unwrap();
        }
    })
    .await
    .unwrap();
    shutdown.cancel();
    task.await.unwrap();
    assert_eq!(
        fake.usage_calls("a"),
        1,
        "the interval (300 s on the manual clock) has not passed again"
    );
    assert_eq!(
        fake.usage_calls("b"),
        0,
        "no poll for an account that needs login"
    );
    assert_eq!(fake.refresh_calls(), 0);
}
