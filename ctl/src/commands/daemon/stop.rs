//! `daemon stop`: graceful first, forced (killed) after a grace period.
//!
//! A daemon that answers gets `daemon.stop` and drains its streams (`[proxy] drain_timeout`,
//! 10 s by default). One that does not answer (stopped, wedged) gets SIGTERM. Either way, if it
//! is still there after the drain window plus 5 s (`CODEXCTL_STOP_GRACE_MS` replaces the whole
//! wait, for tests), the process holding `run/daemon.lock` is killed and we say so. Only the
//! lock holder is ever killed, and only while it holds the lock: a pid from a file alone may have
//! been recycled by an unrelated program.

//!
//! When the login service is installed and running, the service manager stops it (SPEC §9),
//! so it neither restarts the daemon behind the user's back nor counts the stop as a crash.

use std::time::{Duration, Instant};

use anyhow::Context;
use codex_router_protocol::methods::{self, StopResult};
use codex_router_service::ServiceManager;
use codex_router_store::{RouterPaths, remove_daemon_info};
use serde_json::json;

use crate::commands::service::manager;
use crate::ctx::Ctx;
use crate::liveness::{Liveness, decode, lock_holder, probe};
use crate::{binding, output, process};

/// Added to the drain window before a stop is forced (SPEC §9).
const AFTER_DRAIN: Duration = Duration::from_secs(5);
/// How long a SIGKILLed process may take to release its lock.
const AFTER_KILL: Duration = Duration::from_secs(5);

pub async fn stop(ctx: &Ctx<'_>) -> anyhow::Result<()> {
    let stopped = stop_daemon(ctx).await?;
    if ctx.json {
        output::json(&stopped.to_json())?;
    } else {
        output::line(&stopped.line())?;
    }
    warn_if_bound(ctx);
    Ok(())
}

/// What a stop did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// The daemon's pid; `None` when none was running.
    pub pid: Option<u32>,
    /// It had to be killed after the grace period.
    pub forced: bool,
    /// The service manager stopped it.
    pub via_service: bool,
}

impl Stopped {
    pub fn to_json(self) -> serde_json::Value {
        let mut v = json!({"stopped": self.pid.is_some() || self.via_service, "pid": self.pid, "forced": self.forced});
        if self.via_service {
            v["via"] = json!("service");
        }
        if self.pid.is_none() && !self.via_service {
            v["running"] = json!(false);
        }
        v
    }

    pub fn line(self) -> String {
        match (self.pid, self.via_service) {
            (_, true) => format!("stopped the codex-router service ({})", manager::platform_name()),
            (Some(pid), false) => format!("stopped codex-routerd (pid {pid})"),
            (None, false) => "codex-routerd is not running".to_owned(),
        }
    }
}

/// Stop the daemon, through the service manager when the service runs it; prints progress only.
pub async fn stop_daemon(ctx: &Ctx<'_>) -> anyhow::Result<Stopped> {
    stop_daemon_with(ctx, &*manager::open(ctx)?).await
}

/// [`stop_daemon`] with the service manager given (tests pass a fake).
pub async fn stop_daemon_with(ctx: &Ctx<'_>, manager: &dyn ServiceManager) -> anyhow::Result<Stopped> {
    if manager::owns_daemon(&manager.status()) {
        return stop_service(ctx, manager).await;
    }
    stop_direct(ctx).await
}

/// Through the service manager: it stops the daemon (SIGTERM, so it drains) and records that
/// it was stopped on purpose. A daemon still there after the grace period is killed as below.
async fn stop_service(ctx: &Ctx<'_>, manager: &dyn ServiceManager) -> anyhow::Result<Stopped> {
    let pid = match probe(&ctx.paths).await {
        Liveness::Up(daemon) => Some(daemon.ping.pid),
        _ => lock_holder(&ctx.paths)?,
    };
    // Task Scheduler ends a task at once, without the drain: ask the daemon first.
    if cfg!(windows)
        && let Liveness::Up(mut daemon) = probe(&ctx.paths).await
    {
        let _ = daemon.call(methods::DAEMON_STOP, json!({})).await;
    }
    let name = manager::platform_name();
    if let Some(pid) = pid {
        say(ctx, &format!("stopping codex-routerd (pid {pid}) through {name}"));
    }
    manager
        .stop()
        .with_context(|| format!("asking {name} to stop codex-routerd"))?;
    let mut forced = false;
    if let Some(pid) = pid {
        let grace = grace(ctx);
        if !wait_exit(&ctx.paths, pid, grace).await {
            force(ctx, pid, grace).await?;
            forced = true;
        }
    }
    let _ = remove_daemon_info(&ctx.paths.daemon_json);
    Ok(Stopped {
        pid,
        forced,
        via_service: true,
    })
}

fn grace(ctx: &Ctx<'_>) -> Duration {
    ctx.env_ms("CODEXCTL_STOP_GRACE_MS")
        .unwrap_or_else(|| drain_timeout(ctx) + AFTER_DRAIN)
}

/// A daemon this `codexctl` (or another) started detached: `daemon.stop` over IPC.
pub async fn stop_direct(ctx: &Ctx<'_>) -> anyhow::Result<Stopped> {
    let grace = grace(ctx);
    let not_running = Stopped {
        pid: None,
        forced: false,
        via_service: false,
    };
    let (pid, how) = match probe(&ctx.paths).await {
        Liveness::Up(mut daemon) => {
            let stopping: StopResult = decode(daemon.call(methods::DAEMON_STOP, json!({})).await?)?;
            (stopping.pid, "draining in-flight streams".to_owned())
        }
        Liveness::Unresponsive { detail, .. } => match lock_holder(&ctx.paths)? {
            Some(pid) => {
                let _ = process::terminate(pid);
                (pid, format!("it does not answer ({detail}); sent SIGTERM"))
            }
            None => return Ok(not_running),
        },
        Liveness::Down { .. } => return Ok(not_running),
    };
    say(ctx, &format!("stopping codex-routerd (pid {pid}): {how}"));
    let forced = if wait_exit(&ctx.paths, pid, grace).await {
        false
    } else {
        force(ctx, pid, grace).await?;
        true
    };
    let _ = remove_daemon_info(&ctx.paths.daemon_json);
    Ok(Stopped {
        pid: Some(pid),
        forced,
        via_service: false,
    })
}

/// SIGKILL the lock holder, if it still is one.
async fn force(ctx: &Ctx<'_>, pid: u32, waited: Duration) -> anyhow::Result<()> {
    let Some(holder) = lock_holder(&ctx.paths)? else {
        return Ok(());
    };
    process::kill(holder).map_err(|e| anyhow::anyhow!("could not kill codex-routerd (pid {holder}): {e}"))?;
    let note = if holder == pid {
        String::new()
    } else {
        format!(" (the lock holder; the daemon said pid {pid})")
    };
    say(
        ctx,
        &format!(
            "codex-routerd did not exit within {:.1}s; killed pid {holder}{note} with SIGKILL",
            waited.as_secs_f32()
        ),
    );
    if !wait_exit(&ctx.paths, holder, AFTER_KILL).await {
        anyhow::bail!(
            "pid {holder} still holds {} after SIGKILL",
            ctx.paths.daemon_lock.display()
        );
    }
    Ok(())
}

/// True once `pid` no longer holds the lock, or is gone altogether. The lock is the signal that
/// counts: it is released once the whole process has exited, even if nobody reaps it.
async fn wait_exit(paths: &RouterPaths, pid: u32, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(10);
    loop {
        if matches!(lock_holder(paths), Ok(None)) || !process::exists(pid) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(pause.min(deadline.saturating_duration_since(Instant::now()))).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

fn drain_timeout(ctx: &Ctx<'_>) -> Duration {
    codex_router_settings::read_file(&ctx.paths.config)
        .ok()
        .and_then(|text| codex_router_settings::load(text.as_deref(), ctx.env_fn()).ok())
        .map_or(Duration::from_secs(10), |s| s.proxy.drain_timeout)
}

/// Progress goes to stderr in `--json` mode so stdout stays one JSON document.
fn say(ctx: &Ctx<'_>, text: &str) {
    if ctx.json {
        output::error_line(text);
    } else {
        // A closed stdout must not stop the stop: the user asked for it.
        let _ = output::line(text);
    }
}

/// SPEC §7 "Bound but daemon down": say it plainly after every stop.
pub fn warn_if_bound(ctx: &Ctx<'_>) {
    if binding::View::read(ctx).bound() {
        output::error_line(&format!("codexctl: {}", binding::DOWN_WARNING));
    }
}
