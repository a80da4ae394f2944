//! Folding new accounts into the pool (SPEC §5): one account per identity, freshest tokens win.
//!
//! Two accounts are the same when their identities — (`chatgpt_account_id`, `chatgpt_user_id`
//! else `sub`), read from the stored fields or the token claims — are both known and equal, or
//! when they hold the very same refresh token. An account whose identity cannot be determined
//! is never merged on a guess (fail safe); at worst it is a visible duplicate.
//!
//! On a merge the existing account keeps its id, label and `enabled`, and takes the incoming
//! token set only if it is fresher: a later expiry, then a later `last_refresh`. The token set
//! moves as a whole, with its `last_refresh` (never an access token of one chain with the
//! refresh token of another).

use std::path::PathBuf;

use codex_router_core::Timestamp;
use codex_router_core::label::is_valid_label;
use codex_router_store::normalize::{claims_of, complete};
use codex_router_store::{AccountsFile, StoredAccount, StoredStatus};

use super::{ImportBatch, Skipped};

/// What an import did, account by account. Accounts are named by label only, never by email.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Labels of the accounts that are new to the pool.
    pub added: Vec<String>,
    /// Existing accounts that absorbed an incoming one: label, and what happened to the tokens.
    pub merged: Vec<(String, String)>,
    /// Incoming entries that changed nothing, and why.
    pub skipped: Vec<Skipped>,
    /// Accounts now linked to a Codex `auth.json`; show [`super::linked_notice`] for each.
    pub linked: Vec<(String, PathBuf)>,
}

/// [`merge_into`] for a whole [`ImportBatch`]; the entries skipped while reading lead the report.
pub fn import_into(existing: &mut AccountsFile, batch: ImportBatch, now: Timestamp) -> ImportReport {
    let mut report = merge_into(existing, batch.accounts, now);
    report.skipped.splice(0..0, batch.skipped);
    report
}

/// Adds each incoming account to `existing`, or merges it into the account with the same
/// identity (see the module docs). Every account touched is completed (ids, label, plan,
/// expiry from the claims), so the file can be written as it is.
pub fn merge_into(existing: &mut AccountsFile, incoming: Vec<StoredAccount>, now: Timestamp) -> ImportReport {
    let mut report = ImportReport::default();
    for (idx, account) in incoming.into_iter().enumerate() {
        if account.tokens.refresh_token.is_empty() {
            report
                .skipped
                .push((describe(&account, idx), "it has no refresh token".into()));
            continue;
        }
        match existing.accounts.iter().position(|e| same_account(e, &account)) {
            Some(pos) => merge_one(&mut existing.accounts, pos, account, now, &mut report),
            None => add_one(&mut existing.accounts, account, now, &mut report),
        }
    }
    report
}

fn add_one(
    pool: &mut Vec<StoredAccount>,
    mut account: StoredAccount,
    now: Timestamp,
    report: &mut ImportReport,
) {
    let (ids, labels) = taken(pool, None);
    complete(&mut account, &ids, &labels, now);
    let label = account.label.clone().unwrap_or_default();
    if let Some(path) = &account.linked_auth_json {
        report.linked.push((label.clone(), path.clone()));
    }
    report.added.push(label);
    pool.push(account);
}

fn merge_one(
    pool: &mut [StoredAccount],
    pos: usize,
    incoming: StoredAccount,
    now: Timestamp,
    report: &mut ImportReport,
) {
    let (ids, labels) = taken(pool, Some(pos));
    let target = &mut pool[pos];
    complete(target, &ids, &labels, now);
    let label = target.label.clone().unwrap_or_default();
    let same_tokens = incoming.tokens.refresh_token == target.tokens.refresh_token
        && incoming.tokens.access_token == target.tokens.access_token;
    let new_link = incoming
        .linked_auth_json
        .clone()
        .filter(|p| target.linked_auth_json.as_ref() != Some(p));
    if same_tokens && new_link.is_none() {
        report
            .skipped
            .push((label, "already in the pool with the same tokens".into()));
        return;
    }
    let mut what = Vec::new();
    if same_tokens {
        what.push("same account and tokens");
    } else if freshness(&incoming) > freshness(target) {
        adopt_tokens(target, incoming);
        what.push("same account; the incoming tokens are fresher and replace the stored ones");
    } else {
        what.push("same account; the stored tokens are fresher and were kept");
    }
    if let Some(path) = new_link {
        what.push("now linked to Codex's auth.json");
        report.linked.push((label.clone(), path.clone()));
        target.linked_auth_json = Some(path);
    }
    complete(target, &ids, &labels, now);
    report.merged.push((label, what.join("; ")));
}

/// Takes the incoming token set with its `last_refresh`. The in-flight mark was about the old
/// refresh token, and a login that needed redoing has just been redone.
fn adopt_tokens(target: &mut StoredAccount, incoming: StoredAccount) {
    target.tokens = incoming.tokens;
    target.last_refresh = incoming.last_refresh;
    target.refresh_in_flight_since = None;
    if target.status == StoredStatus::NeedsLogin {
        target.status = StoredStatus::Ok;
        target.status_reason = None;
    }
}

/// Later expiry first, then later refresh; `None` is older than any instant.
fn freshness(a: &StoredAccount) -> (Option<Timestamp>, Option<Timestamp>) {
    (claims_of(a).exp.or(a.tokens.expires_at), a.last_refresh)
}

fn same_account(a: &StoredAccount, b: &StoredAccount) -> bool {
    let same_chain = !a.tokens.refresh_token.is_empty() && a.tokens.refresh_token == b.tokens.refresh_token;
    same_chain || identity(a).is_some_and(|i| identity(b) == Some(i))
}

/// The identity from the stored fields, else the claims; `None` when either half is unknown.
/// An incoming account has not been completed yet, so its claims may still be the only source.
pub(super) fn identity(a: &StoredAccount) -> Option<(String, String)> {
    let claims = claims_of(a);
    let account = a.chatgpt_account_id.clone().or(claims.chatgpt_account_id)?;
    let user = a
        .chatgpt_user_id
        .clone()
        .or(claims.chatgpt_user_id)
        .or(claims.sub)?;
    Some((account, user))
}

/// Ids and labels in use, leaving out the account at `except` (which may keep its own).
fn taken(pool: &[StoredAccount], except: Option<usize>) -> (Vec<String>, Vec<String>) {
    let others = pool
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != except)
        .map(|(_, a)| a);
    let ids = others.clone().filter_map(|a| a.id.clone()).collect();
    let labels = others.filter_map(|a| a.label.clone()).collect();
    (ids, labels)
}

/// How to name an incoming entry that never got into the pool: its label if it has a valid
/// one, else its source and position. Never the email.
fn describe(a: &StoredAccount, idx: usize) -> String {
    match a.label.as_deref().filter(|l| is_valid_label(l)) {
        Some(label) => label.to_owned(),
        None => format!("{} entry {}", a.source.as_deref().unwrap_or("account"), idx + 1),
    }
}

#[cfg(test)]
#[path = "merge_tests.rs"]
mod tests;
