//! `daemon stop`: graceful first, forced after a grace period (review #61).
//!
//! A daemon that answers gets `daemon.stop` and drains its streams (`[proxy] drain_timeout`,
//! 10 s by default). One that does not answer (stopped, wedged) gets SIGTERM. Either way, if it
//! is still there after the drain window plus 5 s (`CODEXCTL_STOP_GRACE_MS` replaces the whole
//! wait, for tests), the process holding `run/daemon.lock` is killed and we say so. Only the
//! lock holder is ever killed, and only while it holds the lock: a pid from a file alone may have
//! been recycled by an unrelated program (review #26).

use std::time::{Duration, Instant};

use codex_router_protocol::methods::{self, StopResult};
use codex_router_store::{RouterPaths, remove_daemon_info};
use serde_json::json;

use crate::ctx::Ctx;
use crate::liveness::{Liveness, decode, lock_holder, probe};
use crate::{binding, output, process};

/// Added to the drain window before a stop is forced (SPEC §9).
const AFTER_DRAIN: Duration = Duration::from_secs(5);
/// How long a SIGKILLed process may take to release its lock.
const AFTER_KILL: Duration = Duration::from_secs(5);

pub async fn stop(ctx: &Ctx<'_>) -> anyhow::Result<()> {
    let grace = ctx
        .env_ms("CODEXCTL_STOP_GRACE_MS")
        .unwrap_or_else(|| drain_timeout(ctx) + AFTER_DRAIN);
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
            None => return not_running(ctx),
        },
        Liveness::Down { .. } => return not_running(ctx),
    };
    say(ctx, &format!("stopping codex-routerd (pid {pid}): {how}"));
    let forced = if wait_exit(&ctx.paths, pid, grace).await {
        false
    } else {
        force(ctx, pid, grace).await?;
        true
    };
    let _ = remove_daemon_info(&ctx.paths.daemon_json);
    if ctx.json {
        output::json(&json!({"stopped": true, "pid": pid, "forced": forced}))?;
    } else {
        output::line(&format!("stopped codex-routerd (pid {pid})"))?;
    }
    warn_if_bound(ctx);
    Ok(())
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

fn not_running(ctx: &Ctx<'_>) -> anyhow::Result<()> {
    if ctx.json {
        output::json(&json!({"stopped": false, "running": false}))?;
    } else {
        output::line("codex-routerd is not running")?;
    }
    warn_if_bound(ctx);
    Ok(())
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

fn warn_if_bound(ctx: &Ctx<'_>) {
    if binding::local(&ctx.paths, ctx.codex_config().as_deref())["bound"] == true {
        output::error_line(
            "codexctl: Codex is bound to the router: its requests fail until `codexctl daemon start` or \
             `codexctl rotation disable`",
        );
    }
}
