//! `rotation unbind-app`: put Codex's `config.toml` back (SPEC §7). Needs only `bind/` and the
//! file, never the daemon: it is exactly what a user runs when the daemon is gone and every
//! Codex request fails.

use codex_router_codex_config::{UnbindOutcome, UnbindReport, unbind_app};
use serde_json::{Value, json};

use super::codex_config_path;
use crate::ctx::Ctx;
use crate::output;

pub fn unbind_app_cmd(ctx: &Ctx<'_>) -> anyhow::Result<()> {
    let report = unbind(ctx)?;
    print_report(ctx, &report)
}

/// Under `bind/bind.lock`, like bind.
pub fn unbind(ctx: &Ctx<'_>) -> anyhow::Result<UnbindReport> {
    let config = codex_config_path(ctx)?;
    Ok(unbind_app(&config, &ctx.paths.bind_dir)?)
}

pub fn print_report(ctx: &Ctx<'_>, report: &UnbindReport) -> anyhow::Result<()> {
    if ctx.json {
        return output::json(&report_json(report));
    }
    let path = report.config_path.display();
    let head = match report.outcome {
        UnbindOutcome::Restored => format!("unbound Codex: {path} is back as it was before the bind"),
        UnbindOutcome::Surgical => format!("unbound Codex: removed the router's binding from {path}"),
        UnbindOutcome::NothingToDo => format!("Codex was not bound ({path}); nothing changed"),
    };
    output::line(&head)?;
    for note in &report.notes {
        output::line(&format!("  note: {note}"))?;
    }
    Ok(())
}

pub fn report_json(report: &UnbindReport) -> Value {
    json!({
        "bound": false,
        "changed": report.changed,
        "outcome": match report.outcome {
            UnbindOutcome::Restored => "restored",
            UnbindOutcome::Surgical => "surgical",
            UnbindOutcome::NothingToDo => "nothing_to_do",
        },
        "config_path": report.config_path,
        "notes": report.notes.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}
