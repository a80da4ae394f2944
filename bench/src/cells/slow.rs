//! Many concurrent slow streams through the router (what a busy laptop with several Codex sessions and
//! sub-agents looks like, times ten): the daemon's RSS and CPU while they run, and how long its RSS
//! takes to come back near its idle figure once they end.

use std::time::{Duration, Instant};

use crate::cells::Ctx;
use crate::checks::{self, Check};
use crate::cli::FakeArgs;
use crate::load::{self, LoadSpec, Sessions};
use crate::procfs::{self, RssSampler, TICKS_PER_SEC};
use crate::report::{CellReport, TargetReport};
use crate::rig::TargetKind;
use crate::stats::RunSummary;

pub const NAME: &str = "slow-streams";
pub const TITLE: &str = "concurrent slow streams through the router: daemon RSS and CPU";

/// "Near idle": within this factor of the RSS the daemon had right after start.
pub const NEAR_IDLE: f64 = 1.25;

/// The stream curve's other points: `streams-64` and so on.
pub fn curve_name(streams: usize) -> String {
    format!("streams-{streams}")
}

/// `streams` slow streams at once; `settle`: also wait for the RSS to come back near idle (the
/// 1 000-stream cell's target; the curve's other points skip that minute).
pub async fn run(ctx: &mut Ctx, streams: usize, settle_too: bool) -> anyhow::Result<CellReport> {
    let plan = ctx.plan.clone();
    let name = if settle_too {
        NAME.to_owned()
    } else {
        curve_name(streams)
    };
    let mut report = CellReport::new(&name, TITLE);
    report.param("streams", streams);
    report.param("deltas", plan.slow_deltas);
    report.param("delay_ms", plan.slow_delay_ms);
    let fake = FakeArgs {
        deltas: plan.slow_deltas,
        delay_ms: plan.slow_delay_ms,
        ..FakeArgs::default()
    };
    ctx.wait_for_quiet().await;
    let mut rig = ctx.rig(&fake, None, false).await?;
    let pid = rig.daemon.pid;
    let idle = procfs::rss_kib(pid).unwrap_or(0);
    report
        .daemon
        .startup_ms
        .push(rig.daemon.startup.as_secs_f64() * 1000.0);
    report.daemon.idle_rss_kib.push(idle);
    let target = rig.target(TargetKind::Router)?;
    let spec = LoadSpec {
        concurrency: streams,
        duration: Duration::ZERO,
        per_vu: Some(1),
        sessions: Sessions::PerVu,
        seed: ctx.next_seed(),
        jitter: std::time::Duration::ZERO,
    };
    let (cpu0, t0) = (procfs::cpu_ticks(pid), Instant::now());
    let sampler = RssSampler::start(pid, Duration::from_millis(50));
    let body = ctx.body.clone();
    let task = tokio::spawn(async move { load::run(target, body, &spec).await });
    let mut max_active = 0;
    // Bounded by the load's own per-request timeout.
    while !task.is_finished() {
        if let Ok(c) = rig.fake.counts().await {
            max_active = max_active.max(c.active);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let run = task.await?;
    let wall = t0.elapsed();
    let peak = sampler.finish(pid).await;
    let cpu_s = match (cpu0, procfs::cpu_ticks(pid)) {
        (Some(a), Some(b)) => (b - a) as f64 / TICKS_PER_SEC,
        _ => f64::NAN,
    };
    rig.tally.add(TargetKind::Router, &run);
    let after = procfs::rss_kib(pid).unwrap_or(0);
    let settle = if settle_too {
        settle(pid, idle, plan.settle_limit).await
    } else {
        (None, after)
    };
    let counter_checks = checks::counters(&mut rig, &name, true).await;
    ctx.checks.extend(counter_checks);
    rig.stop().await;
    ctx.checks
        .push(checks::errors(&name, "router", run.errors, &run.error_examples));
    ctx.checks.push(Check::new(
        &name,
        "streams were concurrent",
        max_active >= streams * 9 / 10,
        format!("{max_active} of {streams} streams open at once at the fake"),
    ));
    let d = &mut report.derived;
    d.insert("streams".into(), streams as f64);
    d.insert("cpu_ms_per_stream".into(), cpu_s * 1000.0 / streams as f64);
    d.insert("max_concurrent".into(), max_active as f64);
    d.insert("idle_rss_mib".into(), mib(idle));
    d.insert("peak_rss_mib".into(), mib(peak));
    d.insert("rss_at_end_mib".into(), mib(after));
    if settle_too {
        d.insert("settled_rss_mib".into(), mib(settle.1));
        d.insert("settle_s".into(), settle.0.map_or(f64::NAN, |s| s.as_secs_f64()));
    }
    d.insert("cpu_s".into(), cpu_s);
    d.insert(
        "cpu_percent_of_one_core".into(),
        cpu_s / wall.as_secs_f64() * 100.0,
    );
    d.insert("wall_s".into(), wall.as_secs_f64());
    report.daemon.peak_rss_kib.push(peak);
    report
        .targets
        .push(TargetReport::new("router", vec![RunSummary::of(&run)]));
    Ok(report)
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Polls RSS until it is near idle or `limit` passes: (time it took, last reading).
async fn settle(pid: u32, idle: u64, limit: Duration) -> (Option<Duration>, u64) {
    let t0 = Instant::now();
    let threshold = (idle as f64 * NEAR_IDLE) as u64;
    loop {
        let rss = procfs::rss_kib(pid).unwrap_or(u64::MAX);
        if rss <= threshold {
            return (Some(t0.elapsed()), rss);
        }
        if t0.elapsed() >= limit {
            return (None, rss);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
