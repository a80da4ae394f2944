//! The control plane and the daemon's life cycle: `codexctl status --json` round trips (a whole process
//! each, as a user or a status bar runs it), the raw IPC `status` call, the time from spawning
//! `codex-routerd` to `/healthz` answering (every daemon the run started), and idle RSS.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use tokio::process::Command;

use crate::cells::Ctx;
use crate::checks;
use crate::cli::FakeArgs;
use crate::daemon::Daemon;
use crate::load::{self, LoadSpec, Sessions};
use crate::report::CellReport;
use crate::rig::TargetKind;
use crate::stats::{Dist, median, ms};
use crate::status;

pub const NAME: &str = "control";
pub const TITLE: &str = "codexctl status --json, IPC status, daemon start-up and idle RSS";

pub async fn run(ctx: &mut Ctx) -> anyhow::Result<CellReport> {
    let mut report = CellReport::new(NAME, TITLE);
    let calls = ctx.plan.status_calls;
    report.param("status_calls", calls);
    let mut rig = ctx.rig(&FakeArgs::default(), None, false).await?;
    // A little traffic first, so status has counters and account rows to report.
    let spec = LoadSpec {
        concurrency: 2,
        duration: Duration::ZERO,
        per_vu: Some(3),
        sessions: Sessions::PerVu,
        seed: 0,
        jitter: std::time::Duration::ZERO,
    };
    let warm = load::run(rig.target(TargetKind::Router)?, ctx.body.clone(), &spec).await;
    rig.tally.add(TargetKind::Router, &warm);
    ctx.checks
        .push(checks::errors(NAME, "router", warm.errors, &warm.error_examples));
    let counter_checks = checks::counters(&mut rig, NAME, true).await;
    ctx.checks.extend(counter_checks);
    let d = &mut report.derived;
    match timed(calls, || async {
        status::ipc_status(&rig.daemon).await.map(drop)
    })
    .await
    {
        Ok(dist) => insert(d, "ipc_status", dist),
        Err(e) => report
            .notes
            .push(format!("IPC `status` round trip skipped: {e:#}")),
    }
    match &ctx.bins.codexctl {
        None => report
            .notes
            .push("`codexctl status --json` skipped: no codexctl binary found".to_owned()),
        Some(exe) => match probe(exe, &rig.daemon).await {
            Err(e) => report
                .notes
                .push(format!("`codexctl status --json` skipped: {e:#}")),
            Ok(()) => match timed(calls, || codexctl_status(exe, &rig.daemon)).await {
                Ok(dist) => insert(d, "codexctl_status", dist),
                Err(e) => report
                    .notes
                    .push(format!("`codexctl status --json` failed during the run: {e:#}")),
            },
        },
    }
    rig.stop().await;
    let startups = &ctx.startups_ms;
    d.insert("startup_p50_ms".into(), median(startups));
    d.insert(
        "startup_max_ms".into(),
        startups.iter().copied().fold(0.0, f64::max),
    );
    d.insert("startups".into(), startups.len() as f64);
    let idle: Vec<f64> = ctx.idle_rss_kib.iter().map(|&k| k as f64 / 1024.0).collect();
    d.insert("idle_rss_p50_mib".into(), median(&idle));
    d.insert(
        "idle_rss_max_mib".into(),
        idle.iter().copied().fold(0.0, f64::max),
    );
    Ok(report)
}

fn insert(d: &mut std::collections::BTreeMap<String, f64>, key: &str, dist: Dist) {
    d.insert(format!("{key}_p50_ms"), ms(dist.p50_us));
    d.insert(format!("{key}_p99_ms"), ms(dist.p99_us));
    d.insert(format!("{key}_max_ms"), ms(dist.max_us));
}

/// Runs `op` `n` times, one after another; the first error ends it.
async fn timed<F, Fut>(n: usize, op: F) -> anyhow::Result<Dist>
where
    F: Fn() -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let mut us = Vec::with_capacity(n);
    for _ in 0..n {
        let t0 = Instant::now();
        op().await?;
        us.push(u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX));
    }
    Ok(Dist::of(us))
}

/// One call that must print a status object naming the daemon, or the cell is skipped with what it did.
async fn probe(exe: &Path, daemon: &Daemon) -> anyhow::Result<()> {
    let out = command(exe, daemon)
        .output()
        .await
        .with_context(|| format!("running {}", exe.display()))?;
    let parsed: Option<serde_json::Value> = serde_json::from_slice(&out.stdout).ok();
    if out.status.success() && parsed.as_ref().is_some_and(|v| v.get("daemon").is_some()) {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    bail!(
        "`codexctl status --json` is not available yet ({}; stdout {} bytes; stderr: {})",
        out.status,
        out.stdout.len(),
        stderr
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(200)
            .collect::<String>()
    )
}

async fn codexctl_status(exe: &Path, daemon: &Daemon) -> anyhow::Result<()> {
    let status = command(exe, daemon)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await?;
    anyhow::ensure!(status.success(), "codexctl status --json exited with {status}");
    Ok(())
}

fn command(exe: &Path, daemon: &Daemon) -> Command {
    let mut c = Command::new(exe);
    c.args(["status", "--json"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", daemon.home())
        .env("CODEX_ROUTER_HOME", daemon.home())
        .env("CODEX_HOME", &daemon.codex_home)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    c
}
