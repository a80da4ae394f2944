//! `codexctl accounts check [<account>|--all]`: poll the usage endpoint now and show what it
//! read (docs/quota.md).
//!
//! Only the daemon polls (it holds the tokens, refreshes them single-flight, and applies the
//! reading to the pool, which may end a cooldown early), so the command needs it: exit 3 without.
//! No argument means every account, like `--all`: checking is read-only and cheap.

use std::time::Duration;

use codex_router_core::Timestamp;
use codex_router_protocol::methods::{self, CheckResult};

use crate::cli::CheckArgs;
use crate::commands::status_render::quota::{reading_cell, window_cells};
use crate::ctx::Ctx;
use crate::table::Table;
use crate::timefmt;

/// The daemon bounds each poll at 15 s and polls accounts concurrently; a 401 adds one refresh
/// round trip before the retry.
const CHECK_TIMEOUT: Duration = Duration::from_secs(60);

pub async fn run(ctx: &Ctx<'_>, args: &CheckArgs) -> anyhow::Result<()> {
    let method = (methods::ACCOUNTS_CHECK, CHECK_TIMEOUT);
    super::on_accounts(ctx, method, args.account.as_deref(), |result| {
        render(result, timefmt::now())
    })
    .await
}

/// A table of what each poll read, then one line per failure with its reason.
pub fn render(result: &CheckResult, now: Timestamp) -> String {
    if result.accounts.is_empty() {
        return "no accounts to check\n".to_owned();
    }
    let mut t = Table::new(&["LABEL", "CHECK", "PRIMARY", "SECONDARY", "READING"]);
    let mut notes = String::new();
    for a in &result.accounts {
        let [primary, secondary] = window_cells(a.quota.as_ref(), now);
        let check = match (a.ok, a.reset_early) {
            (true, true) => "ok, reset early",
            (true, false) => "ok",
            (false, _) => "failed",
        };
        t.row(vec![
            a.label.clone(),
            check.to_owned(),
            primary,
            secondary,
            reading_cell(a.quota.as_ref(), now),
        ]);
        if a.reset_early {
            notes.push_str(&format!(
                "{}: the window reset before its announced time; the account is usable again\n",
                a.label
            ));
        }
        if let Some(err) = a.error.as_deref().filter(|_| !a.ok) {
            notes.push_str(&format!("{} ({}): check failed: {err}\n", a.label, a.id));
        }
    }
    let mut out = t.render();
    if !notes.is_empty() {
        out.push('\n');
        out.push_str(&notes);
    }
    out
}

#[cfg(test)]
#[path = "check_tests.rs"]
mod tests;
