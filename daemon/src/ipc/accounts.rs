//! `accounts.*`: listing, adding, removing, enabling, disabling, labelling, refreshing.
//!
//! Account references (`"account"`) are an id, a label or a 1-based index, resolved in that
//! order (SPEC §5) by the runtime under its document lock. Every change is persisted by the
//! runtime before the reply, so a `codexctl` that sees "done" can rely on it.

use codex_router_core::account::State;
use codex_router_ipc::RpcError;
use codex_router_ipc::protocol::ErrorCode;
use codex_router_ipc::protocol::methods::{
    self, AccountListRow, AccountParams, AccountResult, AccountsList, AddAccountParams, AddAccountResult,
    LabelParams, RefreshOutcome, RefreshParams, RefreshResult, RefreshTarget,
};
use codex_router_runtime::{AccountRef, ManageError, RefreshFailure};
use codex_router_store::StoredAccount;
use serde_json::Value;

use super::{Control, error, to_json};
use crate::status::account_row;

pub(super) fn list(ctl: &Control) -> Result<Value, RpcError> {
    let now = ctl.runtime.now();
    let snap = ctl.runtime.with_pool_read(|p| p.snapshot(now));
    let stale_after = ctl.poll_interval().saturating_mul(2);
    let stored = ctl.runtime.accounts();
    let rows: Vec<AccountListRow> = snap
        .accounts
        .iter()
        .map(|view| {
            let a = stored.iter().find(|a| a.id.as_deref() == Some(view.id.as_str()));
            AccountListRow {
                row: account_row(view, now, stale_after),
                email: a.and_then(|a| a.email.clone()),
                source: a.and_then(|a| a.source.clone()),
                enabled: a.is_none_or(|a| a.enabled),
                added_at: a.and_then(|a| a.added_at),
                linked_auth_json: a
                    .and_then(|a| a.linked_auth_json.as_ref())
                    .map(|p| p.display().to_string()),
            }
        })
        .collect();
    to_json(&AccountsList { accounts: rows })
}

pub(super) async fn add(ctl: &Control, params: AddAccountParams) -> Result<Value, RpcError> {
    let account: StoredAccount = serde_json::from_value(params.account).map_err(|e| {
        // serde quotes offending string values; cut there so a misplaced token is never echoed.
        let text = e.to_string();
        let safe = text.split('"').next().unwrap_or_default().trim_end();
        RpcError::invalid_params(format!(
            "`account` is not an accounts.json account record: {safe}"
        ))
    })?;
    if account.tokens.access_token.is_empty() || account.tokens.refresh_token.is_empty() {
        return Err(RpcError::invalid_params(
            "`account.tokens` needs an access_token and a refresh_token",
        ));
    }
    let added = ctl.runtime.add_account(account).await.map_err(manage_error)?;
    let verb = if added.created {
        "added"
    } else {
        "merged into the existing account"
    };
    tracing::info!(account = %added.label, "account {verb}");
    to_json(&AddAccountResult {
        id: added.id,
        label: added.label,
        created: added.created,
    })
}

pub(super) async fn remove(ctl: &Control, p: AccountParams) -> Result<Value, RpcError> {
    let r = ctl
        .runtime
        .remove_account(&p.account)
        .await
        .map_err(manage_error)?;
    tracing::info!(account = %r.label, "account removed");
    reply(r)
}

pub(super) async fn set_enabled(ctl: &Control, p: AccountParams, enabled: bool) -> Result<Value, RpcError> {
    let r = ctl
        .runtime
        .set_account_enabled(&p.account, enabled)
        .await
        .map_err(manage_error)?;
    tracing::info!(account = %r.label, enabled, "account switched");
    reply(r)
}

pub(super) async fn label(ctl: &Control, p: LabelParams) -> Result<Value, RpcError> {
    let r = ctl
        .runtime
        .set_account_label(&p.account, &p.label)
        .await
        .map_err(manage_error)?;
    tracing::info!(account = %r.label, "account relabelled");
    reply(r)
}

/// Refreshes the named account, or every account, concurrently (each account still refreshes
/// single-flight). Accounts that need a login are not presented to the issuer: their refresh
/// token was refused for good, and presenting it again cannot help (SPEC §6).
pub(super) async fn refresh(ctl: &Control, p: RefreshParams) -> Result<Value, RpcError> {
    let snap = ctl.runtime.snapshot();
    let targets: Vec<(String, String, bool)> = match p.target(methods::ACCOUNTS_REFRESH)? {
        RefreshTarget::All => snap
            .accounts
            .iter()
            .map(|a| (a.id.clone(), a.label.clone(), a.state == State::NeedsLogin))
            .collect(),
        RefreshTarget::Account(reference) => {
            let stored = ctl.runtime.accounts();
            let idx = codex_router_runtime::manage::resolve(&stored, &reference)
                .ok_or_else(|| manage_error(ManageError::NotFound(reference)))?;
            let id = stored[idx].id.clone().unwrap_or_default();
            let view = snap.accounts.iter().find(|a| a.id == id);
            let label = view.map_or_else(|| id.clone(), |v| v.label.clone());
            vec![(id, label, view.is_some_and(|v| v.state == State::NeedsLogin))]
        }
    };
    let runs = targets.into_iter().map(|(id, label, needs_login)| async move {
        let res = if needs_login {
            Err("the account needs a new login: run `codexctl accounts login`".to_owned())
        } else {
            ctl.runtime
                .refresh(&id, None)
                .await
                .map_err(|e| refresh_message(&e))
        };
        RefreshOutcome {
            id,
            label,
            ok: res.is_ok(),
            error: res.err(),
        }
    });
    let accounts = futures_util::future::join_all(runs).await;
    to_json(&RefreshResult { accounts })
}

fn refresh_message(e: &RefreshFailure) -> String {
    match e {
        RefreshFailure::Permanent => {
            "the issuer refused the refresh token for good: run `codexctl accounts login`".to_owned()
        }
        RefreshFailure::Transient(_) | RefreshFailure::UnknownAccount => e.to_string(),
    }
}

fn reply(r: AccountRef) -> Result<Value, RpcError> {
    to_json(&AccountResult {
        id: r.id,
        label: r.label,
    })
}

pub(super) fn manage_error(e: ManageError) -> RpcError {
    match &e {
        ManageError::NotFound(_) => error(ErrorCode::NotFound, e.to_string()),
        ManageError::InvalidLabel(_) => RpcError::invalid_params(e.to_string()),
        ManageError::LabelTaken(_) => error(ErrorCode::Conflict, e.to_string()),
        ManageError::Runtime(inner) => {
            tracing::error!(error = %inner, "could not write accounts.json");
            RpcError::internal(format!("could not save the change: {inner}"))
        }
    }
}
