//! The ancestor's pool, codex-multi-auth's `openai-codex-accounts.json`, version 3 (and the
//! older version 1, whose account records have the same token fields).
//!
//! Only what the router can use is taken: the tokens, `expiresAt` (milliseconds), `enabled`,
//! and `accountLabel` when it is a valid label. Cooldowns, rate-limit resets and the active
//! index describe the ancestor's state, not the account, and are dropped. An entry without a
//! refresh token is skipped (the ancestor drops those on load too). The email is kept only in
//! the `email` field, never in a label (SPEC §5).

use std::path::Path;

use codex_router_core::label::is_valid_label;
use codex_router_core::{Secret, Timestamp};
use codex_router_store::normalize::claims_of;
use codex_router_store::{StoredAccount, StoredTokens};
use serde_json::{Map, Value};

use super::json::{lenient_i64, lenient_str, opt_str, parse_object};
use super::{SOURCE_MULTI_AUTH, Skipped, import_error};
use crate::error::{ImportError, ImportProblem};

/// The accounts of a codex-multi-auth accounts file that have a refresh token.
pub fn parse_multi_auth(path: &Path, bytes: &[u8]) -> Result<Vec<StoredAccount>, ImportError> {
    parse_multi_auth_detailed(path, bytes).map(|(accounts, _)| accounts)
}

/// [`parse_multi_auth`], plus the entries it skipped and why, for the import report.
pub(crate) fn parse_multi_auth_detailed(
    path: &Path,
    bytes: &[u8],
) -> Result<(Vec<StoredAccount>, Vec<Skipped>), ImportError> {
    read(path, bytes).map_err(|problem| import_error(path, problem))
}

fn read(path: &Path, bytes: &[u8]) -> Result<(Vec<StoredAccount>, Vec<Skipped>), ImportProblem> {
    let doc = parse_object(bytes)?;
    check_version(&doc)?;
    let entries = match doc.get("accounts") {
        Some(Value::Array(entries)) => entries,
        None => return Err(ImportProblem::field("accounts", "is missing")),
        Some(_) => return Err(ImportProblem::field("accounts", "must be an array")),
    };
    let file_name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut accounts = Vec::new();
    let mut skipped = Vec::new();
    for (idx, entry) in entries.iter().enumerate() {
        let Value::Object(entry) = entry else {
            return Err(ImportProblem::field(
                format!("accounts[{idx}]"),
                "must be an object",
            ));
        };
        match account(entry, idx)? {
            Some(account) => accounts.push(account),
            None => skipped.push((
                format!("{file_name} account {}", idx + 1),
                "it has no refresh token".to_owned(),
            )),
        }
    }
    Ok((accounts, skipped))
}

/// Version 1 or 3: the only versions the ancestor itself loads (its §5.2), so any other number
/// is not a file it wrote, and its account shape is unknown.
fn check_version(doc: &Map<String, Value>) -> Result<(), ImportProblem> {
    match doc.get("version") {
        Some(Value::Number(n)) if matches!(n.as_u64(), Some(1 | 3)) => Ok(()),
        Some(Value::Number(n)) => Err(ImportProblem::UnsupportedVersion { found: n.to_string() }),
        Some(_) => Err(ImportProblem::field("version", "must be the number 1 or 3")),
        None if doc.contains_key("tokens") => Err(ImportProblem::LooksLikeCodexAuth),
        None => Err(ImportProblem::field("version", "is missing (expected 1 or 3)")),
    }
}

/// One entry, or `None` when it has no refresh token.
fn account(entry: &Map<String, Value>, idx: usize) -> Result<Option<StoredAccount>, ImportProblem> {
    let field = |key: &str| format!("accounts[{idx}].{key}");
    let Some(refresh) = opt_str(entry, "refreshToken", || field("refreshToken"))? else {
        return Ok(None);
    };
    let access = opt_str(entry, "accessToken", || field("accessToken"))?;
    // Without an access token the account is due for a refresh at once; an expiry at the
    // epoch says so to the daemon, which then refreshes before first use.
    let expires_at = match access {
        Some(_) => lenient_i64(entry, "expiresAt").map(Timestamp::from_unix_ms),
        None => Some(Timestamp::EPOCH),
    };
    let mut account = StoredAccount::with_tokens(StoredTokens {
        access_token: Secret::new(access.unwrap_or_default()),
        refresh_token: Secret::new(refresh),
        id_token: None,
        expires_at,
    });
    account.source = Some(SOURCE_MULTI_AUTH.to_owned());
    account.enabled = entry.get("enabled").and_then(Value::as_bool).unwrap_or(true);
    let email = lenient_str(entry, "email");
    account.label = lenient_str(entry, "accountLabel")
        .filter(|l| is_valid_label(l) && !is_email_derived(l, email))
        .map(str::to_owned);
    let claims = claims_of(&account);
    if claims.chatgpt_account_id.is_none() {
        account.chatgpt_account_id = lenient_str(entry, "accountId").map(str::to_owned);
    }
    if claims.email.is_none() {
        account.email = email.map(str::to_owned);
    }
    Ok(Some(account))
}

/// A label that is the account's email, or its local part, would put the email in headers
/// and status output; such a label is dropped and one is derived from the plan instead.
fn is_email_derived(label: &str, email: Option<&str>) -> bool {
    let Some(email) = email else { return false };
    let local = email.split('@').next().unwrap_or(email);
    label.eq_ignore_ascii_case(email) || label.eq_ignore_ascii_case(local)
}
