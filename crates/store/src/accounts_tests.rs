use std::fs;

use proptest::prelude::*;

use super::*;

const MINIMAL: &str = r#"{"version": 1, "accounts": [
  {"tokens": {"access_token": "at-secret-1", "refresh_token": "rt-secret-1"}}
]}"#;

fn full_account() -> StoredAccount {
    StoredAccount {
        id: Some("a1b2c3".into()),
        label: Some("pro-1".into()),
        email: Some("alice@example.com".into()),
        chatgpt_account_id: Some("acct-123".into()),
        chatgpt_user_id: Some("user-456".into()),
        plan_type: Some("pro".into()),
        tokens: StoredTokens {
            access_token: Secret::new("at-very-secret"),
            refresh_token: Secret::new("rt-very-secret"),
            id_token: Some(Secret::new("idt-very-secret")),
            expires_at: Some(Timestamp::from_unix_ms(1_789_435_516_123)),
        },
        enabled: false,
        status: StoredStatus::NeedsLogin,
        status_reason: Some("refresh_interrupted_by_crash".into()),
        refresh_in_flight_since: Some(Timestamp::from_unix_secs(1_789_000_000)),
        added_at: Some(Timestamp::from_unix_secs(1_700_000_000)),
        last_refresh: Some(Timestamp::from_unix_secs(1_789_000_001)),
        source: Some("import:codex-auth".into()),
        linked_auth_json: Some(PathBuf::from("/home/alice/.codex/auth.json")),
    }
}

fn write(dir: &tempfile::TempDir, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join("accounts.json");
    fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn a_minimal_hand_written_file_loads_with_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, MINIMAL.as_bytes());
    let AccountsLoad::Loaded(file) = load_accounts(&path).unwrap() else {
        panic!("not loaded")
    };
    assert_eq!(file.version, 1);
    let expected = StoredAccount::with_tokens(StoredTokens {
        access_token: Secret::new("at-secret-1"),
        refresh_token: Secret::new("rt-secret-1"),
        id_token: None,
        expires_at: None,
    });
    assert_eq!(file.accounts, [expected]);
    assert!(file.accounts[0].enabled);
    assert_eq!(file.accounts[0].status, StoredStatus::Ok);
}

#[test]
fn no_accounts_key_means_an_empty_pool() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, br#"{"version":1}"#);
    assert_eq!(
        load_accounts(&path).unwrap(),
        AccountsLoad::Loaded(AccountsFile::default())
    );
}

#[test]
fn unknown_fields_are_tolerated() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        br#"{"version":1,"future":{"x":1},"accounts":[{"tokens":{"access_token":"a","refresh_token":"r","kid":"k"},"color":"blue"}]}"#,
    );
    assert!(matches!(load_accounts(&path).unwrap(), AccountsLoad::Loaded(f) if f.accounts.len() == 1));
}

#[test]
fn full_round_trip_writes_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("accounts.json");
    let mut minimal = StoredAccount::with_tokens(full_account().tokens);
    minimal.tokens.id_token = None;
    let file = AccountsFile {
        version: 1,
        accounts: vec![full_account(), minimal],
    };
    save_accounts(&path, &file).unwrap();
    assert_eq!(load_accounts(&path).unwrap(), AccountsLoad::Loaded(file));

    let text = fs::read_to_string(&path).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let second = json["accounts"][1].as_object().unwrap();
    for key in [
        "id",
        "label",
        "email",
        "chatgpt_account_id",
        "chatgpt_user_id",
        "plan_type",
        "tokens",
        "enabled",
        "status",
        "status_reason",
        "refresh_in_flight_since",
        "added_at",
        "last_refresh",
        "source",
        "linked_auth_json",
    ] {
        assert!(second.contains_key(key), "{key} not written back");
    }
    assert_eq!(second["status"], "ok");
    assert!(second["id"].is_null());
    assert!(second["tokens"]["id_token"].is_null());
    assert_eq!(json["accounts"][0]["status"], "needs_login");
    assert_eq!(
        json["accounts"][0]["tokens"]["expires_at"],
        "2026-09-15T01:25:16.123Z"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
}

#[test]
fn debug_shows_neither_tokens_nor_email() {
    let account = full_account();
    let debug = format!(
        "{account:?} {:?}",
        AccountsFile {
            version: 1,
            accounts: vec![account.clone()]
        }
    );
    for needle in ["very-secret", "alice@", "example.com"] {
        assert!(!debug.contains(needle), "{needle} leaked: {debug}");
    }
    assert!(debug.contains("pro-1"));
}

#[test]
fn missing_and_empty_files_are_not_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("accounts.json");
    assert_eq!(load_accounts(&path).unwrap(), AccountsLoad::Missing);
    for bytes in [&b""[..], b"\n", b"  \r\n\t "] {
        fs::write(&path, bytes).unwrap();
        assert_eq!(load_accounts(&path).unwrap(), AccountsLoad::Empty);
        assert_eq!(fs::read(&path).unwrap(), bytes, "an empty file is left alone");
    }
}

/// Each corrupt variant is kept aside byte for byte, with a reason that quotes nothing.
#[test]
fn corrupt_files_are_kept_aside_intact_with_a_reason() {
    let truncated = &MINIMAL.as_bytes()[..MINIMAL.len() - 20];
    let cases: [(&str, &[u8], &str); 8] = [
        ("truncated", truncated, "ends early"),
        ("wrong version", br#"{"version":2,"accounts":[]}"#, "unsupported version 2"),
        ("version as string", br#"{"version":"1","accounts":[]}"#, "`version` must be the number 1"),
        ("no version", br#"{"accounts":[]}"#, "missing field `version`"),
        (
            "token of wrong type",
            br#"{"version":1,"accounts":[{"tokens":{"access_token":42,"refresh_token":"rt-secret-1"}}]}"#,
            "invalid type: an integer, expected a string",
        ),
        (
            "missing refresh token",
            br#"{"version":1,"accounts":[{"tokens":{"access_token":"at-secret-1"}}]}"#,
            "missing field `refresh_token`",
        ),
        (
            "enabled of wrong type",
            br#"{"version":1,"accounts":[{"tokens":{"access_token":"at-secret-1","refresh_token":"r"},"enabled":"yes"}]}"#,
            "expected a boolean",
        ),
        ("garbage", b"\x00\xffat-secret-1 not json", "not valid JSON"),
    ];
    for (name, bytes, expected_reason) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, bytes);
        let AccountsLoad::Corrupt { kept_aside, reason } = load_accounts(&path).unwrap() else {
            panic!("{name}: not reported corrupt");
        };
        assert!(reason.contains(expected_reason), "{name}: {reason}");
        assert!(
            !reason.contains("secret"),
            "{name}: reason quotes the file: {reason}"
        );
        assert_eq!(fs::read(&kept_aside).unwrap(), bytes, "{name}: bytes changed");
        assert!(!path.exists(), "{name}: original left in place");
        let kept_name = kept_aside.file_name().unwrap().to_str().unwrap();
        assert!(kept_name.starts_with("accounts.json.corrupt-"), "{kept_name}");
        assert_eq!(kept_aside.parent(), path.parent());
    }
}

#[test]
fn a_second_corruption_does_not_overwrite_the_first_copy() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, b"first broken");
    let AccountsLoad::Corrupt {
        kept_aside: first, ..
    } = load_accounts(&path).unwrap()
    else {
        panic!()
    };
    write(&dir, b"second broken");
    let AccountsLoad::Corrupt {
        kept_aside: second, ..
    } = load_accounts(&path).unwrap()
    else {
        panic!()
    };
    assert_ne!(first, second);
    assert_eq!(fs::read(&first).unwrap(), b"first broken");
    assert_eq!(fs::read(&second).unwrap(), b"second broken");
}

fn opt<T: std::fmt::Debug>(s: impl Strategy<Value = T>) -> impl Strategy<Value = Option<T>> {
    proptest::option::of(s)
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    (0i64..=253_402_300_799_999).prop_map(Timestamp::from_unix_ms)
}

fn status() -> impl Strategy<Value = StoredStatus> {
    prop_oneof![
        Just(StoredStatus::Ok),
        Just(StoredStatus::NeedsLogin),
        Just(StoredStatus::DisabledByUpstream),
        Just(StoredStatus::NotEntitled),
    ]
}

prop_compose! {
    fn tokens()(at in ".*", rt in ".*", idt in opt(".*"), exp in opt(timestamp())) -> StoredTokens {
        StoredTokens {
            access_token: Secret::new(at),
            refresh_token: Secret::new(rt),
            id_token: idt.map(Secret::new),
            expires_at: exp,
        }
    }
}

prop_compose! {
    fn account()(
        ids in (opt(".*"), opt("[a-z0-9._-]{1,64}"), opt(".*"), opt(".*"), opt(".*"), opt(".*")),
        tokens in tokens(),
        enabled in any::<bool>(),
        status in status(),
        status_reason in opt(".*"),
        times in (opt(timestamp()), opt(timestamp()), opt(timestamp())),
        source in opt(".*"),
        linked in opt("[a-zA-Z0-9 /._-]{1,40}"),
    ) -> StoredAccount {
        StoredAccount {
            id: ids.0, label: ids.1, email: ids.2, chatgpt_account_id: ids.3, chatgpt_user_id: ids.4,
            plan_type: ids.5, tokens, enabled, status, status_reason,
            refresh_in_flight_since: times.0, added_at: times.1, last_refresh: times.2,
            source, linked_auth_json: linked.map(PathBuf::from),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn accounts_file_round_trips(accounts in proptest::collection::vec(account(), 0..4)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.json");
        let file = AccountsFile { version: 1, accounts };
        save_accounts(&path, &file).unwrap();
        prop_assert_eq!(load_accounts(&path).unwrap(), AccountsLoad::Loaded(file));
    }
}
