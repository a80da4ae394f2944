//! Token refresh guarantees (SPEC §6): single flight, persisted before use, crash recovery,
//! write-back to a linked Codex auth.json, proactive refresh.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::sync::Arc;
use std::time::Duration;

use codex_router_core::Secret;
use codex_router_core::account::{AccountStatus, NeedsLoginReason};
use codex_router_core::pool::PoolConfig;
use codex_router_oauth::OAuthClient;
use codex_router_runtime::{RefreshFailure, Runtime, RuntimeOptions};
use codex_router_store::{AccountsFile, JsonLoad, RouterPaths, StoredAccount, StoredTokens, load_accounts};
use codex_router_test_support::ManualClock;
use codex_router_test_support::{FakeAccount, FakeBackend, IssuedTokens, RefreshBehavior};
use serde_json::{Value, json};

struct Env {
    fake: FakeBackend,
    home: tempfile::TempDir,
    paths: RouterPaths,
}

fn stored(t: &IssuedTokens) -> StoredAccount {
    StoredAccount::with_tokens(StoredTokens {
        access_token: Secret::new(t.access_token.clone()),
        refresh_token: Secret::new(t.refresh_token.clone()),
        id_token: Some(Secret::new(t.id_token.clone())),
        expires_at: None,
    })
}

async fn env(accounts: &[(&str, i64)]) -> (Env, Vec<IssuedTokens>) {
    let fake = FakeBackend::start().await;
    let home = tempfile::tempdir().unwrap();
    let paths = RouterPaths::from_home(home.path().to_path_buf());
    paths.ensure_dirs().unwrap();
    let mut file = AccountsFile::default();
    let mut issued = Vec::new();
    for (id, ttl) in accounts {
        let t = fake.add_account(FakeAccount::new(id, "pro").with_ttl(*ttl));
        file.accounts.push(stored(&t));
        issued.push(t);
    }
    codex_router_store::save_accounts(&paths.accounts, &file).unwrap();
    (Env { fake, home, paths }, issued)
}

fn open(e: &Env) -> Runtime {
    let http = codex_router_oauth::client_builder(Duration::from_secs(5))
        .no_proxy()
        .build()
        .unwrap();
    Runtime::open(RuntimeOptions {
        paths: e.paths.clone(),
        pool_config: PoolConfig::default(),
        oauth: OAuthClient::new(http, e.fake.issuer_url(), "app_EMoamEEZ73f0CkXaXp7hrann"),
        clock: Arc::new(ManualClock::starting_now()),
    })
    .unwrap()
}

fn file_accounts(e: &Env) -> Vec<StoredAccount> {
    match load_accounts(&e.paths.accounts).unwrap() {
        JsonLoad::Loaded(f) => f.accounts,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn hand_written_accounts_are_completed_and_written_back() {
    let (e, _) = env(&[("acct-a", 3600)]).await;
    let rt = open(&e);
    let a = &file_accounts(&e)[0];
    assert_eq!(a.chatgpt_account_id.as_deref(), Some("acct-a"));
    assert_eq!(a.plan_type.as_deref(), Some("pro"));
    assert_eq!(
        a.label.as_deref(),
        Some("pro-1"),
        "derived labels never come from the email"
    );
    assert!(a.id.is_some() && a.tokens.expires_at.is_some() && a.added_at.is_some());
    // Ids are stable across restarts.
    drop(rt);
    let again = open(&e);
    assert_eq!(again.accounts()[0].id, a.id);
}

#[tokio::test]
async fn concurrent_refreshes_present_the_token_once() {
    // Two concurrent requests on an expired token → exactly one refresh.
    let (e, issued) = env(&[("acct-a", -10)]).await;
    e.fake.set_refresh_delay(Duration::from_millis(100));
    let rt = open(&e);
    let id = rt.accounts()[0].id.clone().unwrap();
    let observed = Secret::new(issued[0].access_token.clone());
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (rt, id, observed) = (rt.clone(), id.clone(), observed.clone());
        tasks.push(tokio::spawn(
            async move { rt.refresh(&id, Some(&observed)).await },
        ));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(e.fake.refresh_calls(), 1);
    assert_eq!(e.fake.refresh_reuse_count(), 0);
    // The new tokens were on disk before anyone could use them.
    let on_disk = &file_accounts(&e)[0];
    assert_ne!(on_disk.tokens.access_token.expose(), issued[0].access_token);
    assert_eq!(
        on_disk.tokens.access_token,
        rt.credentials(&id).unwrap().access_token
    );
    assert!(on_disk.refresh_in_flight_since.is_none());
    assert_eq!(rt.snapshot().counters.refreshes, 1);
}

#[tokio::test]
async fn fresh_credentials_refresh_only_expiring_tokens() {
    let (e, _) = env(&[("fresh", 3600), ("stale", 5)]).await;
    let rt = open(&e);
    let ids: Vec<String> = rt.accounts().iter().map(|a| a.id.clone().unwrap()).collect();
    rt.fresh_credentials(&ids[0]).await.unwrap();
    assert_eq!(e.fake.refresh_calls(), 0);
    rt.fresh_credentials(&ids[1]).await.unwrap();
    assert_eq!(e.fake.refresh_calls(), 1);
}

#[tokio::test]
async fn permanent_failure_marks_needs_login_and_persists() {
    let (e, _) = env(&[("acct-a", 3600)]).await;
    e.fake.invalidate_account("acct-a");
    let rt = open(&e);
    let id = rt.accounts()[0].id.clone().unwrap();
    assert_eq!(rt.refresh(&id, None).await, Err(RefreshFailure::Permanent));
    let status = rt.with_pool_read(|p| p.account(&id).unwrap().status);
    assert_eq!(status, AccountStatus::NeedsLogin(NeedsLoginReason::RefreshFailed));
    let on_disk = &file_accounts(&e)[0];
    assert_eq!(on_disk.status_reason.as_deref(), Some("refresh_failed"));
    // A later start keeps the status: it survives a restart.
    drop(rt);
    let again = open(&e);
    assert_eq!(again.snapshot().accounts[0].state_reason, Some("refresh_failed"));
}

#[tokio::test]
async fn transient_failure_keeps_the_token_usable() {
    let (e, _) = env(&[("acct-a", 3600)]).await;
    e.fake
        .script_refresh(RefreshBehavior::Status(503, "{\"error\":\"unavailable\"}".into()));
    let rt = open(&e);
    let id = rt.accounts()[0].id.clone().unwrap();
    assert!(matches!(
        rt.refresh(&id, None).await,
        Err(RefreshFailure::Transient(_))
    ));
    assert!(
        file_accounts(&e)[0].refresh_in_flight_since.is_none(),
        "the issuer answered: token not spent"
    );
    rt.refresh(&id, None).await.unwrap();
    assert_eq!(e.fake.refresh_reuse_count(), 0);
}

#[tokio::test]
async fn crash_mid_refresh_is_presented_once_then_needs_login() {
    // The issuer rotates the token but the answer never arrives (a crash between the two).
    let (e, _) = env(&[("acct-a", 3600)]).await;
    e.fake.script_refresh(RefreshBehavior::RotateThenDrop);
    let rt = open(&e);
    let id = rt.accounts()[0].id.clone().unwrap();
    assert!(rt.refresh(&id, None).await.is_err());
    assert!(
        file_accounts(&e)[0].refresh_in_flight_since.is_some(),
        "the mark survives: the token may be spent"
    );
    drop(rt);
    let rt = open(&e);
    assert_eq!(rt.crash_suspects(), vec![id.clone()]);
    assert_eq!(rt.refresh(&id, None).await, Err(RefreshFailure::Permanent));
    assert_eq!(
        rt.snapshot().accounts[0].state_reason,
        Some("refresh_interrupted_by_crash")
    );
    // The single re-presentation SPEC §6 allows, and no more.
    assert_eq!(e.fake.refresh_reuse_count(), 1);
    assert!(rt.refresh(&id, None).await.is_err());
    assert_eq!(
        e.fake.refresh_calls(),
        2,
        "a needs_login account is never presented again by the background task"
    );
}

fn write_auth_json(path: &std::path::Path, t: &IssuedTokens) {
    let doc = json!({"auth_mode":"chatgpt","OPENAI_API_KEY":null,
        "tokens":{"id_token":t.id_token,"access_token":t.access_token,"refresh_token":t.refresh_token,"account_id":"acct-a"},
        "last_refresh":"2026-01-01T00:00:00Z","extra":"kept"});
    std::fs::write(path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
}

#[tokio::test]
async fn refresh_writes_back_to_a_linked_codex_auth_json() {
    let (e, issued) = env(&[("acct-a", 3600)]).await;
    let auth = e.home.path().join("auth.json");
    write_auth_json(&auth, &issued[0]);
    let mut file = AccountsFile::default();
    let mut a = stored(&issued[0]);
    a.linked_auth_json = Some(auth.clone());
    file.accounts.push(a);
    codex_router_store::save_accounts(&e.paths.accounts, &file).unwrap();
    let rt = open(&e);
    let id = rt.accounts()[0].id.clone().unwrap();
    rt.refresh(&id, None).await.unwrap();
    let doc: Value = serde_json::from_slice(&std::fs::read(&auth).unwrap()).unwrap();
    let ours = rt.accounts()[0].tokens.clone();
    assert_eq!(doc["tokens"]["refresh_token"], ours.refresh_token.expose());
    assert_eq!(doc["tokens"]["access_token"], ours.access_token.expose());
    assert_eq!(doc["extra"], "kept");
    assert_eq!(doc["auth_mode"], "chatgpt");
    assert_ne!(doc["last_refresh"], "2026-01-01T00:00:00Z");
    // Only Unix has mode bits; Windows keeps the file's inherited ACL.
    #[cfg(unix)]
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&auth).unwrap().permissions()) & 0o777,
        0o600
    );

    // The user logged Codex into another account: the file is left alone.
    let other = e.fake.add_account(FakeAccount::new("acct-b", "plus"));
    write_auth_json(&auth, &other);
    let before = std::fs::read(&auth).unwrap();
    rt.refresh(&id, None).await.unwrap();
    assert_eq!(std::fs::read(&auth).unwrap(), before);
    assert_eq!(e.fake.refresh_reuse_count(), 0);
}

#[tokio::test]
async fn tokens_refreshed_by_codex_are_adopted_not_presented_again() {
    let (e, issued) = env(&[("acct-a", 3600)]).await;
    let auth = e.home.path().join("auth.json");
    let mut file = AccountsFile::default();
    let mut a = stored(&issued[0]);
    a.linked_auth_json = Some(auth.clone());
    file.accounts.push(a);
    codex_router_store::save_accounts(&e.paths.accounts, &file).unwrap();
    // Codex refreshed on its own: its auth.json holds the next link of the chain.
    let http = codex_router_oauth::client_builder(Duration::from_secs(5))
        .no_proxy()
        .build()
        .unwrap();
    let oauth = OAuthClient::new(http, e.fake.issuer_url(), "app_EMoamEEZ73f0CkXaXp7hrann");
    let next = oauth
        .refresh(&Secret::new(issued[0].refresh_token.clone()))
        .await
        .unwrap();
    let codex_tokens = IssuedTokens {
        access_token: next.access_token.expose().to_owned(),
        refresh_token: next.refresh_token.unwrap().expose().to_owned(),
        id_token: next.id_token.unwrap().expose().to_owned(),
        expires_at_unix: 0,
    };
    write_auth_json(&auth, &codex_tokens);
    let rt = open(&e);
    let id = rt.accounts()[0].id.clone().unwrap();
    rt.refresh(&id, None).await.unwrap();
    assert_eq!(
        e.fake.refresh_calls(),
        1,
        "only Codex's own refresh reached the issuer"
    );
    assert_eq!(e.fake.refresh_reuse_count(), 0);
    assert_eq!(
        rt.accounts()[0].tokens.refresh_token.expose(),
        codex_tokens.refresh_token
    );
}

#[tokio::test]
async fn proactive_refresh_due_list() {
    let (e, _) = env(&[("fresh", 3600), ("soon", 200), ("later", 400)]).await;
    let rt = open(&e);
    let due = rt.refresh_due(rt.now());
    assert_eq!(due.len(), 1);
    assert_eq!(rt.label_of(&due[0]), "pro-2");
    let shutdown = tokio_util::sync::CancellationToken::new();
    let mut changes = rt.subscribe_changes();
    let task = tokio::spawn(rt.clone().run_proactive_refresh(shutdown.clone()));
    // Wait on the runtime's change signal until the refresh is counted, never on time.
    tokio::time::timeout(Duration::from_secs(10), async {
        while rt.snapshot().counters.refreshes < 1 {
            changes.changed().await.unwrap();
        }
    })
    .await
    .expect("the proactive refresh ran");
    shutdown.cancel();
    task.await.unwrap();
    assert_eq!(e.fake.refresh_calls(), 1);
    assert!(rt.refresh_due(rt.now()).is_empty());
}

#[tokio::test]
async fn requests_waiting_on_a_failed_refresh_share_its_failure() {
    // The answer never arrives (the token may be spent): the waiting callers must not present
    // the same refresh token again on their own.
    let (e, issued) = env(&[("acct-a", 3600)]).await;
    e.fake.script_refresh(RefreshBehavior::RotateThenDrop);
    e.fake.set_refresh_delay(Duration::from_millis(100));
    let rt = open(&e);
    let id = rt.accounts()[0].id.clone().unwrap();
    let observed = Secret::new(issued[0].access_token.clone());
    let mut tasks = Vec::new();
    for _ in 0..5 {
        let (rt, id, observed) = (rt.clone(), id.clone(), observed.clone());
        tasks.push(tokio::spawn(
            async move { rt.refresh(&id, Some(&observed)).await },
        ));
    }
    for t in tasks {
        assert!(matches!(t.await.unwrap(), Err(RefreshFailure::Transient(_))));
    }
    assert_eq!(e.fake.refresh_calls(), 1);
    assert_eq!(e.fake.refresh_reuse_count(), 0);
}

#[tokio::test]
async fn the_proactive_task_skips_an_account_a_request_refreshed_meanwhile() {
    let (e, _) = env(&[("a", 100), ("b", 100)]).await;
    e.fake.set_refresh_delay(Duration::from_millis(200));
    let rt = open(&e);
    let due = rt.refresh_due(rt.now());
    assert_eq!(due.len(), 2);
    let shutdown = tokio_util::sync::CancellationToken::new();
    let mut changes = rt.subscribe_changes();
    let task = tokio::spawn(rt.clone().run_proactive_refresh(shutdown.clone()));
    // Once the task is busy with the first account (its list already taken), a request
    // refreshes the second one.
    tokio::time::timeout(Duration::from_secs(10), async {
        while rt.snapshot().accounts[0].state_reason != Some("refreshing") {
            changes.changed().await.unwrap();
        }
    })
    .await
    .expect("the task started on the first account");
    rt.refresh(&due[1], None).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), async {
        while rt.snapshot().counters.refreshes < 2 || !rt.refresh_due(rt.now()).is_empty() {
            changes.changed().await.unwrap();
        }
    })
    .await
    .expect("both accounts refreshed");
    // The task's stagger (2 s) then brings it to the second account: it must see it is fresh.
    // From here no socket is involved unless the task wrongly refreshes (then the issuer counts
    // it), so tokio's clock is paused and auto-advances past the stagger instead of waiting it out.
    tokio::time::pause();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    shutdown.cancel();
    task.await.unwrap();
    assert_eq!(
        e.fake.refresh_calls(),
        2,
        "one refresh per account, never a second for the fresh token"
    );
}

// `not_entitled` clears when a refreshed token shows another plan, and the proactive refresh
// reaches such accounts.
#[tokio::test]
async fn a_not_entitled_account_whose_refreshed_token_shows_another_plan_is_cleared_and_persisted() {
    let (e, _) = env(&[("upgraded", 200), ("unchanged", 200)]).await;
    let rt = open(&e);
    let ids: Vec<String> = rt.accounts().iter().map(|a| a.id.clone().unwrap()).collect();
    for id in &ids {
        rt.with_pool(|p| p.account_mut(id).unwrap().status = AccountStatus::NotEntitled);
        rt.persist_status(id).await.unwrap();
    }
    assert_eq!(
        rt.refresh_due(rt.now()).len(),
        2,
        "the proactive refresh reaches not_entitled accounts"
    );
    e.fake.change_plan("upgraded", "plus");
    for id in &ids {
        rt.refresh(id, None).await.unwrap();
    }
    let status = |i: usize| rt.with_pool_read(|p| p.account(&ids[i]).unwrap().status);
    assert_eq!(status(0), AccountStatus::Ok, "another plan clears not_entitled");
    assert_eq!(status(1), AccountStatus::NotEntitled, "the same plan does not");
    let stored = file_accounts(&e);
    assert_eq!(stored[0].status, codex_router_store::StoredStatus::Ok);
    assert_eq!(stored[0].plan_type.as_deref(), Some("plus"));
    assert_eq!(stored[1].status, codex_router_store::StoredStatus::NotEntitled);
}

// A network error during refresh: `connect_failed` (the request never left) vs `no_answer` (it may
// have reached the issuer). Only the latter keeps the in-flight mark, and a later reuse is then
// labelled for what happened: no crash was involved.
#[tokio::test]
async fn a_refresh_that_could_not_connect_clears_the_in_flight_mark_and_presents_the_token_again() {
    let (e, issued) = env(&[("acct-a", 3600)]).await;
    let rt = open(&e);
    let id = rt.accounts()[0].id.clone().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let http = codex_router_oauth::client_builder(Duration::from_secs(5))
        .no_proxy()
        .build()
        .unwrap();
    rt.set_oauth(OAuthClient::new(
        http.clone(),
        format!("http://{closed}"),
        "app_EMoamEEZ73f0CkXaXp7hrann",
    ));
    assert!(matches!(
        rt.refresh(&id, None).await,
        Err(RefreshFailure::Transient(_))
    ));
    assert!(
        file_accounts(&e)[0].refresh_in_flight_since.is_none(),
        "connect_failed: the token never left, so it is not spent"
    );
    rt.set_oauth(OAuthClient::new(
        http,
        e.fake.issuer_url(),
        "app_EMoamEEZ73f0CkXaXp7hrann",
    ));
    rt.refresh(&id, None).await.unwrap();
    assert_eq!(e.fake.refresh_reuse_count(), 0);
    assert_ne!(
        file_accounts(&e)[0].tokens.refresh_token.expose(),
        issued[0].refresh_token
    );
}

#[tokio::test]
async fn a_reuse_after_a_refresh_that_got_no_answer_is_not_labelled_a_crash() {
    let (e, _) = env(&[("acct-a", 3600)]).await;
    e.fake.script_refresh(RefreshBehavior::RotateThenDrop);
    let rt = open(&e);
    let id = rt.accounts()[0].id.clone().unwrap();
    assert!(matches!(
        rt.refresh(&id, None).await,
        Err(RefreshFailure::Transient(_))
    ));
    assert!(
        file_accounts(&e)[0].refresh_in_flight_since.is_some(),
        "no_answer: the token may be spent, the mark stays"
    );
    // The same process presents it once more (no crash): the issuer says it was used.
    assert_eq!(rt.refresh(&id, None).await, Err(RefreshFailure::Permanent));
    assert_eq!(e.fake.refresh_reuse_count(), 1);
    assert_eq!(
        rt.snapshot().accounts[0].state_reason,
        Some("refresh_failed"),
        "no crash interrupted it: its answer was lost"
    );
    assert_eq!(
        rt.with_pool_read(|p| p.account(&id).unwrap().status),
        AccountStatus::NeedsLogin(NeedsLoginReason::RefreshFailed)
    );
}

// A daemon started on an empty home reports `storage: missing` only until it writes `accounts.json`
// (an import through the daemon), not until it restarts.
#[tokio::test]
async fn storage_is_ok_once_an_account_added_through_the_daemon_is_written() {
    let (e, _) = env(&[]).await;
    std::fs::remove_file(&e.paths.accounts).unwrap();
    let rt = open(&e);
    assert_eq!(rt.storage().state, "missing");
    let t = e.fake.add_account(FakeAccount::new("acct-new", "plus"));
    rt.add_account(stored(&t)).await.unwrap();
    assert!(e.paths.accounts.exists());
    assert_eq!(rt.storage().state, "ok");
    assert_eq!(rt.storage().kept_aside, None);
}

// A linked auth.json the router leaves alone is reported (for `status` and
// `doctor`), not only logged.
#[tokio::test]
async fn a_linked_auth_json_now_holding_another_account_is_reported_with_its_fix() {
    let (e, issued) = env(&[("acct-a", 3600)]).await;
    let auth = e.home.path().join("auth.json");
    write_auth_json(&auth, &issued[0]);
    let mut file = AccountsFile::default();
    let mut a = stored(&issued[0]);
    a.linked_auth_json = Some(auth.clone());
    file.accounts.push(a);
    codex_router_store::save_accounts(&e.paths.accounts, &file).unwrap();
    let rt = open(&e);
    let links = rt.codex_links();
    assert_eq!(links.len(), 1);
    assert_eq!((links[0].state, &links[0].message), ("ok", &None));

    let other = e.fake.add_account(FakeAccount::new("acct-b", "plus"));
    write_auth_json(&auth, &other);
    let links = rt.codex_links();
    assert_eq!(links[0].state, "other_account");
    assert!(links[0].message.as_deref().unwrap().contains("another account"));
    assert!(
        links[0]
            .fix
            .as_deref()
            .unwrap()
            .contains("codexctl accounts import")
    );

    std::fs::remove_file(&auth).unwrap();
    assert_eq!(rt.codex_links()[0].state, "unreadable");
}

// `state.json` writes are coalesced, at most one a second (SPEC §3): 100 state changes within
// one second cost at most two writes. Tokio's clock is paused, so the second passes without
// waiting for it.
#[tokio::test(start_paused = true)]
async fn a_hundred_state_changes_within_a_second_cost_at_most_two_state_json_writes() {
    let (e, _) = env(&[("acct-a", 3600)]).await;
    let rt = open(&e);
    let shutdown = tokio_util::sync::CancellationToken::new();
    let task = tokio::spawn(rt.clone().run_state_flusher(shutdown.clone()));
    let before = rt.state_writes();
    for _ in 0..100 {
        rt.mark_changed();
        tokio::time::advance(Duration::from_millis(10)).await;
    }
    tokio::time::advance(Duration::from_millis(1100)).await;
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    let during = rt.state_writes() - before;
    assert!(
        (1..=2).contains(&during),
        "{during} state.json writes for 100 changes in 1 s"
    );
    shutdown.cancel();
    task.await.unwrap();
    assert_eq!(rt.state_writes() - before, during + 1, "plus one at shutdown");
    assert!(e.paths.state.exists());
}

/// SPEC §6 allows one re-presentation after a crash. A second crash while that re-presentation is
/// in flight must not lead to a third: the outcome it would end in (`needs_login`,
/// `refresh_interrupted_by_crash`) is on disk before the token leaves the process.
#[tokio::test]
async fn a_second_crash_during_the_one_re_presentation_never_leads_to_a_third() {
    let (e, _) = env(&[("acct-a", 3600)]).await;
    e.fake.script_refresh(RefreshBehavior::RotateThenDrop);
    let rt = open(&e);
    let id = rt.accounts()[0].id.clone().unwrap();
    assert!(rt.refresh(&id, None).await.is_err());
    drop(rt);
    // Restart: the crash suspect's token is re-presented, and the process dies meanwhile.
    let rt = open(&e);
    e.fake.set_refresh_delay(Duration::from_secs(3600));
    let mut changes = rt.subscribe_changes();
    let task = tokio::spawn({
        let rt = rt.clone();
        let id = id.clone();
        async move { rt.refresh(&id, None).await }
    });
    tokio::time::timeout(Duration::from_secs(10), async {
        while file_accounts(&e)[0].status_reason.as_deref() != Some("refresh_interrupted_by_crash") {
            changes.changed().await.unwrap();
        }
    })
    .await
    .expect("the presumed outcome is written before the token is presented");
    task.abort();
    drop(rt);
    let calls = e.fake.refresh_calls();
    let rt = open(&e);
    assert_eq!(rt.refresh(&id, None).await, Err(RefreshFailure::Permanent));
    assert_eq!(
        rt.snapshot().accounts[0].state_reason,
        Some("refresh_interrupted_by_crash")
    );
    assert_eq!(e.fake.refresh_calls(), calls, "never presented a third time");
    assert!(e.fake.refresh_reuse_count() <= 1);
}

/// The re-presentation after a crash that succeeds (the crash had hit before the token left)
/// leaves the account as it was, with the new tokens.
#[tokio::test]
async fn a_re_presentation_the_issuer_accepts_restores_the_account() {
    let (e, _) = env(&[("acct-a", 3600)]).await;
    let rt = open(&e);
    let id = rt.accounts()[0].id.clone().unwrap();
    let now = rt.now();
    drop(rt);
    // A crash left the mark, but the token never reached the issuer.
    let mut file = AccountsFile {
        accounts: file_accounts(&e),
        ..AccountsFile::default()
    };
    file.accounts[0].refresh_in_flight_since = Some(now);
    codex_router_store::save_accounts(&e.paths.accounts, &file).unwrap();
    let rt = open(&e);
    assert_eq!(rt.crash_suspects(), vec![id.clone()]);
    rt.refresh(&id, None).await.unwrap();
    assert_eq!(
        rt.snapshot().accounts[0].state,
        codex_router_core::account::State::Ready
    );
    let stored = &file_accounts(&e)[0];
    assert_eq!(stored.status_reason, None);
    assert!(stored.refresh_in_flight_since.is_none());
    assert_eq!(e.fake.refresh_reuse_count(), 0);
}

/// SPEC §6: proactive refreshes are staggered. Three tokens due together are refreshed one
/// after another, at least the stagger apart (a lower bound only: a slow machine only widens
/// the gaps), and the daemon's stagger is the documented 2 s.
#[tokio::test]
async fn proactive_refreshes_of_tokens_due_together_are_staggered() {
    assert_eq!(codex_router_runtime::background::STAGGER, Duration::from_secs(2));
    let (e, _) = env(&[("acct-a", 60), ("acct-b", 60), ("acct-c", 60)]).await;
    let rt = open(&e);
    assert_eq!(rt.refresh_due(rt.now()).len(), 3);
    let stagger = Duration::from_millis(300);
    let shutdown = tokio_util::sync::CancellationToken::new();
    let mut changes = rt.subscribe_changes();
    let task = tokio::spawn(rt.clone().run_proactive_refresh_every(shutdown.clone(), stagger));
    let mut done_at = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), async {
        let mut seen = 0;
        while seen < 3 {
            changes.changed().await.unwrap();
            let n = rt.snapshot().counters.refreshes;
            while seen < n {
                seen += 1;
                done_at.push(std::time::Instant::now());
            }
        }
    })
    .await
    .expect("all three refreshed");
    shutdown.cancel();
    task.await.unwrap();
    for pair in done_at.windows(2) {
        assert!(
            pair[1].duration_since(pair[0]) >= stagger - Duration::from_millis(20),
            "refreshes closer than the stagger: {done_at:?}"
        );
    }
    assert_eq!(e.fake.refresh_calls(), 3);
}
