//! A Codex `auth.json` and a codex-multi-auth v3 file that share an account import
//! without duplicates, and the report says which accounts were merged.

use std::path::{Path, PathBuf};

use codex_router_e2e::{Home, Upstream};
use codex_router_test_support::IssuedTokens;
use serde_json::{Value, json};

use crate::{assert_no_secrets, listed, no_reuse, show, start_daemon, stdout, stored};

/// A Codex CLI `auth.json` holding this login.
pub fn codex_auth(tokens: &IssuedTokens, workspace: &str) -> Value {
    json!({
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": null,
        "tokens": {
            "id_token": tokens.id_token,
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "account_id": workspace,
        },
        "last_refresh": "2025-06-01T12:00:00.123456Z",
    })
}

/// One v3 entry of the ancestor's `openai-codex-accounts.json`.
fn multi_entry(tokens: &IssuedTokens, workspace: &str, label: &str) -> Value {
    json!({
        "recordId": format!("record:{workspace}"),
        "accountId": workspace,
        "accountIdSource": "token",
        "accountLabel": label,
        "email": format!("{workspace}@example.test"),
        "refreshToken": tokens.refresh_token,
        "accessToken": tokens.access_token,
        "expiresAt": tokens.expires_at_unix * 1000,
        "addedAt": 1_750_000_000_000_i64,
        "lastUsed": 1_750_000_000_000_i64,
    })
}

pub fn write(path: &Path, doc: &Value) -> PathBuf {
    std::fs::write(path, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
    path.to_owned()
}

fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn overlapping_codex_and_multi_auth_files_merge_without_duplicates() {
    let upstream = Upstream::start();
    let home = Home::with_fake(&upstream);
    let shared = upstream.account("ws-shared", "pro");
    // A second, independent login of the same account: another token chain.
    let shared_again = upstream.fake.issue_tokens("ws-shared");
    let other = upstream.account("ws-other", "team");
    let auth = write(
        &home.codex_home().join("auth.json"),
        &codex_auth(&shared, "ws-shared"),
    );
    let mut no_refresh = multi_entry(&other, "ws-third", "third");
    no_refresh.as_object_mut().unwrap().remove("refreshToken");
    let multi = write(
        &home.root().join("openai-codex-accounts.json"),
        &json!({"version": 3, "activeIndex": 0, "accounts": [
            multi_entry(&shared_again, "ws-shared", "work"),
            multi_entry(&other, "ws-other", "team-b"),
            no_refresh,
        ]}),
    );

    let out = home.run_ctl(&["accounts", "import", arg(&auth), "--multi-auth", arg(&multi)]);
    assert!(out.status.success(), "{}", show(&out));
    let text = stdout(&out);
    assert!(text.contains("added    pro-1\n"), "{text}");
    assert!(
        text.contains("merged   pro-1: same account"),
        "the report names the merge: {text}"
    );
    assert!(text.contains("added    team-b\n"), "{text}");
    assert!(
        text.contains("skipped  ") && text.contains("no refresh token"),
        "{text}"
    );
    assert!(
        text.contains("2 added, 1 merged, 1 skipped (daemon not running"),
        "{text}"
    );
    assert!(text.contains("only refresher"), "the linked notice: {text}");
    assert_no_secrets(&text);
    let file = stored(&home);
    let accounts = file["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 2, "no duplicates: {file:#}");
    assert_eq!(accounts[0]["chatgpt_account_id"], "ws-shared");
    assert_eq!(accounts[0]["linked_auth_json"], arg(&auth));

    // Again, through the daemon: everything is known already.
    start_daemon(&home);
    let out = home.run_ctl(&[
        "accounts",
        "import",
        arg(&auth),
        "--multi-auth",
        arg(&multi),
        "--json",
    ]);
    assert!(out.status.success(), "{}", show(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["via"], "daemon");
    assert_eq!(report["added"], json!([]), "{report:#}");
    assert_eq!(listed(&home).len(), 2);

    let out = home.run_ctl(&["accounts", "refresh", "--all"]);
    assert!(out.status.success(), "the merged tokens work: {}", show(&out));
    no_reuse(&upstream);
}

#[test]
fn importing_through_the_daemon_reports_merges_by_label() {
    let upstream = Upstream::start();
    let home = Home::with_fake(&upstream);
    let first = upstream.account("ws-a", "plus");
    home.write_accounts(&[json!({"label": "mine", "tokens": {
        "access_token": first.access_token, "refresh_token": first.refresh_token}})]);
    start_daemon(&home);
    let fresher = upstream.fake.issue_tokens("ws-a");
    let new = upstream.account("ws-b", "pro");
    let multi = write(
        &home.root().join("accounts-v3.json"),
        &json!({"version": 3, "accounts": [multi_entry(&fresher, "ws-a", "renamed"), multi_entry(&new, "ws-b", "b")]}),
    );
    let out = home.run_ctl(&["accounts", "import", "--multi-auth", arg(&multi), "--json"]);
    assert!(out.status.success(), "{}", show(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["added"], json!(["b"]), "{report:#}");
    assert_eq!(
        report["merged"][0]["label"], "mine",
        "a merge keeps the pool's label: {report:#}"
    );
    let rows = listed(&home);
    let labels: Vec<&str> = rows.iter().map(|r| r["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["mine", "b"]);
    let out = home.run_ctl(&["accounts", "refresh", "--all"]);
    assert!(out.status.success(), "{}", show(&out));
    no_reuse(&upstream);
}

/// Codex can keep its login in the OS keyring, where there is no `auth.json` to import: the
/// error names the setting and what to do, instead of only "not signed in".
#[test]
fn importing_a_login_codex_keeps_in_the_keyring_names_the_setting() {
    let upstream = Upstream::start();
    let home = Home::with_fake(&upstream);
    let codex = home.root().join("codex");
    std::fs::create_dir_all(&codex).unwrap();
    std::fs::write(
        codex.join("config.toml"),
        "cli_auth_credentials_store = \"keyring\"\n",
    )
    .unwrap();
    let out = home.run_ctl(&["accounts", "import"]);
    assert!(!out.status.success(), "{}", show(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cli_auth_credentials_store") && err.contains("keyring"),
        "{}",
        show(&out)
    );
    assert!(err.contains("codexctl accounts login"), "{}", show(&out));
}
