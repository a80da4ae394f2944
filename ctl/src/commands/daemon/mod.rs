//! `codexctl daemon run|start|stop|restart|status|logs`.
//!
//! When the login service is installed, `start|stop|restart` act through the service manager
//! (SPEC §9), so the daemon is neither started twice nor restarted behind the user's back:
//! [`start::ensure_running`] and [`stop::stop_daemon`] decide, and `rotation` uses them too.

mod logs;
pub mod start;
pub mod stop;

use anyhow::Context;
use codex_router_protocol::methods::{self, ProxyInfo};
use codex_router_store::read_daemon_info;
use serde_json::{Value, json};

use crate::cli::DaemonCommand;
use crate::ctx::Ctx;
use crate::exit::{NOT_RUNNING, Quiet, START_HINT};
use crate::liveness::{Daemon, Liveness, decode, probe};
use crate::{output, process, timefmt};

pub async fn run(ctx: &Ctx<'_>, cmd: &DaemonCommand) -> anyhow::Result<()> {
    match cmd {
        DaemonCommand::Run => foreground(),
        DaemonCommand::Start => start::start(ctx).await,
        DaemonCommand::Stop => stop::stop(ctx).await,
        DaemonCommand::Restart => restart(ctx).await,
        DaemonCommand::Status => status(ctx).await,
        DaemonCommand::Logs(args) => logs::logs(ctx, args.follow).await,
    }
}

/// Through the service manager when it runs the daemon (one `systemctl --user restart`),
/// else `stop` then `start`.
async fn restart(ctx: &Ctx<'_>) -> anyhow::Result<()> {
    let manager = crate::commands::service::manager::open(ctx)?;
    if crate::commands::service::manager::owns_daemon(&manager.status()) {
        let old = match probe(&ctx.paths).await {
            Liveness::Up(daemon) => Some(daemon.ping.pid),
            _ => None,
        };
        let (mut daemon, how) = start::through_service(ctx, &*manager, true, old).await?;
        return start::report(ctx, &mut daemon, how).await;
    }
    stop::stop(ctx).await?;
    start::start(ctx).await
}

/// `daemon run`: become the daemon (exec on Unix), same environment, output on this terminal.
fn foreground() -> anyhow::Result<()> {
    let exe = process::locate_daemon().context(
        "cannot find codex-routerd next to codexctl or on PATH; install both binaries side by side",
    )?;
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let err = std::process::Command::new(&exe).exec();
        Err(err).with_context(|| format!("running {}", exe.display()))
    }
    #[cfg(not(unix))]
    {
        let status = std::process::Command::new(&exe)
            .status()
            .with_context(|| format!("running {}", exe.display()))?;
        match status.code() {
            Some(0) => Ok(()),
            code => Err(Quiet(code.and_then(|c| u8::try_from(c).ok()).unwrap_or(1)).into()),
        }
    }
}

async fn status(ctx: &Ctx<'_>) -> anyhow::Result<()> {
    match probe(&ctx.paths).await {
        Liveness::Up(mut daemon) => {
            let info = describe(ctx, &mut daemon).await?;
            if ctx.json {
                return output::json(&info);
            }
            let field = |k: &str| crate::commands::status_render::text(info.get(k));
            let uptime = info.get("uptime_s").and_then(Value::as_u64).map_or_else(
                || "-".to_owned(),
                |s| timefmt::span(std::time::Duration::from_secs(s)),
            );
            output::print(&format!(
                "codex-routerd is running\n  pid       {}\n  version   {}\n  instance  {}\n  listen    {}\n  \
                 started   {} (up {uptime})\n  socket    {}\n",
                field("pid"),
                field("version"),
                field("instance_id"),
                field("listen"),
                field("started_at"),
                field("socket"),
            ))
        }
        Liveness::Down { detail } | Liveness::Unresponsive { detail, .. } => {
            if ctx.json {
                output::json(&json!({"running": false, "detail": detail}))?;
            } else {
                output::line(&format!("codex-routerd is not running ({detail})"))?;
            }
            output::error_line(&format!("codexctl: {START_HINT}"));
            Err(Quiet(NOT_RUNNING).into())
        }
    }
}

/// Who answered: the ping, plus listen address and start time from `daemon.json` when that file
/// is this very instance's (same `instance_id`), else from `proxy.info`.
async fn describe(ctx: &Ctx<'_>, daemon: &mut Daemon) -> anyhow::Result<Value> {
    let ping = &daemon.ping;
    let mut info = json!({
        "running": true, "pid": ping.pid, "version": ping.version, "instance_id": ping.instance_id,
        "socket": ctx.paths.socket,
    });
    let file = read_daemon_info(&ctx.paths.daemon_json).ok().flatten();
    match file.filter(|f| f.instance_id == ping.instance_id && f.pid == ping.pid) {
        Some(file) => {
            info["listen"] = json!(file.listen);
            info["started_at"] = json!(file.started_at);
            info["uptime_s"] = json!(file.started_at.until(timefmt::now()).as_secs());
        }
        None => {
            let proxy: ProxyInfo = decode(daemon.call(methods::PROXY_INFO, json!({})).await?)?;
            info["listen"] = json!(proxy.listen);
        }
    }
    Ok(info)
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod service_tests;
