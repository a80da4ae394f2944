use codex_router_core::{Secret, Timestamp};
use codex_router_store::{AccountsFile, StoredAccount, StoredStatus, StoredTokens};
use codex_router_test_support::make_jwt;
use serde_json::json;

use super::*;
use crate::runtime::complete_all;

const NOW: Timestamp = Timestamp::from_unix_secs(1_800_000_000);

fn account(workspace: &str, user: &str, plan: &str, exp: i64, refresh: &str) -> StoredAccount {
    let claims = json!({"exp": exp, "sub": user, "email": format!("{user}@example.test"),
        "https://api.openai.com/auth": {"chatgpt_account_id": workspace, "chatgpt_user_id": user,
        "chatgpt_plan_type": plan}});
    StoredAccount::with_tokens(StoredTokens {
        access_token: Secret::new(make_jwt(&claims)),
        refresh_token: Secret::new(refresh),
        id_token: None,
        expires_at: None,
    })
}

/// Three completed accounts: pro-1, pro-2, plus-1.
fn doc() -> AccountsFile {
    let mut doc = AccountsFile::default();
    doc.accounts
        .push(account("ws-a", "u-a", "pro", 1_800_003_600, "rt-a"));
    doc.accounts
        .push(account("ws-b", "u-b", "pro", 1_800_003_600, "rt-b"));
    doc.accounts
        .push(account("ws-c", "u-c", "plus", 1_800_003_600, "rt-c"));
    complete_all(&mut doc.accounts, NOW);
    doc
}

fn labels(doc: &AccountsFile) -> Vec<&str> {
    doc.accounts.iter().filter_map(|a| a.label.as_deref()).collect()
}

#[test]
fn resolve_tries_id_then_label_then_index() {
    let mut doc = doc();
    assert_eq!(labels(&doc), ["pro-1", "pro-2", "plus-1"]);
    let id_c = doc.accounts[2].id.clone().unwrap();
    assert_eq!(resolve(&doc.accounts, &id_c), Some(2));
    assert_eq!(resolve(&doc.accounts, "pro-2"), Some(1));
    assert_eq!(resolve(&doc.accounts, "1"), Some(0));
    assert_eq!(resolve(&doc.accounts, "0"), None);
    assert_eq!(resolve(&doc.accounts, "4"), None);
    // A label that looks like an index wins over the index: labels come before indexes.
    doc.accounts[2].label = Some("1".into());
    assert_eq!(resolve(&doc.accounts, "1"), Some(2));
}

#[test]
fn label_is_validated_and_unique() {
    let mut doc = doc();
    assert!(matches!(
        set_label(&mut doc, "1", "has space"),
        Err(ManageError::InvalidLabel(_))
    ));
    assert!(matches!(
        set_label(&mut doc, "1", &"x".repeat(65)),
        Err(ManageError::InvalidLabel(_))
    ));
    assert!(matches!(
        set_label(&mut doc, "1", "pro-2"),
        Err(ManageError::LabelTaken(_))
    ));
    assert!(matches!(
        set_label(&mut doc, "9", "work"),
        Err(ManageError::NotFound(_))
    ));
    assert_eq!(labels(&doc), ["pro-1", "pro-2", "plus-1"]);
    // Its own label again is fine.
    assert_eq!(set_label(&mut doc, "pro-1", "pro-1").unwrap().label, "pro-1");
    let r = set_label(&mut doc, "2", "work.team_1-x").unwrap();
    assert_eq!(r.label, "work.team_1-x");
    assert_eq!(labels(&doc), ["pro-1", "work.team_1-x", "plus-1"]);
}

#[test]
fn enabling_clears_statuses_kept_until_re_enabled() {
    let mut doc = doc();
    doc.accounts[0].status = StoredStatus::NotEntitled;
    doc.accounts[0].status_reason = Some("not_entitled".into());
    doc.accounts[1].status = StoredStatus::DisabledByUpstream;
    doc.accounts[2].status = StoredStatus::NeedsLogin;
    set_enabled(&mut doc, "1", false).unwrap();
    assert!(!doc.accounts[0].enabled);
    assert_eq!(doc.accounts[0].status, StoredStatus::NotEntitled);
    for n in ["1", "2", "3"] {
        set_enabled(&mut doc, n, true).unwrap();
    }
    assert!(doc.accounts[0].enabled);
    assert_eq!(doc.accounts[0].status, StoredStatus::Ok);
    assert_eq!(doc.accounts[0].status_reason, None);
    assert_eq!(doc.accounts[1].status, StoredStatus::Ok);
    assert_eq!(
        doc.accounts[2].status,
        StoredStatus::NeedsLogin,
        "a dead login needs a new login"
    );
}

#[test]
fn remove_by_reference() {
    let mut doc = doc();
    let r = remove(&mut doc, "pro-2").unwrap();
    assert_eq!(r.label, "pro-2");
    assert_eq!(labels(&doc), ["pro-1", "plus-1"]);
    assert!(matches!(remove(&mut doc, "pro-2"), Err(ManageError::NotFound(_))));
}

#[test]
fn add_creates_with_derived_or_given_label() {
    let mut doc = doc();
    let a = add(
        &mut doc,
        account("ws-d", "u-d", "pro", 1_800_003_600, "rt-d"),
        NOW,
    )
    .unwrap();
    assert!(a.created);
    assert_eq!(a.label, "pro-3");
    let mut e = account("ws-e", "u-e", "team", 1_800_003_600, "rt-e");
    e.label = Some("work".into());
    let e = add(&mut doc, e, NOW).unwrap();
    assert_eq!((e.label.as_str(), e.created), ("work", true));
    let mut f = account("ws-f", "u-f", "team", 1_800_003_600, "rt-f");
    f.label = Some("work".into());
    assert!(matches!(add(&mut doc, f, NOW), Err(ManageError::LabelTaken(_))));
    assert_eq!(doc.accounts.len(), 5, "a refused add changes nothing");
    // What add returned is what completion keeps.
    let before = doc.clone();
    complete_all(&mut doc.accounts, NOW);
    assert_eq!(doc, before);
}

#[test]
fn add_merges_same_identity_keeping_fresher_tokens_and_curing_needs_login() {
    let mut doc = doc();
    let id_b = doc.accounts[1].id.clone();
    doc.accounts[1].status = StoredStatus::NeedsLogin;
    doc.accounts[1].status_reason = Some("refresh_failed".into());
    doc.accounts[1].enabled = false;
    // Older tokens of the same identity: merged, nothing replaced.
    let stale = add(
        &mut doc,
        account("ws-b", "u-b", "pro", 1_800_000_100, "rt-b-old"),
        NOW,
    )
    .unwrap();
    assert!(!stale.created);
    assert_eq!(doc.accounts[1].tokens.refresh_token, Secret::new("rt-b"));
    assert_eq!(doc.accounts[1].status, StoredStatus::NeedsLogin);
    // A new login: fresher tokens win and cure needs_login; id, position and enabled stay.
    let fresh = add(
        &mut doc,
        account("ws-b", "u-b", "pro", 1_800_007_200, "rt-b-new"),
        NOW,
    )
    .unwrap();
    assert_eq!(
        (fresh.id.clone(), fresh.label.as_str(), fresh.created),
        (id_b.clone().unwrap(), "pro-2", false)
    );
    let b = &doc.accounts[1];
    assert_eq!(b.tokens.refresh_token, Secret::new("rt-b-new"));
    assert_eq!(b.status, StoredStatus::Ok);
    assert_eq!(b.id, id_b);
    assert!(!b.enabled);
    assert_eq!(doc.accounts.len(), 3);
    // Another user of the same workspace is another account (Team seats).
    let seat = add(
        &mut doc,
        account("ws-b", "u-b2", "team", 1_800_003_600, "rt-b2"),
        NOW,
    )
    .unwrap();
    assert!(seat.created);
}

#[test]
fn add_with_new_plan_cures_not_entitled() {
    let mut doc = doc();
    doc.accounts[2].status = StoredStatus::NotEntitled;
    add(
        &mut doc,
        account("ws-c", "u-c", "plus", 1_800_007_200, "rt-c2"),
        NOW,
    )
    .unwrap();
    assert_eq!(
        doc.accounts[2].status,
        StoredStatus::NotEntitled,
        "same plan: still not entitled"
    );
    add(
        &mut doc,
        account("ws-c", "u-c", "pro", 1_800_010_000, "rt-c3"),
        NOW,
    )
    .unwrap();
    assert_eq!(doc.accounts[2].status, StoredStatus::Ok);
    assert_eq!(doc.accounts[2].plan_type.as_deref(), Some("pro"));
}

/// A status the pool set but has not copied to the file yet survives an unrelated edit, and is
/// what `enable` clears.
#[tokio::test]
async fn edits_keep_a_status_still_on_its_way_to_the_file() {
    use codex_router_core::account::AccountStatus;
    let home = tempfile::tempdir().unwrap();
    let paths = codex_router_store::RouterPaths::from_home(home.path().to_path_buf());
    paths.ensure_dirs().unwrap();
    codex_router_store::save_accounts(&paths.accounts, &doc()).unwrap();
    let http = codex_router_oauth::client_builder(std::time::Duration::from_secs(1))
        .no_proxy()
        .build()
        .unwrap();
    let rt = Runtime::open(crate::RuntimeOptions {
        paths: paths.clone(),
        pool_config: Default::default(),
        oauth: codex_router_oauth::OAuthClient::new(http, "http://127.0.0.1:9", "client"),
        clock: std::sync::Arc::new(codex_router_test_support::ManualClock::new(NOW)),
    })
    .unwrap();
    let id = rt.accounts()[0].id.clone().unwrap();
    rt.with_pool(|p| p.account_mut(&id).unwrap().status = AccountStatus::NotEntitled);
    rt.set_account_label("2", "other").await.unwrap();
    assert_eq!(
        rt.with_pool_read(|p| p.account(&id).unwrap().status),
        AccountStatus::NotEntitled
    );
    assert_eq!(rt.accounts()[0].status, StoredStatus::NotEntitled);
    rt.set_account_enabled(&id, true).await.unwrap();
    assert_eq!(
        rt.with_pool_read(|p| p.account(&id).unwrap().status),
        AccountStatus::Ok
    );
    let on_disk = match codex_router_store::load_accounts(&paths.accounts).unwrap() {
        codex_router_store::JsonLoad::Loaded(f) => f,
        _ => panic!("accounts.json unreadable"),
    };
    assert_eq!(on_disk.accounts[0].status, StoredStatus::Ok);
    assert_eq!(on_disk.accounts[1].label.as_deref(), Some("other"));
}
