//! `codexctl doctor [--json]`: every check a user would otherwise do by hand, each with a
//! one-line fix. Exit 1 when any check fails, the daemon being down included (SPEC §9).
//!
//! The checks themselves are `codex-router-doctor`'s; here is what they share, gathered once
//! (`facts`: daemon, status snapshot, service manager), the binding checks (they reuse
//! `rotation status`'s problems), and the rendering (`render`).

mod facts;
mod render;

use codex_router_codex_config::BindMode;
use codex_router_core::Secret;
use codex_router_doctor::{Check, Status, accounts, files, system, websocket};

use crate::binding::View;
use crate::commands::rotation::problems::{Problem, Severity, problems};
use crate::ctx::Ctx;
use crate::exit::{FAILURE, Quiet};
use crate::output;

pub async fn run(ctx: &Ctx<'_>) -> anyhow::Result<()> {
    let facts = facts::Facts::gather(ctx).await?;
    let mut checks = vec![facts.daemon_check()];
    checks.extend(files::checks(&ctx.paths, facts.up()));
    checks.extend(accounts::checks(&ctx.paths, facts.snapshot.as_ref()));
    checks.extend(binding_checks(ctx, &facts));
    // Codex asks for a WebSocket first (the built-in provider always does): prove the route
    // once Codex is bound and the daemon is up.
    if let crate::binding::DaemonSide::Up { port, key } = &facts.side
        && View::read(ctx).mode().is_some()
    {
        checks.push(websocket::check(&websocket::probe(*port, key).await));
    }
    checks.push(system::clock(&ctx.paths, facts.snapshot.as_ref()));
    checks.extend(system::service(facts.manager.as_ref()));
    checks.push(system::proxy_verdict(&|k| ctx.env(k)));
    if ctx.json {
        output::json(&render::json(&checks))?;
    } else {
        output::print(&render::text(&checks))?;
    }
    if checks.iter().any(|c| c.status == Status::Fail) {
        return Err(Quiet(FAILURE).into());
    }
    Ok(())
}

/// One check per binding problem (`rotation status` lists the same), or one that says all is
/// consistent.
fn binding_checks(ctx: &Ctx<'_>, facts: &facts::Facts) -> Vec<Check> {
    let view = View::read(ctx);
    let mut found = problems(&view, &facts.side);
    // With the daemon down its key is not known: compare with client.key itself (read-only).
    if let (false, Some(b)) = (facts.up(), view.binding().filter(|b| b.bound))
        && let Ok(bytes) = std::fs::read(&ctx.paths.client_key)
        && files::well_formed(&bytes)
    {
        let key = Secret::new(String::from_utf8_lossy(&bytes).trim_end().to_owned());
        if !b.key_matches(&key) {
            found.push(Problem {
                severity: Severity::Fail,
                message: "the client key in config.toml is not client.key's: the router will refuse Codex's \
                          requests (401)"
                    .to_owned(),
                fix: "run `codexctl rotation bind-app`".to_owned(),
            });
        }
    }
    if found.is_empty() {
        let port = view.binding().and_then(|b| b.effective_port());
        let detail = match (view.mode(), port) {
            (Some(BindMode::Provider), Some(port)) => {
                format!("Codex is bound to port {port}, the daemon's, with its key")
            }
            (Some(BindMode::Native), Some(port)) => {
                format!("Codex is bound natively to port {port}, the daemon's, signed in with ChatGPT")
            }
            _ => "Codex is not bound to the router (`codexctl rotation enable` binds it)".to_owned(),
        };
        return vec![Check::ok("binding", detail)];
    }
    found
        .into_iter()
        .map(|p| {
            let status = match p.severity {
                Severity::Fail => Status::Fail,
                Severity::Warn => Status::Warn,
            };
            Check::new("binding", status, p.message, Some(p.fix))
        })
        .collect()
}
