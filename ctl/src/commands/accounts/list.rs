//! `accounts list`: through the daemon when it runs, else from `accounts.json` read-only with a
//! notice on stderr. Exit 0 either way (SPEC §9); missing and empty storage are just "no
//! accounts".

use codex_router_protocol::methods::{self, AccountListRow, AccountsList};
use codex_router_store::{StoredAccount, StoredStatus};
use serde_json::{Value, json};

use super::offline::{self, Pool};
use crate::commands::status_render::{NO_ACCOUNTS, state_cell};
use crate::ctx::Ctx;
use crate::liveness::{Liveness, decode, probe};
use crate::output;
use crate::table::Table;

pub async fn list(ctx: &Ctx<'_>) -> anyhow::Result<()> {
    let (rows, storage) = match probe(&ctx.paths).await {
        Liveness::Up(mut daemon) => {
            let reply: AccountsList = decode(daemon.call(methods::ACCOUNTS_LIST, json!({})).await?)?;
            let rows = with_emails(ctx, reply.accounts);
            let rows = rows
                .iter()
                .map(Line::from_daemon)
                .collect::<anyhow::Result<_>>()?;
            (rows, None)
        }
        Liveness::Down { detail } | Liveness::Unresponsive { detail, .. } => {
            output::error_line(&format!(
                "codexctl: daemon is not running ({detail}); showing {} (cooldowns and quota need the daemon)",
                ctx.paths.accounts.display()
            ));
            let (rows, state) = match offline::read(&ctx.paths)? {
                Pool::Missing => (Vec::new(), "missing"),
                Pool::Empty => (Vec::new(), "empty"),
                Pool::Loaded(file) => (file.accounts.iter().map(Line::from_stored).collect(), "ok"),
            };
            (rows, Some(state))
        }
    };
    if ctx.json {
        let rows: Vec<Value> = rows
            .into_iter()
            .enumerate()
            .map(|(i, mut line)| {
                line.json["index"] = json!(i + 1);
                line.json
            })
            .collect();
        let mut doc = json!({"daemon_running": storage.is_none(), "accounts": rows});
        if let Some(state) = storage {
            doc["storage"] = json!({"state": state, "path": ctx.paths.accounts});
        }
        return output::json(&doc);
    }
    if rows.is_empty() {
        return output::line(NO_ACCOUNTS);
    }
    let mut t = Table::new(&["#", "ID", "LABEL", "EMAIL", "PLAN", "STATE"]);
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
    for (i, line) in rows.iter().enumerate() {
        t.row(vec![
            (i + 1).to_string(),
            or_dash(&line.id),
            or_dash(&line.label),
            or_dash(&line.email),
            or_dash(&line.plan_type),
            state_cell(&line.state, line.state_reason.as_deref()),
        ]);
    }
    output::print(&t.render())
}

/// One account as listed: what the table shows, and the row `--json` prints as it came.
struct Line {
    id: Option<String>,
    label: Option<String>,
    email: Option<String>,
    plan_type: Option<String>,
    state: String,
    state_reason: Option<String>,
    json: Value,
}

impl Line {
    fn from_daemon(r: &AccountListRow) -> anyhow::Result<Line> {
        Ok(Line {
            id: Some(r.row.id.clone()),
            label: Some(r.row.label.clone()),
            email: r.email.clone(),
            plan_type: r.row.plan_type.clone(),
            state: r.row.state.clone(),
            state_reason: r.row.state_reason.clone(),
            json: serde_json::to_value(r)?,
        })
    }

    /// The persisted part of an account's state; cooldowns live in the daemon only.
    fn from_stored(a: &StoredAccount) -> Line {
        let (state, reason) = match (a.enabled, a.status) {
            (false, _) => ("disabled", Some("user")),
            (true, StoredStatus::Ok) => ("ready", None),
            (true, StoredStatus::NeedsLogin) => (
                "needs_login",
                Some(a.status_reason.as_deref().unwrap_or("refresh_failed")),
            ),
            (true, StoredStatus::DisabledByUpstream) => ("disabled", Some("disabled_by_upstream")),
            (true, StoredStatus::NotEntitled) => ("disabled", Some("not_entitled")),
        };
        Line {
            id: a.id.clone(),
            label: a.label.clone(),
            email: a.email.clone(),
            plan_type: a.plan_type.clone(),
            state: state.to_owned(),
            state_reason: reason.map(str::to_owned),
            json: json!({
                "id": a.id, "label": a.label, "email": a.email, "plan_type": a.plan_type,
                "enabled": a.enabled, "state": state, "state_reason": reason,
            }),
        }
    }
}

/// The daemon's rows carry no secrets and may carry no email (status rows never do); the email
/// is local, same-user information (SPEC §5), so fill it from the file when missing.
fn with_emails(ctx: &Ctx<'_>, mut rows: Vec<AccountListRow>) -> Vec<AccountListRow> {
    if rows.iter().all(|r| r.email.is_some()) {
        return rows;
    }
    let Ok(Pool::Loaded(file)) = offline::read(&ctx.paths) else {
        return rows;
    };
    for row in rows.iter_mut().filter(|r| r.email.is_none()) {
        row.email = file
            .accounts
            .iter()
            .find(|a| a.id.as_deref() == Some(row.row.id.as_str()))
            .and_then(|a| a.email.clone());
    }
    rows
}
