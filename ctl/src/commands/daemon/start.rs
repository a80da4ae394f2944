//! `daemon start`: idempotent, returns once the daemon answers on its socket.
//!
//! When the login service is installed, the service manager starts the daemon (SPEC §9: so it is
//! never started twice, nor behind the manager's back). Otherwise the daemon is spawned detached
//! (its own process group, stdin closed, stdout/stderr appended to `logs/daemon-stderr.log`, the
//! same file the service-started daemon writes, so nothing it says is lost). Readiness is the
//! socket answering `ping`, checked with a short backoff; the child exiting first ends the wait at
//! once. After 10 s (`CODEXCTL_START_TIMEOUT_MS` for tests) we give up with exit 1 and show
//! the log.

use std::fs::OpenOptions;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use codex_router_service::ServiceManager;
use serde_json::json;

use crate::commands::daemon::describe;
use crate::commands::service::manager;
use crate::ctx::Ctx;
use crate::liveness::{Daemon, Liveness, lock_holder, probe};
use crate::{output, process};

const START_TIMEOUT: Duration = Duration::from_secs(10);
const LOG_TAIL_LINES: usize = 20;

/// How the daemon that answered came to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Started {
    /// It was running already (or another `codexctl` started it meanwhile).
    Already,
    /// This command spawned it detached.
    Detached,
    /// This command had the service manager start it.
    Service,
}

pub async fn start(ctx: &Ctx<'_>) -> anyhow::Result<()> {
    let (mut daemon, how) = ensure_running(ctx).await?;
    report(ctx, &mut daemon, how).await
}

/// The running daemon, started if needed: through the service manager when the service is
/// installed, else detached. What `daemon start` and `rotation bind-app` share.
pub async fn ensure_running(ctx: &Ctx<'_>) -> anyhow::Result<(Daemon, Started)> {
    if let Liveness::Up(daemon) = probe(&ctx.paths).await {
        return Ok((daemon, Started::Already));
    }
    ensure_running_with(ctx, &*manager::open(ctx)?).await
}

/// [`ensure_running`] with the service manager given (tests pass a fake).
pub async fn ensure_running_with(
    ctx: &Ctx<'_>,
    manager: &dyn ServiceManager,
) -> anyhow::Result<(Daemon, Started)> {
    if let Liveness::Up(daemon) = probe(&ctx.paths).await {
        return Ok((daemon, Started::Already));
    }
    if manager.status().installed {
        return through_service(ctx, manager, false, None).await;
    }
    start_detached(ctx).await
}

/// Start (or restart) the daemon through the service manager and wait until it answers.
/// `old_pid`: a daemon with this pid does not count (it is the one being restarted).
pub async fn through_service(
    ctx: &Ctx<'_>,
    manager: &dyn ServiceManager,
    restart: bool,
    old_pid: Option<u32>,
) -> anyhow::Result<(Daemon, Started)> {
    let name = manager::platform_name();
    let res = if restart {
        manager.restart()
    } else {
        manager.start()
    };
    res.with_context(|| format!("asking {name} to start codex-routerd"))?;
    let timeout = ctx.env_ms("CODEXCTL_START_TIMEOUT_MS").unwrap_or(START_TIMEOUT);
    let log_path = ctx.paths.logs_dir.join("daemon-stderr.log");
    match wait_ready(ctx, None, timeout, old_pid).await {
        Ok(daemon) => Ok((daemon, Started::Service)),
        Err(why) => {
            let tail = log_tail(&log_path, 0);
            anyhow::bail!(
                "{name} started the codex-router service, but {why}\n--- last lines of {} ---\n{tail}",
                log_path.display()
            )
        }
    }
}

/// The daemon spawned detached by this process (no service manager involved).
pub async fn start_detached(ctx: &Ctx<'_>) -> anyhow::Result<(Daemon, Started)> {
    let timeout = ctx.env_ms("CODEXCTL_START_TIMEOUT_MS").unwrap_or(START_TIMEOUT);
    match probe(&ctx.paths).await {
        Liveness::Up(daemon) => return Ok((daemon, Started::Already)),
        // A daemon holds the lock but is not answering yet: most likely still starting.
        Liveness::Unresponsive {
            pid: Some(pid),
            detail,
        } if lock_holder(&ctx.paths)?.is_some() => {
            return match wait_ready(ctx, None, timeout, None).await {
                Ok(daemon) => Ok((daemon, Started::Already)),
                Err(_) => anyhow::bail!(
                    "{detail}; it did not answer within {}s either. Stop it with `codexctl daemon stop` \
                     (pid {pid})",
                    timeout.as_secs()
                ),
            };
        }
        Liveness::Unresponsive { .. } | Liveness::Down { .. } => {}
    }
    let exe = process::locate_daemon().context(
        "cannot find codex-routerd next to codexctl or on PATH; install both binaries side by side",
    )?;
    ctx.paths.ensure_dirs().context("creating the router home")?;
    let log_path = ctx.paths.logs_dir.join("daemon-stderr.log");
    let (mut child, log_offset) = spawn_detached(&exe, &log_path)?;
    match wait_ready(ctx, Some(&mut child), timeout, None).await {
        Ok(daemon) => {
            let ours = daemon.ping.pid == child.id();
            Ok((daemon, if ours { Started::Detached } else { Started::Already }))
        }
        Err(why) => {
            let tail = log_tail(&log_path, log_offset);
            anyhow::bail!("{why}\n--- last lines of {} ---\n{tail}", log_path.display())
        }
    }
}

fn spawn_detached(exe: &Path, log_path: &Path) -> anyhow::Result<(Child, u64)> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let log = options
        .open(log_path)
        .with_context(|| format!("opening {}", log_path.display()))?;
    let offset = log.metadata().map(|m| m.len()).unwrap_or(0);
    let mut cmd = Command::new(exe);
    cmd.stdin(Stdio::null()).stdout(log.try_clone()?).stderr(log);
    // A process group of its own: Ctrl-C in this terminal, or the shell's job control, never
    // reaches the daemon.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    #[cfg(windows)]
    {
        const DETACHED_PROCESS: u32 = 0x0000_0008;
        const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
        std::os::windows::process::CommandExt::creation_flags(
            &mut cmd,
            DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP,
        );
    }
    let child = cmd
        .spawn()
        .with_context(|| format!("starting {}", exe.display()))?;
    Ok((child, offset))
}

/// Waits for a `ping` answer from a daemon other than `old_pid`. With `child`, its early exit
/// ends the wait (unless another daemon answers meanwhile: two racing `start`s both succeed).
pub async fn wait_ready(
    ctx: &Ctx<'_>,
    mut child: Option<&mut Child>,
    timeout: Duration,
    old_pid: Option<u32>,
) -> Result<Daemon, String> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(10);
    let mut child_gone = false;
    let up = |l: Liveness| match l {
        Liveness::Up(daemon) if Some(daemon.ping.pid) != old_pid => Some(daemon),
        _ => None,
    };
    loop {
        if let Some(daemon) = up(probe(&ctx.paths).await) {
            return Ok(daemon);
        }
        if let Some(child) = child.as_deref_mut().filter(|_| !child_gone)
            && let Ok(Some(status)) = child.try_wait()
        {
            if let Some(daemon) = up(probe(&ctx.paths).await) {
                return Ok(daemon);
            }
            // Lost a race: another `start` (a second `rotation enable`) spawned the daemon that
            // holds the lock, and ours exited "already running". Wait for that one instead.
            // (A lock held by a pid not yet recorded is theirs too: it is just taking it.)
            let lost = match crate::liveness::lock_holder(&ctx.paths) {
                Ok(Some(pid)) => pid != child.id(),
                Ok(None) => false,
                Err(_) => true,
            };
            if !lost {
                return Err(format!(
                    "codex-routerd exited ({status}) before it answered on its socket"
                ));
            }
            child_gone = true;
        }
        if Instant::now() >= deadline {
            let pid = child
                .filter(|_| !child_gone)
                .map(|c| format!(" (pid {}, still running)", c.id()))
                .unwrap_or_default();
            return Err(format!(
                "codex-routerd{pid} did not answer on {} within {}s; giving up",
                ctx.paths.socket.display(),
                timeout.as_secs_f32()
            ));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

pub async fn report(ctx: &Ctx<'_>, daemon: &mut Daemon, how: Started) -> anyhow::Result<()> {
    let mut info = describe(ctx, daemon).await?;
    if ctx.json {
        info["started"] = json!(how != Started::Already);
        info["via"] = json!(match how {
            Started::Already => None,
            Started::Detached => Some("detached"),
            Started::Service => Some("service"),
        });
        return output::json(&info);
    }
    let listen = crate::commands::status_render::text(info.get("listen"));
    let pid = daemon.ping.pid;
    output::line(&match how {
        Started::Detached => format!("started codex-routerd (pid {pid}), listening on {listen}"),
        Started::Service => format!(
            "started codex-routerd (pid {pid}) through {}, listening on {listen}",
            manager::platform_name()
        ),
        Started::Already => format!("codex-routerd is already running (pid {pid}), listening on {listen}"),
    })
}

/// The last lines this start wrote to the stderr log; the whole file's tail if it wrote none.
fn log_tail(path: &Path, offset: u64) -> String {
    let Ok(bytes) = std::fs::read(path) else {
        return "(no log)".to_owned();
    };
    let from = usize::try_from(offset).unwrap_or(0).min(bytes.len());
    let ours = if bytes.len() > from {
        &bytes[from..]
    } else {
        &bytes[..]
    };
    let text = String::from_utf8_lossy(ours);
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n");
    if tail.is_empty() {
        "(empty)".to_owned()
    } else {
        tail
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_prefers_what_this_start_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("daemon-stderr.log");
        std::fs::write(&path, "old 1\nold 2\n").unwrap();
        let offset = std::fs::metadata(&path).unwrap().len();
        assert_eq!(log_tail(&path, offset), "old 1\nold 2");
        std::fs::write(&path, "old 1\nold 2\nnew 1\n").unwrap();
        assert_eq!(log_tail(&path, offset), "new 1");
        let many: String = (0..50).map(|i| format!("line {i}\n")).collect();
        std::fs::write(&path, many).unwrap();
        assert!(log_tail(&path, 0).starts_with("line 30\n"));
    }
}
