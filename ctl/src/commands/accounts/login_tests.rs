use codex_router_core::Secret;
use codex_router_store::StoredTokens;
use codex_router_test_support::make_jwt;

use super::*;

/// A login's account for `workspace`/`user` on `plan`, refresh token `rt`.
fn login(workspace: &str, user: &str, plan: &str, rt: &str, label: Option<&str>) -> StoredAccount {
    let jwt = make_jwt(&json!({
        "exp": 4_000_000_000_i64,
        "sub": user,
        "https://api.openai.com/auth": {
            "chatgpt_account_id": workspace, "chatgpt_user_id": user, "chatgpt_plan_type": plan,
        },
    }));
    let mut account = StoredAccount::with_tokens(StoredTokens {
        access_token: Secret::new(jwt),
        refresh_token: Secret::new(rt.to_owned()),
        id_token: None,
        expires_at: None,
    });
    account.label = label.map(str::to_owned);
    account.source = Some("login".to_owned());
    account
}

fn add(file: &mut AccountsFile, account: StoredAccount) -> (Outcome, bool) {
    let plan = plan_of(&account);
    add_to_file(file, account, plan)
}

#[test]
fn a_new_login_is_created_with_its_plan_and_a_derived_or_requested_label() {
    let mut file = AccountsFile::default();
    let (o, save) = add(&mut file, login("ws-a", "u-a", "pro", "rt-a", None));
    assert!(o.created && save);
    assert_eq!((o.label.as_str(), o.plan.as_deref()), ("pro-1", Some("pro")));
    assert_eq!(o.id, file.accounts[0].id.clone().unwrap());
    let (o, _) = add(&mut file, login("ws-b", "u-b", "team", "rt-b", Some("work")));
    assert_eq!(
        (o.label.as_str(), o.created, o.label_taken.as_deref()),
        ("work", true, None)
    );
    assert_eq!(file.accounts.len(), 2);
}

#[test]
fn logging_in_again_merges_and_takes_a_free_requested_label() {
    let mut file = AccountsFile::default();
    add(&mut file, login("ws-a", "u-a", "pro", "rt-a1", None));
    let (o, save) = add(&mut file, login("ws-a", "u-a", "pro", "rt-a2", Some("home")));
    assert!(!o.created && save);
    assert_eq!(o.label, "home");
    assert_eq!(file.accounts.len(), 1, "same identity: merged, not duplicated");
    assert_eq!(file.accounts[0].label.as_deref(), Some("home"));
}

#[test]
fn a_label_held_by_another_account_is_not_stolen() {
    let mut file = AccountsFile::default();
    add(&mut file, login("ws-a", "u-a", "pro", "rt-a", Some("work")));
    let (o, _) = add(&mut file, login("ws-b", "u-b", "plus", "rt-b", Some("work")));
    assert!(o.created);
    assert_eq!(o.label_taken.as_deref(), Some("work"));
    assert_eq!(o.label, "plus-1");
    assert_eq!(file.accounts[0].label.as_deref(), Some("work"));
}

#[test]
fn failures_say_that_nothing_was_added_once() {
    let text = format!("{:#}", failed(LoginFlowError::InvalidLabel));
    assert!(
        text.starts_with("login failed (nothing was added): a label"),
        "{text}"
    );
    let timeout = failed(LoginFlowError::Timeout {
        waited: Duration::from_secs(600),
    });
    let text = format!("{timeout:#}");
    assert_eq!(text.matches("nothing was added").count(), 1, "{text}");
}
