//! `service install [--dry-run] [--linger|--no-linger]` and `service uninstall [--dry-run]`.
//!
//! Install refuses before touching anything where there is no service manager. Otherwise a
//! daemon started detached is stopped first (the service's daemon would exit "already running"
//! and be restarted in a loop), then the crate installs and starts the service, then lingering
//! is offered. Uninstall stops the daemon with the service; while Codex is still bound that
//! breaks Codex, which is said plainly (SPEC §7).

use std::path::PathBuf;

use anyhow::Context;
use codex_router_service::{Availability, Platform, ServiceManager, ServiceReport, ServiceSpec};
use serde_json::json;

use super::linger::{self, Choice, Decision};
use super::{manager, render};
use crate::binding::{self, View};
use crate::commands::daemon::stop;
use crate::ctx::Ctx;
use crate::liveness::{Liveness, probe};
use crate::{output, process};

#[derive(Debug, Clone)]
pub struct Options {
    pub dry_run: bool,
    pub linger: Choice,
}

impl Options {
    /// What `rotation enable` installs with: for real, lingering offered as usual.
    pub fn for_enable() -> Self {
        Options {
            dry_run: false,
            linger: Choice::Ask,
        }
    }
}

pub async fn install_cmd(
    ctx: &Ctx<'_>,
    manager: &dyn ServiceManager,
    options: &Options,
) -> anyhow::Result<()> {
    let report = install(ctx, manager, options).await?;
    if ctx.json {
        return output::json(&render::json(&report));
    }
    Ok(())
}

/// Installs (or, with `dry_run`, shows); prints the steps unless `--json`.
pub async fn install(
    ctx: &Ctx<'_>,
    manager: &dyn ServiceManager,
    options: &Options,
) -> anyhow::Result<ServiceReport> {
    install_with(ctx, manager, &spec(ctx)?, options).await
}

/// [`install`] with the definition's content given (tests pass their own).
pub async fn install_with(
    ctx: &Ctx<'_>,
    manager: &dyn ServiceManager,
    spec: &ServiceSpec,
    options: &Options,
) -> anyhow::Result<ServiceReport> {
    let name = manager::platform_name();
    let available = manager.detect();
    if let (Availability::Unavailable { reason, advice, .. }, false) = (&available, options.dry_run) {
        anyhow::bail!("cannot install the codex-router service: no service manager ({reason}); {advice}");
    }
    let mut notes = Vec::new();
    if let Some(pid) = detached_daemon(ctx, manager).await {
        if options.dry_run {
            notes.push(format!(
                "a real install first stops the detached codex-routerd (pid {pid})"
            ));
        } else {
            say(
                ctx,
                &format!("stopping the detached codex-routerd (pid {pid}): the service will run it"),
            );
            stop::stop_direct(ctx).await?;
        }
    }
    let mut report = manager
        .install(spec, options.dry_run)
        .with_context(|| format!("installing the codex-router service ({name})"))?;
    report.notes.splice(0..0, notes);
    let status = manager.status();
    let linux = Platform::current() == Platform::Linux && available.is_available();
    let interactive = linger::interactive();
    let decision = linger::decide(
        options.linger,
        linux,
        status.linger,
        interactive,
        linger::is_ci(ctx),
    );
    let enable = match decision {
        Decision::Enable => true,
        // A dry run asks nothing: it only shows.
        Decision::Prompt => !options.dry_run && linger::prompt(&spec.user),
        Decision::Skip | Decision::Advise => false,
    };
    if enable {
        let more = manager
            .enable_linger(options.dry_run)
            .context("enabling lingering (the service itself is installed)")?;
        report.actions.extend(more.actions);
        report.notes.extend(more.notes);
        // The manager's own advice to enable it is moot now.
        report
            .notes
            .retain(|n| !n.contains("keeps it running and starts it at boot"));
    }
    if !ctx.json {
        let head = if options.dry_run {
            format!("would install the codex-router service ({name}); nothing was changed:")
        } else {
            format!("installed the codex-router service ({name}); codex-routerd now starts at login:")
        };
        output::line(&head)?;
        output::print(&render::text(&report))?;
    }
    Ok(report)
}

pub async fn uninstall_cmd(ctx: &Ctx<'_>, manager: &dyn ServiceManager, dry_run: bool) -> anyhow::Result<()> {
    let name = manager::platform_name();
    let report = manager
        .uninstall(dry_run)
        .with_context(|| format!("removing the codex-router service ({name})"))?;
    let down = !matches!(probe(&ctx.paths).await, Liveness::Up(_));
    let broken = View::read(ctx).bound() && (down || dry_run);
    if ctx.json {
        let mut doc = render::json(&report);
        doc["codex_requests_fail"] = json!(broken && !dry_run);
        return output::json(&doc).map(|()| warn(broken, dry_run));
    }
    output::line(&if dry_run {
        format!("would remove the codex-router service ({name}); nothing was changed:")
    } else {
        format!("removed the codex-router service ({name}):")
    })?;
    output::print(&render::text(&report))?;
    warn(broken, dry_run);
    Ok(())
}

/// SPEC §7: bound with the daemon down is a broken Codex; say so on stderr.
fn warn(broken: bool, dry_run: bool) {
    if broken && dry_run {
        output::error_line(
            "codexctl: Codex is bound to the router: once the service is gone and the daemon stops, Codex \
             requests fail until `codexctl daemon start` or `codexctl rotation disable`",
        );
    } else if broken {
        output::error_line(&format!("codexctl: {}", binding::DOWN_WARNING));
    }
}

/// The definition's content: this machine's homes and the `codex-routerd` shipped with us.
fn spec(ctx: &Ctx<'_>) -> anyhow::Result<ServiceSpec> {
    let exe = process::locate_daemon().context(
        "cannot find codex-routerd next to codexctl or on PATH; install both binaries side by side",
    )?;
    let exe: PathBuf = std::path::absolute(&exe).with_context(|| format!("resolving {}", exe.display()))?;
    let user = manager::login_name(ctx);
    let env = |key: &str| match key {
        "USER" if cfg!(not(windows)) => user.clone(),
        other => ctx.env(other),
    };
    Ok(ServiceSpec::resolve(Platform::current(), &env, exe)?)
}

/// The pid of a running daemon the service manager does not own.
async fn detached_daemon(ctx: &Ctx<'_>, manager: &dyn ServiceManager) -> Option<u32> {
    let Liveness::Up(daemon) = probe(&ctx.paths).await else {
        return None;
    };
    (!manager::owns_daemon(&manager.status())).then_some(daemon.ping.pid)
}

fn say(ctx: &Ctx<'_>, text: &str) {
    if ctx.json {
        output::error_line(text);
    } else {
        let _ = output::line(text);
    }
}

#[cfg(test)]
#[path = "install_tests.rs"]
mod tests;
