use std::path::Path;

use codex_router_core::Timestamp;
use serde_json::json;

use super::*;
use crate::fixtures::{ALICE, BOB, T0, assert_no_secrets, codex_auth, jwt, multi_auth, multi_entry, refresh};

const AUTH: &str = "/home/u/.codex/auth.json";
const MULTI: &str = "/home/u/.codex/multi-auth/openai-codex-accounts.json";

#[test]
fn codex_auth_json_becomes_one_account() {
    let bytes = codex_auth(ALICE, 1, T0, "2029-12-31T23:00:00.123456Z");
    let accounts = parse_codex_auth(Path::new(AUTH), &bytes).unwrap();
    assert_eq!(accounts.len(), 1);
    let a = &accounts[0];
    assert_eq!(a.source.as_deref(), Some(SOURCE_CODEX_AUTH));
    // Parsing never links: only Codex's own auth.json is linked, by identity.
    assert_eq!(a.linked_auth_json, None);
    assert_eq!(a.tokens.refresh_token.expose(), refresh(ALICE, 1));
    assert_eq!(a.tokens.access_token.expose(), jwt(ALICE, T0));
    assert!(a.tokens.id_token.is_some());
    assert_eq!(
        a.last_refresh,
        Some(Timestamp::parse_rfc3339("2029-12-31T23:00:00.123Z").unwrap())
    );
    assert_eq!(
        a.label, None,
        "labels are derived when the account joins the pool"
    );
}

#[test]
fn codex_account_id_is_only_a_fallback_for_tokens_without_claims() {
    let doc =
        json!({"tokens": {"access_token": "opaque", "refresh_token": "rt-SECRET", "account_id": "ws-x"}});
    let bytes = serde_json::to_vec(&doc).unwrap();
    let a = &parse_codex_auth(Path::new(AUTH), &bytes).unwrap()[0];
    assert_eq!(a.chatgpt_account_id.as_deref(), Some("ws-x"));
    assert_eq!(a.last_refresh, None, "a missing last_refresh is not an error");
}

#[test]
fn api_key_only_auth_json_is_refused_clearly() {
    for doc in [
        json!({"auth_mode": "apikey", "OPENAI_API_KEY": "sk-SECRET", "tokens": null}),
        json!({"OPENAI_API_KEY": "sk-SECRET"}),
    ] {
        let err = parse_codex_auth(Path::new(AUTH), &serde_json::to_vec(&doc).unwrap()).unwrap_err();
        assert!(matches!(err.problem, ImportProblem::ApiKeyOnly), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.contains("this auth.json holds an API key, not a ChatGPT login"),
            "{msg}"
        );
        assert!(msg.contains(AUTH), "{msg}");
        assert_no_secrets(&msg);
    }
    let err = parse_codex_auth(Path::new(AUTH), br#"{"auth_mode":"chatgpt"}"#).unwrap_err();
    assert!(matches!(err.problem, ImportProblem::NoLogin), "{err:?}");
}

#[test]
fn multi_auth_v3_takes_tokens_label_enabled_and_expiry() {
    let mut disabled = multi_entry(BOB, 1, T0 + 60, "bob-work");
    disabled["enabled"] = json!(false);
    let mut no_access = multi_entry(ALICE, 3, T0, "Not A Valid Label");
    no_access.as_object_mut().unwrap().remove("accessToken");
    let blank = json!({"refreshToken": "  ", "email": "x@example.test"});
    let bytes = multi_auth(
        3,
        vec![
            multi_entry(ALICE, 2, T0, "alice-main"),
            disabled,
            no_access,
            blank,
        ],
    );

    let (accounts, skipped) = multi_auth::parse_multi_auth_detailed(Path::new(MULTI), &bytes).unwrap();
    assert_eq!(accounts.len(), 3, "the entry without a refresh token is skipped");
    assert_eq!(
        skipped,
        vec![(
            "openai-codex-accounts.json account 4".to_owned(),
            "it has no refresh token".to_owned()
        )]
    );

    let [alice, bob, bare] = &accounts[..] else {
        unreachable!()
    };
    assert_eq!(alice.label.as_deref(), Some("alice-main"));
    assert!(alice.enabled);
    assert_eq!(alice.source.as_deref(), Some(SOURCE_MULTI_AUTH));
    assert_eq!(alice.linked_auth_json, None);
    assert_eq!(alice.tokens.expires_at, Some(Timestamp::from_unix_secs(T0)));
    assert_eq!(alice.tokens.refresh_token.expose(), refresh(ALICE, 2));
    assert_eq!(bob.label.as_deref(), Some("bob-work"));
    assert!(!bob.enabled);
    assert_eq!(
        bare.label, None,
        "an invalid label is dropped, to be derived later"
    );
    assert!(bare.tokens.access_token.is_empty());
    assert_eq!(
        bare.tokens.expires_at,
        Some(Timestamp::EPOCH),
        "due for a refresh at once"
    );
    assert_eq!(
        bare.chatgpt_account_id.as_deref(),
        Some(ALICE.account),
        "accountId as the fallback"
    );
    assert_eq!(
        bare.email.as_deref(),
        Some(ALICE.email),
        "kept as the email, never as a label"
    );
}

#[test]
fn multi_auth_never_turns_an_email_into_a_label() {
    let bytes = multi_auth(
        3,
        vec![
            multi_entry(ALICE, 1, T0, "alice"),
            multi_entry(BOB, 1, T0, BOB.email),
        ],
    );
    let accounts = parse_multi_auth(Path::new(MULTI), &bytes).unwrap();
    assert!(accounts.iter().all(|a| a.label.is_none()), "{accounts:?}");
}

#[test]
fn multi_auth_version_1_is_accepted() {
    let mut v1 = multi_entry(ALICE, 1, T0, "old");
    v1["rateLimitResetTime"] = json!(1_750_000_060_000_i64);
    let accounts = parse_multi_auth(Path::new(MULTI), &multi_auth(1, vec![v1])).unwrap();
    assert_eq!(accounts.len(), 1);
}

/// Corrupt or wrong-format input names the file and what is wrong, and never quotes the content.
#[test]
fn corrupt_and_wrong_format_files_are_described_without_content() {
    let good_auth = codex_auth(ALICE, 1, T0, "2030-01-01T00:00:00Z");
    let good_multi = multi_auth(3, vec![multi_entry(ALICE, 1, T0, "a")]);
    let truncated = &good_auth[..good_auth.len() / 2];
    let wrong_types = json!({"tokens": {"access_token": 7, "refresh_token": "rt-SECRET"}}).to_string();
    let bad_entry = json!({"version": 3, "accounts": ["rt-SECRET"]}).to_string();
    let bad_refresh = json!({"version": 3, "accounts": [{"refreshToken": 12}]}).to_string();
    let codex_cases: Vec<(&[u8], &str)> = vec![
        (truncated, "ends early"),
        (b"", "empty"),
        (b" \n", "empty"),
        (b"[\"rt-SECRET\"]", "found an array"),
        (b"{\"tokens\": rt-SECRET}", "syntax error at line 1 column 12"),
        (b"\xff\xfe{}", "not UTF-8"),
        (&good_multi, "pass it with --multi-auth"),
        (wrong_types.as_bytes(), "`tokens.access_token` must be a string"),
        (br#"{"tokens": ["rt-SECRET"]}"#, "`tokens` must be an object"),
        (
            br#"{"tokens": {"access_token": "a"}}"#,
            "`tokens.refresh_token` is missing or empty",
        ),
    ];
    for (bytes, want) in codex_cases {
        let msg = parse_codex_auth(Path::new(AUTH), bytes).unwrap_err().to_string();
        assert!(msg.starts_with(&format!("cannot import {AUTH}: ")), "{msg}");
        assert!(msg.contains(want), "want `{want}` in: {msg}");
        assert_no_secrets(&msg);
    }
    let multi_cases: Vec<(&[u8], &str)> = vec![
        (br#"{"version": 2, "accounts": []}"#, "unsupported version 2"),
        (
            br#"{"version": "3", "accounts": []}"#,
            "`version` must be the number 1 or 3",
        ),
        (br#"{"accounts": []}"#, "`version` is missing"),
        (br#"{"version": 3}"#, "`accounts` is missing"),
        (
            br#"{"version": 3, "accounts": {}}"#,
            "`accounts` must be an array",
        ),
        (bad_entry.as_bytes(), "`accounts[0]` must be an object"),
        (
            bad_refresh.as_bytes(),
            "`accounts[0].refreshToken` must be a string",
        ),
        (&good_auth, "pass it without --multi-auth"),
        (b"[]", "found an array"),
    ];
    for (bytes, want) in multi_cases {
        let msg = parse_multi_auth(Path::new(MULTI), bytes).unwrap_err().to_string();
        assert!(msg.starts_with(&format!("cannot import {MULTI}: ")), "{msg}");
        assert!(msg.contains(want), "want `{want}` in: {msg}");
        assert!(msg.ends_with("nothing was imported"), "{msg}");
        assert_no_secrets(&msg);
    }
}

#[test]
fn a_byte_order_mark_is_tolerated() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(codex_auth(ALICE, 1, T0, "2030-01-01T00:00:00Z"));
    assert_eq!(parse_codex_auth(Path::new(AUTH), &bytes).unwrap().len(), 1);
}

#[test]
fn linked_notice_says_who_refreshes_and_where_it_writes() {
    let text = linked_notice("pro-1", Path::new(AUTH));
    assert!(text.contains("pro-1"), "{text}");
    assert!(text.contains("only refresher"), "{text}");
    assert!(
        text.contains(&format!("writes each refreshed token set back into {AUTH}")),
        "{text}"
    );
    assert!(text.contains("same account"), "{text}");
}

#[test]
fn debug_of_import_types_shows_no_token_or_email() {
    let accounts = parse_multi_auth(
        Path::new(MULTI),
        &multi_auth(3, vec![multi_entry(ALICE, 1, T0, "a")]),
    )
    .unwrap();
    let batch = ImportBatch {
        accounts,
        skipped: vec![("x entry 1".into(), "it has no refresh token".into())],
    };
    assert_no_secrets(&format!("{batch:?}"));
    assert_no_secrets(&format!("{:?}", ImportSource::CodexAuth(AUTH.into())));
    let err = parse_codex_auth(Path::new(AUTH), br#"{"OPENAI_API_KEY":"sk-SECRET"}"#).unwrap_err();
    assert_no_secrets(&format!("{err:?}"));
}
