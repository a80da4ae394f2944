//! `codexctl accounts list|remove|enable|disable|label|refresh|check`.
//!
//! Changes go through the daemon when it runs (it owns the pool); when it does not, they are
//! made on `accounts.json` under the locks ([`offline`]). `refresh` needs the daemon, since only
//! it may present a refresh token, and so does `check` ([`check`]), since only it polls. `login` and `import` produce accounts locally and hand them
//! over the same two ways ([`adding`]).

mod adding;
mod check;
mod import;
mod list;
mod login;
mod login_io;
mod offline;

use std::time::Duration;

use codex_router_protocol::methods::{self, AccountResult, RefreshParams, RefreshResult};
use serde_json::json;

use crate::cli::{AccountsCommand, RefreshArgs};
use crate::ctx::Ctx;
use crate::exit::{FAILURE, Quiet};
use crate::liveness::{Liveness, decode, probe};
use crate::output;
use offline::Edit;

/// A refresh is an OAuth round trip per account; give `--all` room.
const REFRESH_TIMEOUT: Duration = Duration::from_secs(120);

pub async fn run(ctx: &Ctx<'_>, cmd: &AccountsCommand) -> anyhow::Result<()> {
    match cmd {
        AccountsCommand::List => list::list(ctx).await,
        AccountsCommand::Remove(a) => edit(ctx, &a.account, Edit::Remove).await,
        AccountsCommand::Enable(a) => edit(ctx, &a.account, Edit::Enable).await,
        AccountsCommand::Disable(a) => edit(ctx, &a.account, Edit::Disable).await,
        AccountsCommand::Label(a) => edit(ctx, &a.account, Edit::Label(a.new_label.clone())).await,
        AccountsCommand::Refresh(args) => refresh(ctx, args).await,
        AccountsCommand::Check(args) => check::run(ctx, args).await,
        AccountsCommand::Login(args) => login::run(ctx, args).await,
        AccountsCommand::Import(args) => import::run(ctx, args).await,
    }
}

async fn edit(ctx: &Ctx<'_>, reference: &str, edit: Edit) -> anyhow::Result<()> {
    let (id, label, via) = match probe(&ctx.paths).await {
        Liveness::Up(mut daemon) => {
            let (method, params) = match &edit {
                Edit::Remove => (methods::ACCOUNTS_REMOVE, json!({"account": reference})),
                Edit::Enable => (methods::ACCOUNTS_ENABLE, json!({"account": reference})),
                Edit::Disable => (methods::ACCOUNTS_DISABLE, json!({"account": reference})),
                Edit::Label(l) => (methods::ACCOUNTS_LABEL, json!({"account": reference, "label": l})),
            };
            let done: AccountResult = decode(daemon.call(method, params).await?)?;
            (done.id, done.label, "daemon")
        }
        // Not answering: the file is ours only if run/daemon.lock is free, which `apply` checks.
        Liveness::Down { .. } | Liveness::Unresponsive { .. } => {
            let (id, label) = offline::apply(&ctx.paths, reference, &edit)?;
            (id, label, "accounts.json")
        }
    };
    let verb = match edit {
        Edit::Remove => "removed",
        Edit::Enable => "enabled",
        Edit::Disable => "disabled",
        Edit::Label(_) => "labelled",
    };
    if ctx.json {
        return output::json(&json!({"action": verb, "id": id, "label": label, "via": via}));
    }
    let note = if via == "daemon" {
        ""
    } else {
        " (daemon not running: edited accounts.json)"
    };
    output::line(&format!("{verb} account {label} ({id}){note}"))
}

async fn refresh(ctx: &Ctx<'_>, args: &RefreshArgs) -> anyhow::Result<()> {
    let mut daemon = probe(&ctx.paths).await.require()?;
    let params = match &args.account {
        Some(account) => RefreshParams::account(account.clone()),
        None => RefreshParams::all(),
    };
    let raw = daemon
        .call_timeout(
            methods::ACCOUNTS_REFRESH,
            serde_json::to_value(&params)?,
            REFRESH_TIMEOUT,
        )
        .await?;
    let result: RefreshResult = decode(raw.clone())?;
    if ctx.json {
        output::json(&raw)?;
    } else {
        for a in &result.accounts {
            let line = match (&a.ok, &a.error) {
                (true, _) => format!("refreshed {} ({})", a.label, a.id),
                (false, err) => format!(
                    "{} ({}): refresh failed: {}",
                    a.label,
                    a.id,
                    err.as_deref().unwrap_or("unknown error")
                ),
            };
            output::line(&line)?;
        }
        if result.accounts.is_empty() {
            output::line("no accounts to refresh")?;
        }
    }
    if result.accounts.iter().any(|a| !a.ok) {
        return Err(Quiet(FAILURE).into());
    }
    Ok(())
}
