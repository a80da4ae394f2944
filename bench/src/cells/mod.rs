//! The benchmark's cells (docs/benchmarks.md), run in a fixed order. A cell that cannot run is
//! reported as skipped with the reason, and (unless the reason is an optional tool being absent)
//! fails a check, so a broken harness never passes quietly.

mod control;
pub mod conversation;
pub mod curve_specs;
mod refresh;
mod slow;
mod throughput;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::body::BodyTemplate;
use crate::checks::Check;
use crate::cli::FakeArgs;
use crate::plan::Plan;
use crate::procfs;
use crate::report::CellReport;
use crate::rig::{Bins, Rig};

/// Total time a full run may wait for a quiet machine, so it still ends within ten minutes.
const QUIET_BUDGET: Duration = Duration::from_secs(90);
/// The machine counts as quiet when, with the benchmark idle, at most this share of it is busy.
const QUIET_LIMIT: f64 = 0.10;
const QUIET_WINDOW: Duration = Duration::from_millis(300);

/// What every cell shares.
#[derive(Debug)]
pub struct Ctx {
    pub bins: Bins,
    pub plan: Plan,
    pub body: Arc<BodyTemplate>,
    pub checks: Vec<Check>,
    /// Every daemon start of the run: spawn to `/healthz` 200.
    pub startups_ms: Vec<f64>,
    /// RSS of every daemon right after it became ready.
    pub idle_rss_kib: Vec<u64>,
    /// What is left of the time the run may spend waiting for other work on the machine to stop.
    quiet_budget: Duration,
    /// Time spent waiting for that, and how often the machine was still busy when the budget ran out.
    pub quiet_waited: Duration,
    pub busy_starts: usize,
    seed: u64,
}

impl Ctx {
    pub fn new(bins: Bins, plan: Plan, body: BodyTemplate) -> Self {
        Self {
            bins,
            body: Arc::new(body),
            checks: Vec::new(),
            startups_ms: Vec::new(),
            idle_rss_kib: Vec::new(),
            quiet_budget: if plan.smoke { Duration::ZERO } else { QUIET_BUDGET },
            plan,
            quiet_waited: Duration::ZERO,
            busy_starts: 0,
            seed: 0,
        }
    }

    /// A fresh namespace of thread ids, so no run resumes another run's sessions.
    pub fn next_seed(&mut self) -> u64 {
        self.seed += 1;
        self.seed
    }

    /// Waits (within the run's budget) until other work leaves the machine: a compile running beside
    /// a measurement halves its throughput. Called before each measured repetition.
    pub async fn wait_for_quiet(&mut self) {
        if self.plan.smoke {
            return;
        }
        let t0 = Instant::now();
        loop {
            let busy = procfs::busy_share(QUIET_WINDOW).await.unwrap_or(0.0);
            if busy <= QUIET_LIMIT {
                break;
            }
            if t0.elapsed() >= self.quiet_budget {
                self.busy_starts += 1;
                break;
            }
        }
        let waited = t0.elapsed().saturating_sub(QUIET_WINDOW);
        self.quiet_budget = self.quiet_budget.saturating_sub(waited);
        self.quiet_waited += waited;
    }

    /// Starts a rig and records the daemon's start-up time and idle RSS.
    pub async fn rig(
        &mut self,
        fake: &FakeArgs,
        config_toml: Option<&str>,
        nginx: bool,
    ) -> anyhow::Result<Rig> {
        self.rig_with_sessions(fake, config_toml, nginx, 0).await
    }

    /// [`Ctx::rig`] with a daemon that starts with `sessions` live sessions in its `state.json`. Its
    /// start-up time is left out of the run's start-up figure (it loads the sessions first).
    pub async fn rig_with_sessions(
        &mut self,
        fake: &FakeArgs,
        config_toml: Option<&str>,
        nginx: bool,
        sessions: usize,
    ) -> anyhow::Result<Rig> {
        let rig = Rig::start(&self.bins, fake, config_toml, nginx, sessions).await?;
        if sessions == 0 {
            self.startups_ms.push(rig.daemon.startup.as_secs_f64() * 1000.0);
        }
        if let Some(rss) = procfs::rss_kib(rig.daemon.pid) {
            self.idle_rss_kib.push(rss);
        }
        Ok(rig)
    }
}

/// Runs the selected cells (`only` empty: all) in order.
pub async fn run_all(ctx: &mut Ctx, only: &[String]) -> Vec<CellReport> {
    let selected = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    let mut specs: Vec<throughput::Spec> = ctx
        .plan
        .levels
        .iter()
        .map(|&c| throughput::Spec::zero_delay(&ctx.plan, c))
        .collect();
    specs.extend(
        ctx.plan
            .small_levels
            .iter()
            .map(|&c| throughput::Spec::small_new_session(&ctx.plan, c)),
    );
    specs.extend(
        ctx.plan
            .session_levels
            .iter()
            .map(|&n| throughput::Spec::sessions(&ctx.plan, n)),
    );
    specs.extend(
        ctx.plan
            .account_levels
            .iter()
            .map(|&n| curve_specs::accounts(&ctx.plan, n)),
    );
    specs.extend(
        ctx.plan
            .body_levels
            .iter()
            .map(|&b| curve_specs::body(&ctx.plan, b)),
    );
    specs.push(throughput::Spec::realistic(&ctx.plan));
    specs.push(throughput::Spec::failover(&ctx.plan));
    specs.push(throughput::Spec::round_robin(&ctx.plan));
    let mut out = Vec::new();
    for spec in specs.iter().filter(|s| selected(&s.name)) {
        announce(&spec.name, &spec.title);
        let res = throughput::run(ctx, spec).await;
        out.push(finish(ctx, &spec.name, &spec.title, res));
    }
    for concurrent in [false, true] {
        let name = if concurrent {
            conversation::CONV_C4
        } else {
            conversation::CONV
        };
        if selected(name) {
            let title = conversation::conversation_title(ctx, concurrent);
            announce(name, &title);
            let res = conversation::run_conversation(ctx, concurrent).await;
            out.push(finish(ctx, name, &title, res));
        }
    }
    if selected(conversation::FAILOVER) {
        announce(conversation::FAILOVER, conversation::FAILOVER_TITLE);
        let res = conversation::run_failover(ctx).await;
        out.push(finish(
            ctx,
            conversation::FAILOVER,
            conversation::FAILOVER_TITLE,
            res,
        ));
    }
    if selected(conversation::GROW) {
        let title = conversation::grow_title(ctx);
        announce(conversation::GROW, &title);
        let res = conversation::run_grow(ctx).await;
        out.push(finish(ctx, conversation::GROW, &title, res));
    }
    if selected(refresh::NAME) {
        announce(refresh::NAME, refresh::TITLE);
        let res = refresh::run(ctx).await;
        out.push(finish(ctx, refresh::NAME, refresh::TITLE, res));
    }
    if selected(slow::NAME) {
        announce(slow::NAME, slow::TITLE);
        let res = slow::run(ctx, ctx.plan.slow_streams, true).await;
        out.push(finish(ctx, slow::NAME, slow::TITLE, res));
    }
    for n in ctx.plan.stream_levels.clone() {
        let name = slow::curve_name(n);
        if selected(&name) {
            announce(&name, slow::TITLE);
            let res = slow::run(ctx, n, false).await;
            out.push(finish(ctx, &name, slow::TITLE, res));
        }
    }
    if selected(control::NAME) {
        announce(control::NAME, control::TITLE);
        let res = control::run(ctx).await;
        out.push(finish(ctx, control::NAME, control::TITLE, res));
    }
    out
}

fn announce(name: &str, title: &str) {
    eprintln!("codex-router-bench: {name}: {title}");
}

/// A cell that fails to run becomes a skipped cell plus a failed check.
fn finish(ctx: &mut Ctx, name: &str, title: &str, res: anyhow::Result<CellReport>) -> CellReport {
    res.unwrap_or_else(|e| {
        ctx.checks
            .push(Check::new(name, "cell ran", false, format!("{e:#}")));
        CellReport::skipped(name, title, format!("failed: {e:#}"))
    })
}
