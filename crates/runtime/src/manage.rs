//! Account management for the control plane (SPEC §5): resolving what the user typed to an
//! account, and the edits behind `codexctl accounts add|remove|enable|disable|label`.
//!
//! The edits are pure functions on an [`AccountsFile`], so `codexctl` can apply the very same
//! rules to the file while no daemon runs. The [`Runtime`] methods run them under the document
//! lock, so resolving the reference and changing the account are one critical section (two
//! concurrent `label` calls cannot both win), and persist through the daemon, the one writer.
//! Each pure function validates everything before it changes anything: an error leaves the
//! document untouched and nothing is written.

use codex_router_core::Timestamp;
use codex_router_core::label::is_valid_label;
use codex_router_store::{AccountsFile, StoredAccount, StoredStatus};

use crate::error::RuntimeError;
use crate::runtime::Runtime;
use codex_router_store::normalize;

/// The account an edit resolved to, as the user will see it confirmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRef {
    pub id: String,
    pub label: String,
}

/// What [`add`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Added {
    pub id: String,
    pub label: String,
    /// `false` when the record was merged into an account with the same identity.
    pub created: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    #[error("no account matches '{0}' (give an id, a label or a 1-based index)")]
    NotFound(String),
    #[error("invalid label '{0}': use 1 to 64 of the characters A-Z a-z 0-9 . _ -")]
    InvalidLabel(String),
    #[error("the label '{0}' is already used by another account")]
    LabelTaken(String),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

/// Index of the account `reference` names: an id, else a label, else a 1-based index.
pub fn resolve(accounts: &[StoredAccount], reference: &str) -> Option<usize> {
    let r = reference.trim();
    accounts
        .iter()
        .position(|a| a.id.as_deref() == Some(r))
        .or_else(|| accounts.iter().position(|a| a.label.as_deref() == Some(r)))
        .or_else(|| {
            let n = r.parse::<usize>().ok()?;
            (1..=accounts.len()).contains(&n).then(|| n - 1)
        })
}

fn find(doc: &AccountsFile, reference: &str) -> Result<usize, ManageError> {
    resolve(&doc.accounts, reference).ok_or_else(|| ManageError::NotFound(reference.to_owned()))
}

fn account_ref(a: &StoredAccount) -> AccountRef {
    AccountRef {
        id: a.id.clone().unwrap_or_default(),
        label: a.label.clone().unwrap_or_default(),
    }
}

pub fn remove(doc: &mut AccountsFile, reference: &str) -> Result<AccountRef, ManageError> {
    let idx = find(doc, reference)?;
    Ok(account_ref(&doc.accounts.remove(idx)))
}

/// Enabling also clears the statuses that SPEC §4.2 keeps "until the user re-enables the
/// account" (`not_entitled`, `disabled_by_upstream`); `needs_login` needs a login, not this.
pub fn set_enabled(
    doc: &mut AccountsFile,
    reference: &str,
    enabled: bool,
) -> Result<AccountRef, ManageError> {
    let idx = find(doc, reference)?;
    let a = &mut doc.accounts[idx];
    a.enabled = enabled;
    if enabled
        && matches!(
            a.status,
            StoredStatus::NotEntitled | StoredStatus::DisabledByUpstream
        )
    {
        a.status = StoredStatus::Ok;
        a.status_reason = None;
    }
    Ok(account_ref(a))
}

pub fn set_label(doc: &mut AccountsFile, reference: &str, label: &str) -> Result<AccountRef, ManageError> {
    let idx = find(doc, reference)?;
    check_label(doc, label, Some(idx))?;
    let a = &mut doc.accounts[idx];
    a.label = Some(label.to_owned());
    Ok(account_ref(a))
}

/// A label must be valid and not used by any account other than `except`.
fn check_label(doc: &AccountsFile, label: &str, except: Option<usize>) -> Result<(), ManageError> {
    if !is_valid_label(label) {
        return Err(ManageError::InvalidLabel(label.to_owned()));
    }
    let taken = doc
        .accounts
        .iter()
        .enumerate()
        .any(|(i, a)| Some(i) != except && a.label.as_deref() == Some(label));
    if taken {
        return Err(ManageError::LabelTaken(label.to_owned()));
    }
    Ok(())
}

/// Adds one account record, or merges it into the account with the same identity (SPEC §5:
/// duplicates are merged, keeping the freshest tokens). A merge keeps the existing id, pool
/// position and enabled flag; fresher tokens replace the old ones and cure `needs_login` (they
/// come from a new login), and a new plan cures `not_entitled`.
pub fn add(
    doc: &mut AccountsFile,
    mut incoming: StoredAccount,
    now: Timestamp,
) -> Result<Added, ManageError> {
    let given_label = incoming.label.clone().filter(|l| !l.is_empty());
    let given_linked = incoming.linked_auth_json.clone();
    let ids: Vec<String> = doc.accounts.iter().filter_map(|a| a.id.clone()).collect();
    let labels: Vec<String> = doc.accounts.iter().filter_map(|a| a.label.clone()).collect();
    let _ = normalize::complete(&mut incoming, &ids, &labels, now);
    let target = same_account(doc, &incoming);
    if let Some(label) = &given_label {
        check_label(doc, label, target)?;
    }
    let Some(idx) = target else {
        if let Some(label) = given_label {
            incoming.label = Some(label);
        }
        let added = Added {
            id: incoming.id.clone().unwrap_or_default(),
            label: incoming.label.clone().unwrap_or_default(),
            created: true,
        };
        doc.accounts.push(incoming);
        return Ok(added);
    };
    let existing = &mut doc.accounts[idx];
    let fresher = incoming.tokens.expires_at > existing.tokens.expires_at
        || (incoming.tokens.expires_at == existing.tokens.expires_at && incoming.tokens != existing.tokens);
    if fresher {
        let new_plan = incoming.plan_type.is_some() && incoming.plan_type != existing.plan_type;
        existing.tokens = incoming.tokens;
        existing.last_refresh = incoming.last_refresh.or(Some(now));
        existing.refresh_in_flight_since = None;
        let cured = match existing.status {
            StoredStatus::NeedsLogin => true,
            StoredStatus::NotEntitled => new_plan,
            StoredStatus::Ok | StoredStatus::DisabledByUpstream => false,
        };
        if cured {
            existing.status = StoredStatus::Ok;
            existing.status_reason = None;
        }
        if incoming.plan_type.is_some() {
            existing.plan_type = incoming.plan_type;
        }
    }
    if incoming.email.is_some() {
        existing.email = incoming.email;
    }
    if given_linked.is_some() {
        existing.linked_auth_json = given_linked;
    }
    if let Some(label) = given_label {
        existing.label = Some(label);
    }
    Ok(Added {
        id: existing.id.clone().unwrap_or_default(),
        label: existing.label.clone().unwrap_or_default(),
        created: false,
    })
}

/// The account `incoming` duplicates: same identity, or (for records without claims) the same
/// refresh token.
fn same_account(doc: &AccountsFile, incoming: &StoredAccount) -> Option<usize> {
    match normalize::identity_of(incoming) {
        Some(ident) => doc
            .accounts
            .iter()
            .position(|a| normalize::identity_of(a).as_ref() == Some(&ident)),
        None => doc
            .accounts
            .iter()
            .position(|a| a.tokens.refresh_token == incoming.tokens.refresh_token),
    }
}

impl Runtime {
    pub async fn remove_account(&self, reference: &str) -> Result<AccountRef, ManageError> {
        self.try_update_accounts(|doc, _| remove(doc, reference)).await
    }

    pub async fn set_account_enabled(
        &self,
        reference: &str,
        enabled: bool,
    ) -> Result<AccountRef, ManageError> {
        self.try_update_accounts(|doc, _| set_enabled(doc, reference, enabled))
            .await
    }

    pub async fn set_account_label(&self, reference: &str, label: &str) -> Result<AccountRef, ManageError> {
        self.try_update_accounts(|doc, _| set_label(doc, reference, label))
            .await
    }

    pub async fn add_account(&self, account: StoredAccount) -> Result<Added, ManageError> {
        self.try_update_accounts(|doc, now| add(doc, account, now)).await
    }

    /// Like [`Runtime::update_accounts`], but an error from `f` (which then changed nothing)
    /// skips the write.
    /// Pool statuses are copied in first (see [`Runtime::copy_pool_statuses`]), so `enable`
    /// sees the `not_entitled` it must clear.
    async fn try_update_accounts<R>(
        &self,
        f: impl FnOnce(&mut AccountsFile, Timestamp) -> Result<R, ManageError>,
    ) -> Result<R, ManageError> {
        let r = self.edit_doc(f)?;
        self.persist_accounts().await?;
        self.mark_changed();
        Ok(r)
    }
}

#[cfg(test)]
#[path = "manage_tests.rs"]
mod tests;
