//! Is the service manager usable? One read-only probe per platform, and what to tell the user
//! when it is not (SPEC §7: `enable` then starts the daemon detached and warns).

use std::io;

use codex_router_store::Platform;

use crate::command_lines::{launchd, schtasks, systemd};
use crate::context::ServiceContext;
use crate::manager::{Availability, ManagerKind};
use crate::runner::{CommandOutput, CommandSpec};

/// The probe to run for `ctx.platform`.
pub(crate) fn probe(ctx: &ServiceContext) -> CommandSpec {
    match ctx.platform {
        Platform::Linux => systemd::show_environment(),
        Platform::MacOs => launchd::print_domain(&ctx.launchd_domain()),
        Platform::Windows => schtasks::probe(),
    }
}

pub(crate) fn kind(platform: Platform) -> ManagerKind {
    match platform {
        Platform::Linux => ManagerKind::SystemdUser,
        Platform::MacOs => ManagerKind::Launchd,
        Platform::Windows => ManagerKind::TaskScheduler,
    }
}

/// What the probe's result means.
pub(crate) fn interpret(ctx: &ServiceContext, result: &io::Result<CommandOutput>) -> Availability {
    let kind = kind(ctx.platform);
    let unavailable = |reason: String| Availability::Unavailable {
        kind,
        reason,
        advice: advice(ctx),
    };
    match (ctx.platform, result) {
        (Platform::Linux, Ok(out)) if out.success() => Availability::Available(kind),
        (Platform::Linux, Ok(out)) => unavailable(format!(
            "no systemd user session (`systemctl --user` cannot reach a user manager: {})",
            first_line(out)
        )),
        (Platform::Linux, Err(e)) => unavailable(format!(
            "systemctl is not available ({e}); this system does not run systemd"
        )),
        (Platform::MacOs, _) if ctx.uid.is_none() => unavailable("the user id is unknown".to_owned()),
        (Platform::MacOs, Ok(out)) if out.success() => Availability::Available(kind),
        (Platform::MacOs, Ok(out)) => unavailable(format!(
            "no graphical login session for this user (`launchctl print {}` failed: {})",
            ctx.launchd_domain(),
            first_line(out)
        )),
        (Platform::MacOs, Err(e)) => unavailable(format!("launchctl is not available ({e})")),
        // Any answer at all means the tool is there; its help text's exit code varies.
        (Platform::Windows, Ok(_)) => Availability::Available(kind),
        (Platform::Windows, Err(e)) => unavailable(format!("schtasks is not available ({e})")),
    }
}

/// What to do instead of installing the service.
pub(crate) fn advice(ctx: &ServiceContext) -> String {
    let user = if ctx.user.is_empty() {
        "$USER"
    } else {
        ctx.user.as_str()
    };
    match ctx.platform {
        Platform::Linux => format!(
            "run `codexctl daemon start` at login from your shell profile (e.g. ~/.profile), or enable \
             lingering (`loginctl enable-linger {user}`) and log in again so a systemd user manager runs, \
             then `codexctl service install`"
        ),
        Platform::MacOs => "log in to the Mac's desktop and run `codexctl service install` there, or run \
                            `codexctl daemon start` at login from your shell profile"
            .to_owned(),
        Platform::Windows => {
            "run `codexctl daemon start` at logon (e.g. a shortcut in the Startup folder)".to_owned()
        }
    }
}

fn first_line(out: &CommandOutput) -> String {
    let text = out.combined_text();
    text.lines().next().unwrap_or_default().to_owned()
}

#[cfg(test)]
#[path = "detect_tests.rs"]
mod tests;
