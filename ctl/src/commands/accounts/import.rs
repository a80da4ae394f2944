//! `codexctl accounts import [PATH...] [--multi-auth PATH]...` (SPEC §6, docs/onboarding.md).
//!
//! Every file is read and parsed first ([`read_sources`]): a missing, corrupt or wrong-format
//! file aborts with an error naming it, before the daemon is asked or a lock is taken, so
//! nothing changes. Then the batch is merged by identity (freshest tokens win):
//! - daemon down: under the locks, straight into `accounts.json` ([`import_into`]);
//! - daemon up: planned the same way against a read-only snapshot of `accounts.json` (for a
//!   report that says what was merged and why), and carried out by the daemon, one
//!   `accounts.add` per account that changes. The daemon merges by identity again, so a
//!   snapshot that is a moment stale can make the report imprecise, never the pool wrong.
//!
//! The report names accounts by label only; emails never appear.

use std::path::PathBuf;

use anyhow::Context;
use codex_router_onboarding::{
    ImportReport, ImportSource, import_into, link_codex_login, linked_notice, read_sources,
};
use codex_router_protocol::methods::AddAccountResult;
use serde_json::{Value, json};

use super::adding::{self, Via};
use crate::cli::ImportArgs;
use crate::ctx::Ctx;
use crate::liveness::Daemon;
use crate::{output, timefmt};

pub async fn run(ctx: &Ctx<'_>, args: &ImportArgs) -> anyhow::Result<()> {
    let sources = sources(ctx, args)?;
    let mut batch = read_sources(&sources)?;
    // Only Codex's own auth.json is linked, to the account Codex is signed in to (SPEC §6),
    // whichever file that account's tokens came from.
    if let Ok(codex_home) = codex_router_store::codex_home(ctx.env_fn()) {
        link_codex_login(&mut batch, &codex_home.join("auth.json"));
    }
    let (report, via) = match adding::daemon(&ctx.paths).await {
        Some(mut daemon) => (through_daemon(&mut daemon, ctx, batch).await?, Via::Daemon),
        None => {
            let report = adding::with_locked_file(&ctx.paths, |file| {
                let before = file.accounts.clone();
                let report = import_into(file, batch, timefmt::now());
                Ok((report, file.accounts != before))
            })?;
            (report, Via::File)
        }
    };
    if ctx.json {
        return output::json(&to_json(&report, via));
    }
    output::print(&render(&report, sources.len(), via))
}

/// The command line's files, or Codex's own login when none is given.
fn sources(ctx: &Ctx<'_>, args: &ImportArgs) -> anyhow::Result<Vec<ImportSource>> {
    let mut sources: Vec<ImportSource> = args.paths.iter().cloned().map(ImportSource::CodexAuth).collect();
    sources.extend(args.multi_auth.iter().cloned().map(ImportSource::MultiAuth));
    if !sources.is_empty() {
        return Ok(sources);
    }
    let path: PathBuf = codex_router_store::codex_home(ctx.env_fn())
        .context("finding the Codex home ($CODEX_HOME, else ~/.codex)")?
        .join("auth.json");
    if !path.exists() {
        // Codex may keep its login in the OS keyring (`cli_auth_credentials_store`), which the
        // router does not read: say which setting hides it instead of only "not signed in".
        let config = path.with_file_name("config.toml");
        if let Err(codex_router_codex_config::BindError::NotSignedIn {
            keyring: Some(store), ..
        }) = codex_router_codex_config::login::check_native_login(&config)
        {
            anyhow::bail!(
                "nothing to import: Codex keeps its login in the OS keyring (cli_auth_credentials_store = \"{store}\" \
                 in {}), which codex-router does not read. Set it to \"file\" and run `codex login` again, \
                 or log the router in itself: `codexctl accounts login`",
                config.display()
            );
        }
        anyhow::bail!(
            "nothing to import: {} does not exist (Codex is not signed in there). Sign Codex in with \
             `codex login`, or name files: `codexctl accounts import PATH...` / `--multi-auth PATH`",
            path.display()
        );
    }
    Ok(vec![ImportSource::CodexAuth(path)])
}

async fn through_daemon(
    daemon: &mut Daemon,
    ctx: &Ctx<'_>,
    batch: codex_router_onboarding::ImportBatch,
) -> anyhow::Result<ImportReport> {
    let mut plan = adding::snapshot(&ctx.paths);
    let before = plan.accounts.clone();
    let mut report = import_into(&mut plan, batch, timefmt::now());
    let mut n_sent = 0;
    for (idx, account) in plan.accounts.into_iter().enumerate() {
        let is_new = idx >= before.len();
        if !is_new && before[idx] == account {
            continue;
        }
        let planned = account.label.clone().unwrap_or_default();
        let (done, _) = adding::add_via_daemon(daemon, account).await.with_context(|| {
            format!("importing {planned} through the daemon ({n_sent} accounts were already in)")
        })?;
        n_sent += 1;
        reconcile(&mut report, &planned, &done, is_new);
    }
    Ok(report)
}

/// The daemon has the last word: the label it gave, and whether the account was new to it.
fn reconcile(report: &mut ImportReport, planned: &str, done: &AddAccountResult, is_new: bool) {
    let rename = |label: &mut String| {
        if label == planned {
            done.label.clone_into(label);
        }
    };
    report.added.iter_mut().for_each(rename);
    report.merged.iter_mut().for_each(|(l, _)| rename(l));
    report.linked.iter_mut().for_each(|(l, _)| rename(l));
    if is_new && !done.created {
        report.added.retain(|l| *l != done.label);
        report.merged.push((
            done.label.clone(),
            "same account as one already in the pool".to_owned(),
        ));
    }
}

fn to_json(report: &ImportReport, via: Via) -> Value {
    json!({
        "action": "import",
        "via": via.as_str(),
        "added": report.added,
        "merged": report.merged.iter().map(|(l, d)| json!({"label": l, "detail": d})).collect::<Vec<_>>(),
        "skipped": report.skipped.iter().map(|(e, r)| json!({"entry": e, "reason": r})).collect::<Vec<_>>(),
        "linked": report.linked.iter().map(|(l, p)| json!({
            "label": l, "path": p, "notice": linked_notice(l, p),
        })).collect::<Vec<_>>(),
    })
}

fn render(report: &ImportReport, n_files: usize, via: Via) -> String {
    let mut out = String::new();
    for label in &report.added {
        out.push_str(&format!("added    {label}\n"));
    }
    for (label, detail) in &report.merged {
        out.push_str(&format!("merged   {label}: {detail}\n"));
    }
    for (entry, reason) in &report.skipped {
        out.push_str(&format!("skipped  {entry}: {reason}\n"));
    }
    let files = if n_files == 1 { "file" } else { "files" };
    out.push_str(&format!(
        "imported {n_files} {files}: {} added, {} merged, {} skipped{}\n",
        report.added.len(),
        report.merged.len(),
        report.skipped.len(),
        via.note()
    ));
    for (label, path) in &report.linked {
        out.push_str(&format!("\n{}\n", linked_notice(label, path)));
    }
    out
}

#[cfg(test)]
#[path = "import_tests.rs"]
mod tests;
