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

use codex_router_protocol::methods::{self, AccountResult, CheckResult, RefreshResult, TargetParams};
use serde::de::DeserializeOwned;
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

/// The answer of a method run per account (`accounts.refresh`, `accounts.check`).
trait PerAccount: DeserializeOwned {
    fn all_ok(&self) -> bool;
}

impl PerAccount for RefreshResult {
    fn all_ok(&self) -> bool {
        self.accounts.iter().all(|a| a.ok)
    }
}

impl PerAccount for CheckResult {
    fn all_ok(&self) -> bool {
        self.accounts.iter().all(|a| a.ok)
    }
}

/// Calls `method` on one account, or on all of them when none is named, and shows the answer:
/// the raw reply under `--json`, else `render`'s text. Any account that failed makes the exit
/// status a failure.
async fn on_accounts<T: PerAccount>(
    ctx: &Ctx<'_>,
    (method, timeout): (&str, Duration),
    account: Option<&str>,
    render: impl FnOnce(&T) -> String,
) -> anyhow::Result<()> {
    let mut daemon = probe(&ctx.paths).await.require()?;
    let params = match account {
        Some(account) => TargetParams::account(account),
        None => TargetParams::all(),
    };
    let raw = daemon
        .call_timeout(method, serde_json::to_value(&params)?, timeout)
        .await?;
    let result: T = decode(raw.clone())?;
    if ctx.json {
        output::json(&raw)?;
    } else {
        output::print(&render(&result))?;
    }
    if !result.all_ok() {
        return Err(Quiet(FAILURE).into());
    }
    Ok(())
}

async fn refresh(ctx: &Ctx<'_>, args: &RefreshArgs) -> anyhow::Result<()> {
    let method = (methods::ACCOUNTS_REFRESH, REFRESH_TIMEOUT);
    on_accounts(ctx, method, args.account.as_deref(), render_refresh).await
}

/// One line per account; a failure names its reason.
fn render_refresh(result: &RefreshResult) -> String {
    if result.accounts.is_empty() {
        return "no accounts to refresh\n".to_owned();
    }
    let mut out = String::new();
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
        out.push_str(&line);
        out.push('\n');
    }
    out
}
