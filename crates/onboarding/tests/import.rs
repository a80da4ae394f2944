//! Imports from files on disk, the way `codexctl accounts import` runs them with the daemon
//! down: load `accounts.json`, read every source, merge, save: overlapping imports give no
//! duplicates, and corrupt or wrong-format files change nothing.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failure here is a test failure"
)]

mod common;

use std::path::{Path, PathBuf};

use codex_router_core::Timestamp;
use codex_router_onboarding::{
    ImportError, ImportReport, ImportSource, SOURCE_CODEX_AUTH, import_into, link_codex_login, read_sources,
};
use codex_router_store::{AccountsFile, AccountsLoad, load_accounts, save_accounts};
use common::{ALICE, BOB, T0, assert_no_secrets, codex_auth, multi_auth, multi_entry, refresh};

const NOW: Timestamp = Timestamp::from_unix_secs(T0 - 600);

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        let home = Self {
            dir: tempfile::tempdir().unwrap(),
        };
        save_accounts(&home.accounts_json(), &AccountsFile::default()).unwrap();
        home
    }

    fn accounts_json(&self) -> PathBuf {
        self.dir.path().join("accounts.json")
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Codex's own login, `$CODEX_HOME/auth.json`, with `$CODEX_HOME` = `codex-home/`.
    fn codex_auth_json(&self) -> PathBuf {
        self.dir.path().join("codex-home").join("auth.json")
    }

    /// Writes Codex's own login.
    fn sign_codex_in(&self, bytes: &[u8]) -> PathBuf {
        let path = self.codex_auth_json();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// The CLI's import with the daemon down: nothing is saved unless every file was read.
    fn import(&self, sources: &[ImportSource]) -> Result<ImportReport, ImportError> {
        let AccountsLoad::Loaded(mut pool) = load_accounts(&self.accounts_json()).unwrap() else {
            panic!("accounts.json should load");
        };
        let mut batch = read_sources(sources)?;
        link_codex_login(&mut batch, &self.codex_auth_json());
        let report = import_into(&mut pool, batch, NOW);
        save_accounts(&self.accounts_json(), &pool).unwrap();
        Ok(report)
    }

    fn pool(&self) -> AccountsFile {
        match load_accounts(&self.accounts_json()).unwrap() {
            AccountsLoad::Loaded(pool) => pool,
            _ => panic!("accounts.json should load"),
        }
    }
}

/// No duplicates: Codex's auth.json and a multi-auth file that share Alice give two accounts,
/// the report names the merge, and Alice keeps the fresher (multi-auth) tokens.
#[test]
fn overlapping_codex_and_multi_auth_imports_give_no_duplicates() {
    let home = Home::new();
    let auth = home.sign_codex_in(&codex_auth(ALICE, 1, T0, "2029-12-31T23:00:00Z"));
    let multi = home.write(
        "openai-codex-accounts.json",
        &multi_auth(
            3,
            vec![
                multi_entry(ALICE, 2, T0 + 3600, "alice-main"),
                multi_entry(BOB, 1, T0, "bob-work"),
            ],
        ),
    );

    let report = home
        .import(&[
            ImportSource::CodexAuth(auth.clone()),
            ImportSource::MultiAuth(multi),
        ])
        .unwrap();
    assert_eq!(report.added, ["pro-1", "bob-work"]);
    assert_eq!(
        report.merged,
        [(
            "pro-1".to_owned(),
            "same account; the incoming tokens are fresher and replace the stored ones".to_owned()
        )]
    );
    assert_eq!(report.linked, [("pro-1".to_owned(), auth.clone())]);
    assert_no_secrets(&format!("{report:?}"));

    let pool = home.pool();
    assert_eq!(pool.accounts.len(), 2);
    let alice = &pool.accounts[0];
    assert_eq!(
        alice.tokens.refresh_token.expose(),
        refresh(ALICE, 2),
        "freshest tokens win"
    );
    assert_eq!(alice.source.as_deref(), Some(SOURCE_CODEX_AUTH));
    assert_eq!(alice.linked_auth_json.as_deref(), Some(auth.as_path()));

    // Importing both again adds nothing.
    let again = home.import(&[ImportSource::CodexAuth(auth)]).unwrap();
    assert!(again.added.is_empty(), "{again:?}");
    assert_eq!(home.pool().accounts.len(), 2);
}

/// The link is followed later by the daemon, from another working directory.
#[test]
fn a_relative_path_is_made_absolute() {
    let err = read_sources(&[ImportSource::CodexAuth("no-such-dir/auth.json".into())]).unwrap_err();
    assert!(err.path.is_absolute(), "{}", err.path.display());
    assert!(err.path.ends_with("no-such-dir/auth.json"));
}

/// Every corrupt or wrong-format file is refused with an error naming it, the pool and the
/// source files are unchanged (binary-safe: even bytes that are not UTF-8).
#[test]
fn corrupt_files_change_nothing() {
    let home = Home::new();
    let good = home.write("auth.json", &codex_auth(ALICE, 1, T0, "2030-01-01T00:00:00Z"));
    let truncated = codex_auth(BOB, 1, T0, "2030-01-01T00:00:00Z");
    let cases: Vec<(&str, Vec<u8>, bool, &str)> = vec![
        (
            "truncated.json",
            truncated[..truncated.len() - 20].to_vec(),
            false,
            "ends early",
        ),
        (
            "array.json",
            b"[{\"refresh_token\":\"rt-SECRET\"}]".to_vec(),
            false,
            "found an array",
        ),
        (
            "v2.json",
            br#"{"version":2,"accounts":[]}"#.to_vec(),
            true,
            "unsupported version 2",
        ),
        (
            "apikey.json",
            br#"{"OPENAI_API_KEY":"sk-SECRET","tokens":null}"#.to_vec(),
            false,
            "API key",
        ),
        ("empty.json", Vec::new(), false, "empty"),
        (
            "latin1.json",
            b"{\"tokens\":\"rt-SECRET-\xe9\"}".to_vec(),
            false,
            "not UTF-8",
        ),
    ];
    let before = std::fs::read(home.accounts_json()).unwrap();
    let good_bytes = std::fs::read(&good).unwrap();
    for (name, bytes, multi, want) in cases {
        let bad = home.write(name, &bytes);
        let bad_source = if multi {
            ImportSource::MultiAuth(bad.clone())
        } else {
            ImportSource::CodexAuth(bad.clone())
        };
        let err = home
            .import(&[ImportSource::CodexAuth(good.clone()), bad_source])
            .unwrap_err();
        assert_eq!(err.path, bad, "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains(&bad.display().to_string()) && msg.contains(want),
            "{name}: {msg}"
        );
        assert_no_secrets(&msg);
        assert_eq!(
            std::fs::read(home.accounts_json()).unwrap(),
            before,
            "{name}: the pool changed"
        );
        assert_eq!(
            std::fs::read(&bad).unwrap(),
            bytes,
            "{name}: the source was touched"
        );
    }
    assert_eq!(std::fs::read(&good).unwrap(), good_bytes);
}

#[test]
fn a_missing_file_is_named() {
    let missing = Path::new("/nonexistent/codex/auth.json").to_owned();
    let err = read_sources(&[ImportSource::CodexAuth(missing.clone())]).unwrap_err();
    assert_eq!(err.path, missing);
    assert!(
        err.to_string()
            .starts_with("cannot import /nonexistent/codex/auth.json: cannot read it"),
        "{err}"
    );
}

// Only Codex's own `$CODEX_HOME/auth.json` is linked, to the account Codex is signed in to, by
// identity; a copy or backup of it is never linked.
#[test]
fn importing_a_copy_of_codexs_login_links_codexs_own_auth_json_never_the_copy() {
    let home = Home::new();
    let real = home.sign_codex_in(&codex_auth(ALICE, 1, T0, "2029-12-31T23:00:00Z"));
    let copy = home.write(
        "backup-auth.json",
        &codex_auth(ALICE, 1, T0, "2029-12-31T23:00:00Z"),
    );
    let other = home.write("bob-auth.json", &codex_auth(BOB, 1, T0, "2029-12-31T23:00:00Z"));
    let report = home
        .import(&[
            ImportSource::CodexAuth(copy.clone()),
            ImportSource::CodexAuth(other),
        ])
        .unwrap();
    assert_eq!(report.linked, [("pro-1".to_owned(), real.clone())]);
    let pool = home.pool();
    assert_eq!(pool.accounts[0].linked_auth_json.as_deref(), Some(real.as_path()));
    assert_eq!(
        pool.accounts[1].linked_auth_json, None,
        "Codex is not signed in to Bob"
    );
}

#[test]
fn nothing_is_linked_when_codex_is_signed_out() {
    let home = Home::new();
    let copy = home.write("auth.json", &codex_auth(ALICE, 1, T0, "2029-12-31T23:00:00Z"));
    let report = home.import(&[ImportSource::CodexAuth(copy)]).unwrap();
    assert!(report.linked.is_empty(), "{report:?}");
    assert_eq!(home.pool().accounts[0].linked_auth_json, None);
}
