//! `rotation enable` and `rotation disable [--stop]` (SPEC §7).
//!
//! `enable` makes the router something a user turns on once: the login service installed and
//! running (so the daemon comes back after a reboot), then the bind. Where there is no service
//! manager (a container, a session without a user bus) it starts the daemon detached instead
//! and says that it will not come back by itself. Both steps are idempotent: a second `enable`
//! changes nothing, and two at once end with one backup and one binding because the bind runs
//! under `bind/bind.lock`.

use codex_router_codex_config::BindMode;
use codex_router_codex_config::login::check_native_login;
use codex_router_service::{Availability, ServiceManager};
use serde_json::json;

use super::{bind, codex_config_path, say, unbind};
use crate::binding::View;
use crate::commands::daemon::start::{self, Started};
use crate::commands::daemon::stop;
use crate::commands::service::{install, manager};
use crate::ctx::Ctx;
use crate::liveness::{Daemon, Liveness, probe};
use crate::output;

/// How `enable` gets a daemon running, decided from the service manager and the socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// No service manager: start the daemon detached, and warn.
    Detached { reason: String, advice: String },
    /// Install the service (which starts it); a detached daemon is stopped first.
    Install,
    /// Installed but not running: start it through the manager.
    StartService,
    /// Installed, and a detached daemon runs beside it: stop that, start the service's.
    HandOver,
    /// The service runs the daemon already.
    Running,
}

pub fn plan(manager: &dyn ServiceManager, daemon_up: bool) -> Step {
    if let Availability::Unavailable { reason, advice, .. } = manager.detect() {
        return Step::Detached { reason, advice };
    }
    let status = manager.status();
    match (status.installed, manager::owns_daemon(&status), daemon_up) {
        (false, _, _) => Step::Install,
        (true, true, true) => Step::Running,
        (true, false, true) => Step::HandOver,
        (true, _, false) => Step::StartService,
    }
}

/// `mode` is the binding `enable` writes: `--native` or not, like `bind-app`, so switching is
/// one command either way.
pub async fn enable(ctx: &Ctx<'_>, mode: BindMode) -> anyhow::Result<()> {
    let config = codex_config_path(ctx)?;
    // A re-enable keeps an opt-in made with `bind-app --remote-compaction`.
    let remote_compaction = View::read(ctx)
        .binding()
        .is_some_and(|b| b.bound && b.remote_compaction);
    // Refuse a native enable before installing or starting anything when Codex is signed out:
    // the bind would refuse anyway, after the service was set up for nothing.
    if mode == BindMode::Native {
        check_native_login(&config)?;
    }
    let manager = manager::open(ctx)?;
    let up = matches!(probe(&ctx.paths).await, Liveness::Up(_));
    let step = plan(&*manager, up);
    let service = !matches!(step, Step::Detached { .. });
    let (mut daemon, how) = run_step(ctx, &*manager, step).await?;
    if how != Started::Already {
        say(ctx, &format!("started codex-routerd (pid {})", daemon.ping.pid));
    }
    let report = bind::bind(ctx, &mut daemon, remote_compaction, mode).await?;
    if ctx.json {
        let mut doc = bind::report_json(&report, remote_compaction);
        doc["service"] = json!(service);
        doc["daemon_pid"] = json!(daemon.ping.pid);
        return output::json(&doc);
    }
    bind::print_report(ctx, &report, remote_compaction, &config)
}

/// Carries out `step`; returns the daemon once it answers.
async fn run_step(
    ctx: &Ctx<'_>,
    manager: &dyn ServiceManager,
    step: Step,
) -> anyhow::Result<(Daemon, Started)> {
    match step {
        Step::Detached { reason, advice } => {
            output::error_line(&format!(
                "codexctl: warning: no service manager ({reason}); starting codex-routerd detached. It will \
                 not come back after a reboot or logout: {advice}"
            ));
            start::start_detached(ctx).await
        }
        Step::Install => {
            install::install(ctx, manager, &install::Options::for_enable()).await?;
            let timeout = ctx
                .env_ms("CODEXCTL_START_TIMEOUT_MS")
                .unwrap_or(std::time::Duration::from_secs(10));
            match start::wait_ready(ctx, None, timeout, None).await {
                Ok(daemon) => Ok((daemon, Started::Service)),
                Err(why) => anyhow::bail!("the service was installed, but {why}; see `codexctl daemon logs`"),
            }
        }
        Step::HandOver => {
            say(ctx, "stopping the detached codex-routerd so the service runs it");
            stop::stop_direct(ctx).await?;
            start::through_service(ctx, manager, false, None).await
        }
        Step::StartService => start::through_service(ctx, manager, false, None).await,
        Step::Running => match probe(&ctx.paths).await {
            Liveness::Up(daemon) => Ok((daemon, Started::Already)),
            // It stopped in between: start it again.
            _ => start::through_service(ctx, manager, false, None).await,
        },
    }
}

pub async fn disable(ctx: &Ctx<'_>, stop_daemon: bool) -> anyhow::Result<()> {
    let report = unbind::unbind(ctx)?;
    if !stop_daemon {
        if ctx.json {
            return output::json(&unbind::report_json(&report));
        }
        unbind::print_report(ctx, &report)?;
        if matches!(probe(&ctx.paths).await, Liveness::Up(_)) {
            output::line(
                "  note: the daemon keeps running; `codexctl rotation disable --stop` or `codexctl daemon \
                 stop` stops it",
            )?;
        }
        return Ok(());
    }
    if !ctx.json {
        unbind::print_report(ctx, &report)?;
    }
    let stopped = stop::stop_daemon(ctx).await?;
    if ctx.json {
        let mut doc = unbind::report_json(&report);
        doc["daemon"] = stopped.to_json();
        return output::json(&doc);
    }
    output::line(&stopped.line())
}

#[cfg(test)]
mod tests {
    use codex_router_service::ManagerKind;
    use codex_router_service::fake::FakeServiceManager;

    use super::*;

    fn fake(installed: bool, active: bool) -> FakeServiceManager {
        let fake = FakeServiceManager::available();
        {
            let mut s = fake.state.lock().unwrap();
            s.installed = installed;
            s.active = active;
        }
        fake
    }

    #[test]
    fn enable_uses_the_service_manager_when_there_is_one() {
        assert_eq!(plan(&fake(false, false), false), Step::Install);
        assert_eq!(
            plan(&fake(false, false), true),
            Step::Install,
            "install stops the detached one"
        );
        assert_eq!(plan(&fake(true, false), false), Step::StartService);
        assert_eq!(plan(&fake(true, false), true), Step::HandOver);
        assert_eq!(plan(&fake(true, true), true), Step::Running);
        assert_eq!(plan(&fake(true, true), false), Step::StartService);
        // Deciding changed nothing.
        let m = fake(false, false);
        let _ = plan(&m, false);
        assert!(m.snapshot().calls.is_empty());
    }

    #[test]
    fn without_a_service_manager_enable_starts_the_daemon_detached() {
        let m = FakeServiceManager::new(Availability::Unavailable {
            kind: ManagerKind::SystemdUser,
            reason: "no user bus".into(),
            advice: "use your shell profile".into(),
        });
        assert_eq!(
            plan(&m, false),
            Step::Detached {
                reason: "no user bus".into(),
                advice: "use your shell profile".into()
            }
        );
    }
}
