//! `accounts.check`: poll the usage endpoint now, for one account or every account, and answer
//! with what the poll read: `codexctl accounts check` polls now and shows the result.
//!
//! The poll is the poller's own (`Runtime::poll_usage`): the same request, the same access-token
//! only rule, the same early-reset detection and counters. Accounts the poller never polls
//! (disabled, needing a login) are not polled here either: the answer says why, with the
//! reading the daemon already has, so the rule "no poll for a disabled or logged-out account"
//! has no exception. A `not_entitled` account first gets its token refreshed: a token showing
//! another plan is what clears that state (SPEC §4.2), and only then is it polled.

use codex_router_core::account::AccountStatus;
use codex_router_core::usage::Applied;
use codex_router_ipc::RpcError;
use codex_router_ipc::protocol::methods::{self, CheckOutcome, CheckParams, CheckResult, RefreshTarget};
use codex_router_runtime::ManageError;
use serde_json::Value;

use super::accounts::manage_error;
use super::{Control, to_json};
use crate::status::quota_view;

pub(super) async fn check(ctl: &Control, p: CheckParams) -> Result<Value, RpcError> {
    let ids: Vec<String> = match p.target(methods::ACCOUNTS_CHECK)? {
        RefreshTarget::All => ctl
            .runtime
            .with_pool_read(|p| p.accounts().iter().map(|a| a.id.clone()).collect()),
        RefreshTarget::Account(reference) => {
            let stored = ctl.runtime.accounts();
            let idx = codex_router_runtime::manage::resolve(&stored, &reference)
                .ok_or_else(|| manage_error(ManageError::NotFound(reference)))?;
            vec![stored[idx].id.clone().unwrap_or_default()]
        }
    };
    let base_url = ctl
        .settings
        .lock()
        .upstream
        .base_url
        .trim_end_matches('/')
        .to_owned();
    let polls = ids.iter().map(|id| poll_one(ctl, &base_url, id));
    let results = futures_util::future::join_all(polls).await;

    let now = ctl.runtime.now();
    let snap = ctl.runtime.with_pool_read(|p| p.snapshot(now));
    ctl.pace.observe(&snap, now);
    let stale_after = ctl.poll_interval().saturating_mul(2);
    let mut accounts = Vec::with_capacity(ids.len());
    for (id, result) in ids.into_iter().zip(results) {
        let view = snap.accounts.iter().find(|a| a.id == id);
        let quota = view
            .and_then(|v| v.quota.as_ref())
            .map(|q| quota_view(q, now, stale_after));
        let label = view.map_or_else(|| id.clone(), |v| v.label.clone());
        tracing::info!(account = %label, ok = result.is_ok(), "usage checked on request");
        accounts.push(CheckOutcome {
            id,
            label,
            ok: result.is_ok(),
            reset_early: result.as_ref().is_ok_and(|early| *early),
            error: result.err(),
            quota,
        });
    }
    to_json(&CheckResult { accounts })
}

/// One poll; `Ok(true)` when it ended a usage-limit cooldown early.
async fn poll_one(ctl: &Control, base_url: &str, id: &str) -> Result<bool, String> {
    let facts = ctl
        .runtime
        .with_pool_read(|p| p.account(id).map(|a| (a.enabled, a.status)));
    match facts {
        None => return Err("the account was removed meanwhile".to_owned()),
        Some((false, _)) => {
            return Err(
                "the account is disabled, so it is not polled: `codexctl accounts enable` it first".into(),
            );
        }
        Some((true, AccountStatus::NeedsLogin(_))) => {
            return Err("the account needs a new login: run `codexctl accounts login`".into());
        }
        Some((true, AccountStatus::NotEntitled)) => {
            // The one way `not_entitled` clears by itself is a token that shows another plan
            // (SPEC §4.2): a check refreshes the token to read the plan it names now.
            let refreshed = ctl.runtime.refresh(id, None).await;
            let still = ctl.runtime.with_pool_read(|p| {
                p.account(id)
                    .filter(|a| a.status == AccountStatus::NotEntitled)
                    .map(|a| a.plan_type.clone().unwrap_or_else(|| "unknown".into()))
            });
            match (refreshed, still) {
                (Err(e), _) => {
                    return Err(format!(
                        "the account is not_entitled and its token could not be refreshed to read its plan: {e}"
                    ));
                }
                (Ok(()), Some(plan)) => {
                    return Err(format!(
                        "the account's plan ({plan}) does not include Codex (not_entitled); its refreshed token shows no other plan, so it is not polled"
                    ));
                }
                (Ok(()), None) => {}
            }
        }
        Some((true, AccountStatus::DisabledByUpstream)) => {
            return Err(
                "the upstream disabled the account (disabled_by_upstream), so it is not polled".into(),
            );
        }
        Some((true, AccountStatus::Ok)) => {}
    }
    match ctl.runtime.poll_usage(&ctl.proxy.http, base_url, id).await {
        Ok(Applied::Updated) => Ok(false),
        Ok(Applied::ResetEarly) => Ok(true),
        Ok(Applied::UnknownAccount) => Err("the account was removed meanwhile".to_owned()),
        Err(e) => {
            ctl.runtime.with_pool(|p| p.note_usage_poll_failure());
            Err(e.to_string())
        }
    }
}
