//! `codexctl demo`: watch the router work before trusting it with real logins.
//!
//! A throwaway `codex-routerd` serves a temporary router home whose upstream and issuer are the
//! fake ChatGPT backend, running inside this process (`codex-router-demo`'s rig); a stand-in for
//! Codex plays a short scripted session against it while the account table updates
//! ([`screen`]); then everything is stopped and removed, and the story is told in plain words. It never reads or writes the user's router home, accounts or Codex config, and it
//! never leaves loopback: every path and address the daemon gets is passed explicitly.
//!
//! Ctrl-C or an error at any point still cleans up: the normal path stops the daemon through
//! its socket; an abandoned one drops the rig, whose guards stop the process and remove the
//! directory.

mod screen;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use codex_router_demo::{ACCOUNTS, Facts, Rig, StoryError, script};
use serde_json::json;

use crate::ctx::Ctx;
use crate::interrupt::armed_ctrl_c;
use crate::{output, process};
use screen::Screen;

pub async fn run(ctx: &Ctx<'_>) -> anyhow::Result<()> {
    let started = Instant::now();
    // Armed before anything starts: a Ctrl-C at any point must still clean up.
    let interrupted = armed_ctrl_c().await;
    let mut screen = Screen::new(ctx.json);
    let outcome = tokio::select! {
        outcome = demo(&mut screen) => outcome,
        () = interrupted => Err(anyhow::anyhow!(
            "demo interrupted; its daemon was stopped and its temporary directory removed"
        )),
    };
    screen.freeze();
    let (facts, removed) = outcome?;
    let summary = summary(&facts, &removed);
    if ctx.json {
        return output::json(&json!({
            "ok": true,
            "elapsed_ms": u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "story": screen.story(),
            "summary": summary,
            "status": facts.status,
            "removed": removed,
        }));
    }
    output::line("")?;
    for line in &summary {
        output::line(line)?;
    }
    output::line(&format!("(demo took {} ms)", started.elapsed().as_millis()))
}

/// The whole demo; the rig is shut down whether the script succeeds or not.
async fn demo(screen: &mut Screen) -> anyhow::Result<(Facts, PathBuf)> {
    screen.say(
        "codexctl demo: a throwaway codex-router and a fake ChatGPT backend, both on this machine. Your \
         own router home, accounts and Codex config are not touched, and nothing leaves loopback.",
    )?;
    let exe = process::locate_daemon().context(
        "cannot find codex-routerd next to codexctl or on PATH; install both binaries side by side",
    )?;
    let mut rig = Rig::start(&exe, process::terminate).await?;
    let names: Vec<String> = ACCOUNTS
        .iter()
        .map(|a| format!("{} ({})", a.label, a.plan))
        .collect();
    screen.say(&format!(
        "Started codex-routerd in {} with three demo accounts: {}.",
        rig.dir().display(),
        names.join(", ")
    ))?;
    let facts = script::run(&mut rig, screen).await;
    let removed = rig.shutdown().await;
    let facts = facts.map_err(|e| match e {
        // The screen's own error, kept whole (a closed stdout is a quiet success).
        StoryError::Show(e) => e,
        StoryError::Demo(e) => e.into(),
    })?;
    Ok((facts, removed?))
}

/// What happened, in plain words, from the facts the script collected.
fn summary(facts: &Facts, removed: &std::path::Path) -> Vec<String> {
    let mut out = vec!["What happened:".to_owned()];
    let rows = facts.status.as_ref().map_or(&[][..], |s| s.accounts.as_slice());
    let per_account: Vec<String> = rows
        .iter()
        .map(|a| format!("{} {}", a.label, a.requests))
        .collect();
    let total = facts
        .status
        .as_ref()
        .map_or_else(|| "-".to_owned(), |s| s.counters.total_requests.to_string());
    out.push(format!(
        "  - Rotation: {total} requests from 3 Codex sessions were spread over {} accounts ({}).",
        rows.len(),
        per_account.join(", ")
    ));
    if facts.sticky {
        out.push("  - Each session stayed on its account turn after turn (sticky sessions).".to_owned());
    }
    match &facts.moved {
        Some((session, from, to)) => out.push(format!(
            "  - Usage limit: {from} ran out; session {session} moved to {to} with no error reaching Codex, and \
             {from} rests until its window resets."
        )),
        None => out.push("  - Usage limit: the scripted limit did not move the session (unexpected).".to_owned()),
    }
    match &facts.refreshed {
        Some((account, calls)) => out.push(format!(
            "  - Refresh: {account}'s expired access token was refreshed ({calls} issuer call) and the request \
             retried; refresh tokens presented twice: {}.",
            facts.refresh_reuse
        )),
        None => out.push("  - Refresh: the expired token was not refreshed (unexpected).".to_owned()),
    }
    out.push(format!(
        "  - Cleaned up: the demo daemon stopped and {} was removed.",
        removed.display()
    ));
    out.push(
        "For real: `codexctl accounts login` (or `accounts import`), then `codexctl rotation enable`."
            .to_owned(),
    );
    out
}
