use codex_router_store::{StoredTokens, load_accounts};

use super::*;

fn account(id: &str, label: &str) -> StoredAccount {
    let mut a = StoredAccount::with_tokens(StoredTokens {
        access_token: "at".to_owned().into(),
        refresh_token: "rt".to_owned().into(),
        id_token: None,
        expires_at: None,
    });
    a.id = Some(id.to_owned());
    a.label = Some(label.to_owned());
    a
}

fn home_with(accounts: Vec<StoredAccount>) -> (tempfile::TempDir, RouterPaths) {
    let dir = tempfile::tempdir().unwrap();
    let paths = RouterPaths::from_home(dir.path().to_owned());
    paths.ensure_dirs().unwrap();
    save_accounts(&paths.accounts, &AccountsFile { version: 1, accounts }).unwrap();
    (dir, paths)
}

fn stored(paths: &RouterPaths) -> Vec<StoredAccount> {
    match load_accounts(&paths.accounts).unwrap() {
        codex_router_store::JsonLoad::Loaded(f) => f.accounts,
        other => panic!("{other:?}"),
    }
}

#[test]
fn resolves_id_then_label_then_index() {
    // "2" is both an id and an index: the id wins.
    let accounts = vec![account("a1", "pro-1"), account("2", "team-1"), account("c3", "1")];
    assert_eq!(resolve(&accounts, "2").unwrap(), 1);
    assert_eq!(resolve(&accounts, "pro-1").unwrap(), 0);
    assert_eq!(resolve(&accounts, "1").unwrap(), 2, "label before index");
    assert_eq!(resolve(&accounts, "3").unwrap(), 2);
    assert!(resolve(&accounts, "4").is_err());
    assert!(resolve(&accounts, "0").is_err());
}

#[test]
fn edits_under_the_locks_and_writes_atomically() {
    let (_dir, paths) = home_with(vec![account("a1", "pro-1"), account("c3", "team-1")]);
    assert_eq!(
        apply(&paths, "2", &Edit::Disable).unwrap(),
        ("c3".to_owned(), "team-1".to_owned())
    );
    assert!(!stored(&paths)[1].enabled);
    apply(&paths, "team-1", &Edit::Label("work".into())).unwrap();
    assert_eq!(stored(&paths)[1].label.as_deref(), Some("work"));
    assert!(
        apply(&paths, "a1", &Edit::Label("work".into())).is_err(),
        "label taken"
    );
    assert!(apply(&paths, "a1", &Edit::Label("has space".into())).is_err());
    apply(&paths, "a1", &Edit::Remove).unwrap();
    assert_eq!(stored(&paths).len(), 1);
}

#[test]
fn enable_clears_upstream_verdicts_but_not_needs_login() {
    let mut a = account("a1", "pro-1");
    a.enabled = false;
    a.status = StoredStatus::NotEntitled;
    a.status_reason = Some("not_entitled".into());
    let mut b = account("b2", "pro-2");
    b.status = StoredStatus::NeedsLogin;
    let (_dir, paths) = home_with(vec![a, b]);
    apply(&paths, "a1", &Edit::Enable).unwrap();
    apply(&paths, "b2", &Edit::Enable).unwrap();
    let after = stored(&paths);
    assert!(after[0].enabled);
    assert_eq!(after[0].status, StoredStatus::Ok);
    assert_eq!(after[1].status, StoredStatus::NeedsLogin);
}

#[test]
fn refuses_while_the_daemon_lock_is_held() {
    let (_dir, paths) = home_with(vec![account("a1", "pro-1")]);
    let _held = try_lock(&paths.daemon_lock).unwrap().unwrap();
    let err = apply(&paths, "a1", &Edit::Disable).unwrap_err();
    assert!(err.to_string().contains("daemon.lock"), "{err}");
    assert!(stored(&paths)[0].enabled);
}

#[test]
fn reading_never_moves_a_bad_file() {
    let dir = tempfile::tempdir().unwrap();
    let paths = RouterPaths::from_home(dir.path().to_owned());
    assert!(matches!(read(&paths).unwrap(), Pool::Missing));
    std::fs::write(&paths.accounts, "  \n").unwrap();
    assert!(matches!(read(&paths).unwrap(), Pool::Empty));
    std::fs::write(&paths.accounts, "{broken").unwrap();
    assert!(read(&paths).is_err());
    assert_eq!(std::fs::read_to_string(&paths.accounts).unwrap(), "{broken");
}
