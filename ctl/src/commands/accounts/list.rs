//! `accounts list`: through the daemon when it runs, else from `accounts.json` read-only with a
//! notice on stderr. Exit 0 either way (SPEC §9); missing and empty storage are just "no
//! accounts" (review #3).

use codex_router_protocol::methods;
use codex_router_store::{AccountsFile, StoredAccount, StoredStatus};
use serde_json::{Value, json};

use super::field;
use super::offline::{self, Pool};
use crate::commands::status_render::{NO_ACCOUNTS, state_cell};
use crate::ctx::Ctx;
use crate::liveness::{Liveness, probe};
use crate::output;
use crate::table::Table;

pub async fn list(ctx: &Ctx<'_>) -> anyhow::Result<()> {
    let (rows, storage) = match probe(&ctx.paths).await {
        Liveness::Up(mut daemon) => {
            let reply = daemon.call(methods::ACCOUNTS_LIST, json!({})).await?;
            let Some(rows) = reply.get("accounts").and_then(Value::as_array).cloned() else {
                anyhow::bail!("unexpected accounts.list reply from codex-routerd: {reply}");
            };
            (with_emails(ctx, rows), None)
        }
        Liveness::Down { detail } | Liveness::Unresponsive { detail, .. } => {
            output::error_line(&format!(
                "codexctl: daemon is not running ({detail}); showing {} (cooldowns and quota need the daemon)",
                ctx.paths.accounts.display()
            ));
            let (rows, state) = match offline::read(&ctx.paths)? {
                Pool::Missing => (Vec::new(), "missing"),
                Pool::Empty => (Vec::new(), "empty"),
                Pool::Loaded(file) => (rows_from_file(&file), "ok"),
            };
            (rows, Some(state))
        }
    };
    let rows: Vec<Value> = rows
        .into_iter()
        .enumerate()
        .map(|(i, mut row)| {
            row["index"] = json!(i + 1);
            row
        })
        .collect();
    if ctx.json {
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
    for row in &rows {
        t.row(vec![
            field(row, "index"),
            field(row, "id"),
            field(row, "label"),
            field(row, "email"),
            field(row, "plan_type"),
            state_cell(
                &field(row, "state"),
                row.get("state_reason").and_then(Value::as_str),
            ),
        ]);
    }
    output::print(&t.render())
}

/// The daemon's rows carry no secrets and may carry no email (status rows never do); the email
/// is local, same-user information (SPEC §5), so fill it from the file when missing.
fn with_emails(ctx: &Ctx<'_>, mut rows: Vec<Value>) -> Vec<Value> {
    if rows.iter().all(|r| r.get("email").is_some()) {
        return rows;
    }
    let Ok(Pool::Loaded(file)) = offline::read(&ctx.paths) else {
        return rows;
    };
    for row in &mut rows {
        if row.get("email").is_none() {
            let id = row.get("id").and_then(Value::as_str);
            let email = file
                .accounts
                .iter()
                .find(|a| a.id.as_deref() == id)
                .and_then(|a| a.email.clone());
            row["email"] = json!(email);
        }
    }
    rows
}

fn rows_from_file(file: &AccountsFile) -> Vec<Value> {
    file.accounts.iter().map(row_from_stored).collect()
}

/// The persisted part of an account's state; cooldowns live in the daemon only.
fn row_from_stored(a: &StoredAccount) -> Value {
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
    json!({
        "id": a.id, "label": a.label, "email": a.email, "plan_type": a.plan_type,
        "enabled": a.enabled, "state": state, "state_reason": reason,
    })
}
