use std::path::Path;

use codex_router_core::{Secret, Timestamp};
use codex_router_store::{StoredStatus, StoredTokens};

use super::*;
use crate::fixtures::{ALICE, BOB, T0, TEAM_A, TEAM_B, Who, assert_no_secrets, jwt, refresh};
use crate::import::{SOURCE_CODEX_AUTH, SOURCE_MULTI_AUTH};

const NOW: Timestamp = Timestamp::from_unix_secs(T0 - 600);
const AUTH: &str = "/home/u/.codex/auth.json";

/// An incoming account of `who` on refresh chain `chain`, its access token expiring at `exp`.
fn incoming(who: Who, chain: u32, exp: i64, source: &str) -> StoredAccount {
    let mut a = StoredAccount::with_tokens(StoredTokens {
        access_token: Secret::new(jwt(who, exp)),
        refresh_token: Secret::new(refresh(who, chain)),
        id_token: Some(Secret::new(jwt(who, exp))),
        expires_at: None,
    });
    a.source = Some(source.to_owned());
    a
}

fn linked(mut a: StoredAccount) -> StoredAccount {
    a.linked_auth_json = Some(AUTH.into());
    a
}

fn pool(accounts: Vec<StoredAccount>) -> AccountsFile {
    let mut file = AccountsFile::default();
    merge_into(&mut file, accounts, NOW);
    file
}

/// A Codex auth.json and a multi-auth file with overlapping accounts give no duplicates, the report
/// says which merged, and the freshest tokens win.
#[test]
fn overlapping_imports_merge_by_identity_and_freshest_tokens_win() {
    let mut file = AccountsFile::default();
    let from_codex = linked(incoming(ALICE, 1, T0, SOURCE_CODEX_AUTH));
    let report = merge_into(&mut file, vec![from_codex], NOW);
    assert_eq!(report.added, vec!["pro-1".to_owned()]);
    assert_eq!(report.linked, vec![("pro-1".to_owned(), AUTH.into())]);

    let fresher = incoming(ALICE, 2, T0 + 3600, SOURCE_MULTI_AUTH);
    let report = merge_into(
        &mut file,
        vec![fresher, incoming(BOB, 1, T0, SOURCE_MULTI_AUTH)],
        NOW,
    );
    assert_eq!(report.added, vec!["plus-1".to_owned()]);
    assert_eq!(
        report.merged,
        vec![(
            "pro-1".to_owned(),
            "same account; the incoming tokens are fresher and replace the stored ones".to_owned()
        )]
    );
    assert_eq!(file.accounts.len(), 2, "no duplicate");
    let alice = &file.accounts[0];
    assert_eq!(alice.tokens.refresh_token.expose(), refresh(ALICE, 2));
    assert_eq!(
        alice.tokens.expires_at,
        Some(Timestamp::from_unix_secs(T0 + 3600))
    );
    assert_eq!(
        alice.linked_auth_json.as_deref(),
        Some(Path::new(AUTH)),
        "the link stays"
    );
    assert_eq!(
        alice.source.as_deref(),
        Some(SOURCE_CODEX_AUTH),
        "the existing record is kept"
    );

    // An older chain of the same account changes nothing but says so.
    let report = merge_into(&mut file, vec![incoming(ALICE, 1, T0, SOURCE_MULTI_AUTH)], NOW);
    assert_eq!(
        report.merged[0].1,
        "same account; the stored tokens are fresher and were kept"
    );
    assert_eq!(file.accounts[0].tokens.refresh_token.expose(), refresh(ALICE, 2));
}

/// A token set moves as a whole, with its `last_refresh`; equal expiries are decided by the later
/// refresh.
#[test]
fn equal_expiry_is_decided_by_last_refresh_and_the_bundle_moves_whole() {
    let mut stored = incoming(ALICE, 1, T0, SOURCE_CODEX_AUTH);
    stored.last_refresh = Some(Timestamp::from_unix_secs(T0 - 7200));
    let mut file = pool(vec![stored]);

    let mut newer = incoming(ALICE, 2, T0, SOURCE_MULTI_AUTH);
    newer.last_refresh = Some(Timestamp::from_unix_secs(T0 - 3600));
    newer.tokens.id_token = None;
    merge_into(&mut file, vec![newer.clone()], NOW);
    let alice = &file.accounts[0];
    assert_eq!(alice.tokens.refresh_token, newer.tokens.refresh_token);
    assert_eq!(alice.tokens.access_token, newer.tokens.access_token);
    assert_eq!(
        alice.tokens.id_token, None,
        "no id token of the other chain survives"
    );
    assert_eq!(alice.last_refresh, newer.last_refresh);

    let mut older = incoming(ALICE, 3, T0, SOURCE_MULTI_AUTH);
    older.last_refresh = Some(Timestamp::from_unix_secs(T0 - 7200));
    merge_into(&mut file, vec![older], NOW);
    assert_eq!(file.accounts[0].tokens.refresh_token, newer.tokens.refresh_token);
}

#[test]
fn a_merge_keeps_the_existing_id_label_and_enabled() {
    let mut file = pool(vec![incoming(ALICE, 1, T0, SOURCE_CODEX_AUTH)]);
    file.accounts[0].label = Some("mine".into());
    file.accounts[0].enabled = false;
    let id = file.accounts[0].id.clone();
    let mut renamed = incoming(ALICE, 2, T0 + 60, SOURCE_MULTI_AUTH);
    renamed.label = Some("other".into());
    let report = merge_into(&mut file, vec![renamed], NOW);
    assert_eq!(report.merged[0].0, "mine");
    assert_eq!(file.accounts[0].id, id);
    assert_eq!(file.accounts[0].label.as_deref(), Some("mine"));
    assert!(!file.accounts[0].enabled);
}

#[test]
fn team_members_sharing_a_workspace_stay_separate() {
    let file = pool(vec![
        incoming(TEAM_A, 1, T0, "login"),
        incoming(TEAM_B, 1, T0, "login"),
    ]);
    let labels: Vec<_> = file.accounts.iter().map(|a| a.label.clone().unwrap()).collect();
    assert_eq!(labels, ["team-1", "team-2"]);
}

/// Fail safe: an identity that cannot be determined is never taken for a match.
#[test]
fn accounts_without_identity_are_never_merged_on_a_guess() {
    let opaque = |rt: &str| {
        StoredAccount::with_tokens(StoredTokens {
            access_token: Secret::new("opaque"),
            refresh_token: Secret::new(rt),
            id_token: None,
            expires_at: None,
        })
    };
    let mut file = pool(vec![opaque("rt-SECRET-1")]);
    let report = merge_into(
        &mut file,
        vec![opaque("rt-SECRET-2"), incoming(ALICE, 1, T0, "login")],
        NOW,
    );
    assert_eq!(report.added.len(), 2);
    assert_eq!(file.accounts.len(), 3);
    // The very same refresh token is the same chain, identity or not.
    let report = merge_into(&mut file, vec![opaque("rt-SECRET-1")], NOW);
    assert_eq!(
        report.skipped,
        vec![(
            "account-1".to_owned(),
            "already in the pool with the same tokens".to_owned()
        )]
    );
    assert_eq!(file.accounts.len(), 3);
}

#[test]
fn fresher_tokens_revive_an_account_that_needed_a_login() {
    let mut file = pool(vec![incoming(ALICE, 1, T0, "login")]);
    let a = &mut file.accounts[0];
    a.status = StoredStatus::NeedsLogin;
    a.status_reason = Some("refresh_failed".into());
    a.refresh_in_flight_since = Some(NOW);
    merge_into(&mut file, vec![incoming(ALICE, 2, T0 + 60, "login")], NOW);
    let a = &file.accounts[0];
    assert_eq!((a.status, a.status_reason.as_deref()), (StoredStatus::Ok, None));
    assert_eq!(
        a.refresh_in_flight_since, None,
        "the mark was about the replaced token"
    );
}

#[test]
fn importing_codex_auth_over_a_fresher_account_links_it_and_says_so() {
    let mut file = pool(vec![incoming(ALICE, 2, T0 + 60, "login")]);
    let report = merge_into(
        &mut file,
        vec![linked(incoming(ALICE, 1, T0, SOURCE_CODEX_AUTH))],
        NOW,
    );
    assert_eq!(
        report.merged[0].1,
        "same account; the stored tokens are fresher and were kept; now linked to Codex's auth.json"
    );
    assert_eq!(report.linked, vec![("pro-1".to_owned(), AUTH.into())]);
    assert_eq!(
        file.accounts[0].linked_auth_json.as_deref(),
        Some(Path::new(AUTH))
    );
    // Importing the same file again changes nothing.
    let report = merge_into(
        &mut file,
        vec![linked(incoming(ALICE, 2, T0 + 60, SOURCE_CODEX_AUTH))],
        NOW,
    );
    assert_eq!(report.skipped.len(), 1, "{report:?}");
    assert!(report.merged.is_empty() && report.linked.is_empty());
}

#[test]
fn entries_without_refresh_token_are_skipped_by_label_or_position() {
    let mut blank = incoming(BOB, 1, T0, SOURCE_MULTI_AUTH);
    blank.tokens.refresh_token = Secret::default();
    let mut labelled = blank.clone();
    labelled.label = Some("bob-work".into());
    let mut file = AccountsFile::default();
    let report = merge_into(&mut file, vec![blank, labelled], NOW);
    assert!(file.accounts.is_empty());
    let descs: Vec<_> = report.skipped.iter().map(|(d, _)| d.as_str()).collect();
    assert_eq!(descs, ["import:multi-auth entry 1", "bob-work"]);
}

#[test]
fn import_into_reports_file_skips_first() {
    let batch = ImportBatch {
        accounts: vec![incoming(BOB, 1, T0, SOURCE_MULTI_AUTH)],
        skipped: vec![("f account 2".into(), "it has no refresh token".into())],
    };
    let report = import_into(&mut AccountsFile::default(), batch, NOW);
    assert_eq!(report.added, ["plus-1"]);
    assert_eq!(report.skipped[0].0, "f account 2");
}

#[test]
fn reports_and_pools_name_accounts_by_label_only() {
    let mut file = AccountsFile::default();
    let report = merge_into(
        &mut file,
        vec![
            incoming(ALICE, 1, T0, "login"),
            incoming(ALICE, 2, T0 + 1, "login"),
            incoming(ALICE, 2, T0 + 1, "login"),
        ],
        NOW,
    );
    assert_no_secrets(&format!("{report:?}"));
    assert_no_secrets(&format!("{file:?}"));
    assert_eq!(
        file.accounts[0].email.as_deref(),
        Some(ALICE.email),
        "completed from the claims"
    );
    assert_eq!(file.accounts[0].label.as_deref(), Some("pro-1"));
}
