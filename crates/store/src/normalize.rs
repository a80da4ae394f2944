//! Completing hand-written or imported accounts (SPEC §5): everything but the two tokens is
//! derived from the token claims or defaulted, ids are stable, labels are header-safe and never
//! taken from an email, and duplicates (same identity) collapse into the freshest one.

use codex_router_core::Timestamp;
use codex_router_core::account::{AccountStatus, NeedsLoginReason};
use codex_router_core::claims::{Claims, decode_claims};
use codex_router_core::label::{derive_label, is_valid_label};
use codex_router_core::pool::AccountMeta;
use sha2::{Digest, Sha256};

use crate::{StoredAccount, StoredStatus};

/// Claims of the id token, else of the access token.
pub fn claims_of(a: &StoredAccount) -> Claims {
    let from = |t: &str| decode_claims(t).ok();
    let id = a.tokens.id_token.as_ref().and_then(|t| from(t.expose()));
    let access = from(a.tokens.access_token.expose());
    match (id, access) {
        (Some(mut i), Some(a)) => {
            i.exp = a.exp.or(i.exp);
            i.chatgpt_account_id = i.chatgpt_account_id.or(a.chatgpt_account_id);
            i.chatgpt_user_id = i.chatgpt_user_id.or(a.chatgpt_user_id);
            i.plan_type = i.plan_type.or(a.plan_type);
            i.email = i.email.or(a.email);
            i.sub = i.sub.or(a.sub);
            i
        }
        (Some(i), None) => i,
        (None, Some(a)) => a,
        (None, None) => Claims::default(),
    }
}

/// (chatgpt_account_id, user id else `sub`): a Team's members share the account id.
pub fn identity_of(a: &StoredAccount) -> Option<(String, String)> {
    let account = a.chatgpt_account_id.clone()?;
    let user = a.chatgpt_user_id.clone().or_else(|| claims_of(a).sub)?;
    Some((account, user))
}

fn short_hash(s: &str) -> String {
    let d = Sha256::digest(s.as_bytes());
    d[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// Fills every derivable field. Returns true when anything changed (the file is rewritten).
pub fn complete(
    a: &mut StoredAccount,
    taken_ids: &[String],
    taken_labels: &[String],
    now: Timestamp,
) -> bool {
    let before = a.clone();
    let claims = claims_of(a);
    if a.chatgpt_account_id.is_none() {
        a.chatgpt_account_id = claims.chatgpt_account_id.clone();
    }
    if a.chatgpt_user_id.is_none() {
        a.chatgpt_user_id = claims.chatgpt_user_id.clone();
    }
    if claims.plan_type.is_some() && a.plan_type != claims.plan_type {
        a.plan_type = claims.plan_type.clone();
    }
    if a.email.is_none() {
        a.email = claims.email.clone();
    }
    if let Some(exp) = claims.exp {
        a.tokens.expires_at = Some(exp);
    }
    if a.id
        .as_deref()
        .is_none_or(|id| id.is_empty() || taken_ids.iter().any(|t| t == id))
    {
        let seed = identity_of(a)
            .map(|(x, y)| format!("{x}:{y}"))
            .unwrap_or_else(|| a.tokens.refresh_token.expose().to_owned());
        let mut id = short_hash(&seed);
        let mut n = 1;
        while taken_ids.contains(&id) {
            id = short_hash(&format!("{seed}#{n}"));
            n += 1;
        }
        a.id = Some(id);
    }
    let label_ok = a
        .label
        .as_deref()
        .is_some_and(|l| is_valid_label(l) && !taken_labels.iter().any(|t| t == l));
    if !label_ok {
        a.label = Some(derive_label(
            a.plan_type.as_deref(),
            taken_labels.iter().map(String::as_str),
        ));
    }
    if a.added_at.is_none() {
        a.added_at = Some(now);
    }
    if a.source.is_none() {
        a.source = Some("manual".into());
    }
    *a != before
}

/// Folds duplicates (same identity) into the first occurrence, keeping the freshest tokens.
/// Returns how many were merged away.
pub fn merge_duplicates(accounts: &mut Vec<StoredAccount>) -> usize {
    let mut out: Vec<StoredAccount> = Vec::with_capacity(accounts.len());
    let mut merged = 0;
    for a in accounts.drain(..) {
        let ident = identity_of(&a);
        match out
            .iter_mut()
            .find(|o| ident.is_some() && identity_of(o) == ident)
        {
            Some(existing) => {
                merged += 1;
                let fresher = a.tokens.expires_at > existing.tokens.expires_at
                    || (a.tokens.expires_at == existing.tokens.expires_at
                        && a.last_refresh > existing.last_refresh);
                if fresher {
                    existing.tokens = a.tokens.clone();
                    existing.last_refresh = a.last_refresh;
                    existing.refresh_in_flight_since = a.refresh_in_flight_since;
                }
            }
            None => out.push(a),
        }
    }
    *accounts = out;
    merged
}

pub fn status_of(a: &StoredAccount) -> AccountStatus {
    match a.status {
        StoredStatus::Ok => AccountStatus::Ok,
        StoredStatus::DisabledByUpstream => AccountStatus::DisabledByUpstream,
        StoredStatus::NotEntitled => AccountStatus::NotEntitled,
        StoredStatus::NeedsLogin => AccountStatus::NeedsLogin(match a.status_reason.as_deref() {
            Some("token_invalidated") => NeedsLoginReason::TokenInvalidated,
            Some("refresh_interrupted_by_crash") => NeedsLoginReason::RefreshInterruptedByCrash,
            _ => NeedsLoginReason::RefreshFailed,
        }),
    }
}

pub fn set_status(a: &mut StoredAccount, s: AccountStatus) {
    let (status, reason) = match s {
        AccountStatus::Ok => (StoredStatus::Ok, None),
        AccountStatus::DisabledByUpstream => (StoredStatus::DisabledByUpstream, Some("disabled_by_upstream")),
        AccountStatus::NotEntitled => (StoredStatus::NotEntitled, Some("not_entitled")),
        AccountStatus::NeedsLogin(r) => (StoredStatus::NeedsLogin, Some(r.as_str())),
    };
    a.status = status;
    a.status_reason = reason.map(str::to_owned);
}

pub fn meta_of(a: &StoredAccount) -> AccountMeta {
    AccountMeta {
        id: a.id.clone().unwrap_or_default(),
        label: a.label.clone().unwrap_or_default(),
        plan_type: a.plan_type.clone(),
        enabled: a.enabled,
        status: status_of(a),
    }
}
