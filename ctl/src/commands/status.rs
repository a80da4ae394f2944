//! `codexctl status [--json] [--watch]`.
//!
//! `--watch` redraws from the daemon's `status.subscribe` stream: the daemon pushes a snapshot
//! on every change, so nothing polls it. On a terminal the last snapshot is also redrawn once a
//! second from the local clock, so "in 4m 12s" and the uptime keep counting between events.
//! With `--json`, each snapshot is one line (NDJSON).

use std::io::IsTerminal;
use std::pin::pin;
use std::time::Duration;

use codex_router_ipc::IpcError;
use codex_router_protocol::methods;
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::cli::StatusArgs;
use crate::commands::status_render::render;
use crate::ctx::Ctx;
use crate::exit::{NOT_RUNNING, Quiet, START_HINT};
use crate::liveness::{Daemon, Liveness, probe};
use crate::{binding, output, timefmt};

pub async fn run(ctx: &Ctx<'_>, args: &StatusArgs) -> anyhow::Result<()> {
    match probe(&ctx.paths).await {
        Liveness::Up(mut daemon) if args.watch => watch(ctx, &mut daemon).await,
        Liveness::Up(mut daemon) => {
            let snapshot = daemon.call(methods::STATUS, json!({})).await?;
            show(ctx, &snapshot)
        }
        Liveness::Down { detail } | Liveness::Unresponsive { detail, .. } => down(ctx, &detail),
    }
}

fn show(ctx: &Ctx<'_>, snapshot: &Value) -> anyhow::Result<()> {
    if ctx.json {
        output::json(snapshot)
    } else {
        output::print(&render(snapshot, timefmt::now())?)
    }
}

/// Daemon down: say so, show the binding (a bound Codex is broken right now), exit 3.
fn down(ctx: &Ctx<'_>, detail: &str) -> anyhow::Result<()> {
    let view = binding::View::read(ctx);
    if ctx.json {
        let binding = view.to_json(Some(&binding::DaemonSide::Down));
        output::json(&json!({"daemon": null, "running": false, "detail": detail, "binding": binding}))?;
    } else {
        output::line(&format!("daemon    not running ({detail})"))?;
        let binding = view.view(&binding::DaemonSide::Down);
        output::line(&format!("binding   {}", binding::describe_down(&binding)))?;
    }
    output::error_line(&format!("codexctl: codex-routerd is not running; {START_HINT}"));
    Err(Quiet(NOT_RUNNING).into())
}

async fn watch(ctx: &Ctx<'_>, daemon: &mut Daemon) -> anyhow::Result<()> {
    let tty = std::io::stdout().is_terminal();
    let mut events = pin!(
        daemon
            .client
            .subscribe(methods::STATUS_SUBSCRIBE, json!({}))
            .await?
    );
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut last: Option<Value> = None;
    loop {
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(snapshot)) => {
                    draw(ctx, &snapshot, tty)?;
                    last = Some(snapshot);
                }
                None | Some(Err(IpcError::Closed)) => return ended(ctx, "the daemon stopped"),
                Some(Err(IpcError::Rpc(err))) => return ended(ctx, &format!("the daemon ended the stream: {err}")),
                Some(Err(err)) => return Err(anyhow::Error::new(err).context("watching status")),
            },
            _ = tick.tick(), if tty && !ctx.json => {
                if let Some(snapshot) = &last {
                    draw(ctx, snapshot, tty)?;
                }
            }
        }
    }
}

fn draw(ctx: &Ctx<'_>, snapshot: &Value, tty: bool) -> anyhow::Result<()> {
    if ctx.json {
        return output::line(&snapshot.to_string());
    }
    let screen = render(snapshot, timefmt::now())?;
    if tty {
        // Home the cursor and clear, then draw: one write, so the screen never flickers empty.
        output::print(&format!("\x1b[H\x1b[2J{screen}"))
    } else {
        output::print(&format!("{screen}\n"))
    }
}

fn ended(ctx: &Ctx<'_>, why: &str) -> anyhow::Result<()> {
    if !ctx.json {
        output::line(&format!("-- {why}"))?;
    }
    output::error_line(&format!("codexctl: {why}; {START_HINT}"));
    Err(Quiet(NOT_RUNNING).into())
}
