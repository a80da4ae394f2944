//! The interleaved cells: the same closed-loop load against direct, the router and nginx, back to back
//! on one set of processes, repeated on fresh processes, the order reversed every other repetition so
//! neither side always runs on a warmer machine.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::body::BodyTemplate;
use crate::cells::Ctx;
use crate::checks;
use crate::cli::{FakeArgs, LimitKind};
use crate::load::{self, LoadSpec, Sessions};
use crate::plan::Plan;
use crate::procfs::{self, CpuMeter, RssSampler, TICKS_PER_SEC};
use crate::report::{CellReport, TargetReport};
use crate::rig::{Rig, TargetKind};
use crate::stats::{RunSummary, paired_diff, paired_ratio};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spread {
    Sticky,
    RoundRobin,
    Unchecked,
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub name: String,
    pub title: String,
    pub fake: FakeArgs,
    pub concurrency: usize,
    pub reps: usize,
    pub duration: Duration,
    pub sessions: Sessions,
    /// The account direct requests use; `None`: no direct target.
    pub direct: Option<usize>,
    pub nginx: bool,
    pub config_toml: Option<String>,
    pub spread: Spread,
    /// Report router requests that failed over separately from those served at the first try.
    pub split_failover: bool,
    /// Pause bound before each request ([`LoadSpec::jitter`]); only paced cells need one.
    pub jitter: Duration,
    /// The request body; `None`: the run's Codex-sized one.
    pub body: Option<Arc<BodyTemplate>>,
    /// Sessions the daemon starts with (written into its `state.json`), for the session curve.
    pub prefill_sessions: usize,
}

impl Spec {
    pub fn zero_delay(plan: &Plan, concurrency: usize) -> Self {
        Self {
            name: format!("c{concurrency}"),
            title: format!("concurrency {concurrency}, no delay between events (pure overhead)"),
            fake: FakeArgs {
                deltas: plan.deltas,
                ..FakeArgs::default()
            },
            concurrency,
            reps: plan.reps,
            duration: plan.duration,
            sessions: Sessions::PerVu,
            direct: Some(0),
            nginx: true,
            config_toml: None,
            spread: Spread::Sticky,
            split_failover: false,
            jitter: Duration::ZERO,
            body: None,
            prefill_sessions: 0,
        }
    }

    /// The small-body, new-session cell: ~1 KB bodies, a new conversation on every
    /// request (many short sub-agent calls, a busy pool), so the strategy chooses and the session
    /// map binds (and, once full, evicts) on every request.
    pub fn small_new_session(plan: &Plan, concurrency: usize) -> Self {
        Self {
            name: format!("small-new-c{concurrency}"),
            title: format!("concurrency {concurrency}, ~1 KB bodies, a new session on every request"),
            sessions: Sessions::PerRequest,
            spread: Spread::Unchecked,
            body: Some(Arc::new(BodyTemplate::small())),
            ..Self::zero_delay(plan, concurrency)
        }
    }

    /// The session curve: the small-body, new-session cell at concurrency 16 with the daemon
    /// already holding `live` sessions and `max_sessions` raised to match, so every request binds
    /// a new session into a full map and evicts the least recently used one.
    pub fn sessions(plan: &Plan, live: usize) -> Self {
        let label = match live {
            0 => "0".to_owned(),
            n if n % 1000 == 0 => format!("{}k", n / 1000),
            n => n.to_string(),
        };
        Self {
            name: format!("sessions-{label}"),
            title: format!(
                "{live} live sessions (max_sessions = {live}), small bodies, new session per request, c=16"
            ),
            config_toml: (live > 0).then(|| format!("[rotation]\nmax_sessions = {live}\n")),
            prefill_sessions: live,
            ..Self::small_new_session(plan, 16)
        }
    }

    pub fn realistic(plan: &Plan) -> Self {
        let r = &plan.realistic;
        Self {
            name: format!("stream-{}ms", r.delay_ms),
            title: format!(
                "concurrency {}, {} ms between events (realistic pacing)",
                r.concurrency, r.delay_ms
            ),
            fake: FakeArgs {
                deltas: r.deltas,
                delay_ms: r.delay_ms,
                ..FakeArgs::default()
            },
            concurrency: r.concurrency,
            reps: r.reps,
            duration: r.duration,
            jitter: Duration::from_millis(1),
            ..Self::zero_delay(plan, r.concurrency)
        }
    }

    pub fn failover(plan: &Plan) -> Self {
        Self {
            name: "failover-429".to_owned(),
            title: "one of three accounts answers 429; new session per request, concurrency 1".to_owned(),
            fake: FakeArgs {
                deltas: plan.deltas,
                limit_account: Some(0),
                limit: LimitKind::Short,
                ..FakeArgs::default()
            },
            reps: plan.failover_reps,
            sessions: Sessions::PerRequest,
            direct: Some(1),
            nginx: false,
            spread: Spread::Unchecked,
            split_failover: true,
            ..Self::zero_delay(plan, 1)
        }
    }

    pub fn round_robin(plan: &Plan) -> Self {
        Self {
            name: "spread-rr".to_owned(),
            title: "strategy round-robin, new session per request: traffic spread evenly".to_owned(),
            reps: 1,
            sessions: Sessions::PerRequest,
            direct: None,
            nginx: false,
            config_toml: Some("[rotation]\nstrategy = \"round-robin\"\n".to_owned()),
            spread: Spread::RoundRobin,
            ..Self::zero_delay(plan, plan.spread_concurrency)
        }
    }
}

/// A repetition during which other processes used more of the machine than this is re-run (up to as
/// many extra times as there are repetitions): its ratios would measure the other load, not the router.
pub const FOREIGN_LIMIT: f64 = 0.10;

/// Per-target summaries over the repetitions, in display order.
type Runs = Vec<(String, Vec<RunSummary>)>;

fn push(runs: &mut Runs, name: &str, s: RunSummary) {
    match runs.iter_mut().find(|(n, _)| n == name) {
        Some((_, v)) => v.push(s),
        None => runs.push((name.to_owned(), vec![s])),
    }
}

pub async fn run(ctx: &mut Ctx, spec: &Spec) -> anyhow::Result<CellReport> {
    let mut report = CellReport::new(&spec.name, &spec.title);
    report.param("concurrency", spec.concurrency);
    report.param("reps", spec.reps);
    report.param("duration_s", spec.duration.as_secs_f64());
    report.param("deltas", spec.fake.deltas);
    report.param("delay_ms", spec.fake.delay_ms);
    report.param("accounts", spec.fake.accounts);
    let mut runs: Runs = Vec::new();
    let mut errors: BTreeMap<String, (u64, Vec<String>)> = BTreeMap::new();
    let (mut kept, mut attempts, max_attempts) = (0, 0, spec.reps * 2);
    let (mut rerun, mut kept_busy) = (Vec::new(), Vec::new());
    while kept < spec.reps && attempts < max_attempts {
        attempts += 1;
        ctx.wait_for_quiet().await;
        let mut rig = ctx
            .rig_with_sessions(
                &spec.fake,
                spec.config_toml.as_deref(),
                spec.nginx,
                spec.prefill_sessions,
            )
            .await?;
        report
            .daemon
            .startup_ms
            .push(rig.daemon.startup.as_secs_f64() * 1000.0);
        report.daemon.idle_rss_kib.extend(procfs::rss_kib(rig.daemon.pid));
        let mut kinds: Vec<TargetKind> = spec.direct.map(TargetKind::Direct).into_iter().collect();
        kinds.push(TargetKind::Router);
        if rig.nginx.is_some() {
            kinds.push(TargetKind::Nginx);
        }
        if attempts % 2 == 0 {
            kinds.reverse();
        }
        let mut rep: Runs = Vec::new();
        let mut result = Ok(());
        for kind in kinds {
            result = measure(ctx, spec, &mut rig, kind, &mut report, &mut rep, &mut errors).await;
            if result.is_err() {
                break;
            }
        }
        if spec.prefill_sessions > 0 && !report.notes.iter().any(|n| n.starts_with(PREFILL_NOTE)) {
            report.notes.push(prefill_note(&rig, spec.prefill_sessions));
        }
        let counter_checks = checks::counters(&mut rig, &spec.name, !spec.fake.expired).await;
        ctx.checks.extend(counter_checks);
        rig.stop().await;
        result?;
        let foreign = rep
            .iter()
            .flat_map(|(_, v)| v)
            .filter_map(|s| s.foreign_cpu)
            .fold(0.0, f64::max);
        let must_keep = max_attempts - attempts < spec.reps - kept;
        if !ctx.plan.smoke && foreign > FOREIGN_LIMIT {
            if !must_keep {
                rerun.push(format!("{:.0}%", foreign * 100.0));
                continue;
            }
            kept_busy.push(format!("{:.0}%", foreign * 100.0));
        }
        for (name, summaries) in rep {
            for s in summaries {
                push(&mut runs, &name, s);
            }
        }
        kept += 1;
    }
    if !rerun.is_empty() {
        report.notes.push(format!(
            "{} repetition(s) re-run because other processes used {} of the machine during them",
            rerun.len(),
            rerun.join(", ")
        ));
    }
    if !kept_busy.is_empty() {
        report.notes.push(format!(
            "{} repetition(s) kept although other processes used {} of the machine (no attempts left): \
             treat this cell's ratios with care",
            kept_busy.len(),
            kept_busy.join(", ")
        ));
    }
    report.derived.insert("reps_rerun".into(), rerun.len() as f64);
    report
        .derived
        .insert("reps_kept_busy".into(), kept_busy.len() as f64);
    for (target, (n, examples)) in &errors {
        ctx.checks.push(checks::errors(&spec.name, target, *n, examples));
    }
    report.targets = runs
        .into_iter()
        .map(|(name, reps)| TargetReport::new(&name, reps))
        .collect();
    derive(&mut report);
    Ok(report)
}

const PREFILL_NOTE: &str = "the daemon started with";

/// What the daemon's own `state.json` (written by its coalesced writer during the runs) says about
/// the sessions it held: evidence that the prefilled sessions were loaded, for the reader.
fn prefill_note(rig: &Rig, prefilled: usize) -> String {
    let held = std::fs::read(&rig.daemon.paths.state)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v["sessions"].as_object().map(|m| m.len()));
    match held {
        Some(n) => {
            format!("started with {prefilled} sessions; its state.json held {n} after the first repetition")
        }
        None => format!(
            "started with {prefilled} sessions; its state.json could not be read after the first repetition"
        ),
    }
}

/// A warm-up run, then the measured run of one target; router runs also sample the daemon.
async fn measure(
    ctx: &mut Ctx,
    spec: &Spec,
    rig: &mut Rig,
    kind: TargetKind,
    report: &mut CellReport,
    runs: &mut Runs,
    errors: &mut BTreeMap<String, (u64, Vec<String>)>,
) -> anyhow::Result<()> {
    let target = rig.target(kind)?;
    let body = spec.body.clone().unwrap_or_else(|| ctx.body.clone());
    let mut load = LoadSpec {
        concurrency: spec.concurrency,
        duration: ctx.plan.warmup,
        per_vu: None,
        sessions: spec.sessions,
        seed: ctx.next_seed(),
        jitter: spec.jitter,
    };
    let warm = load::run(target.clone(), body.clone(), &load).await;
    rig.tally.add(kind, &warm);
    load.duration = spec.duration;
    load.seed = ctx.next_seed();
    let pid = rig.daemon.pid;
    let cpu0 = procfs::cpu_ticks(pid);
    let nginx_pid = (kind == TargetKind::Nginx)
        .then(|| rig.nginx.as_ref().and_then(|n| n.pid()))
        .flatten();
    let nginx_cpu0 = nginx_pid.map(procfs::cpu_ticks_with_children);
    let sampler = (kind == TargetKind::Router).then(|| RssSampler::start(pid, Duration::from_millis(50)));
    let meter = CpuMeter::start();
    let run = load::run(target.clone(), body, &load).await;
    let foreign = meter.foreign_share();
    rig.tally.add(kind, &run);
    let e = errors.entry(target.name.clone()).or_default();
    e.0 += warm.errors + run.errors;
    e.1.extend(
        warm.error_examples
            .iter()
            .chain(&run.error_examples)
            .take(3)
            .cloned(),
    );
    if let (Some(npid), Some(a)) = (nginx_pid, nginx_cpu0)
        && !run.samples.is_empty()
    {
        let ticks = procfs::cpu_ticks_with_children(npid).saturating_sub(a);
        report
            .daemon
            .nginx_cpu_ms_per_request
            .push(ticks as f64 / TICKS_PER_SEC * 1000.0 / run.samples.len() as f64);
    }
    if let Some(sampler) = sampler {
        report.daemon.peak_rss_kib.push(sampler.finish(pid).await);
        report.daemon.hwm_kib.extend(procfs::hwm_kib(pid));
        if let (Some(a), Some(b)) = (cpu0, procfs::cpu_ticks(pid))
            && !run.samples.is_empty()
        {
            let cpu_ms = (b - a) as f64 / TICKS_PER_SEC * 1000.0;
            report
                .daemon
                .cpu_ms_per_request
                .push(cpu_ms / run.samples.len() as f64);
        }
        let accounts: Vec<String> = rig.fake.hello.accounts.iter().map(|a| a.id.clone()).collect();
        match spec.spread {
            Spread::Sticky => ctx
                .checks
                .push(checks::sticky_spread(&spec.name, &run.samples, &accounts)),
            Spread::RoundRobin => {
                let by = RunSummary::of(&run).by_account;
                let slack = spec.concurrency as u64;
                ctx.checks
                    .push(checks::round_robin_spread(&spec.name, &by, accounts.len(), slack));
            }
            Spread::Unchecked => {}
        }
    }
    push(
        runs,
        &target.name,
        RunSummary {
            foreign_cpu: foreign,
            ..RunSummary::of(&run)
        },
    );
    if spec.split_failover && kind == TargetKind::Router {
        push(
            runs,
            "router (failover)",
            RunSummary::subset(&run, |s| s.attempts.unwrap_or(1) > 1),
        );
        push(
            runs,
            "router (first try)",
            RunSummary::subset(&run, |s| s.attempts.unwrap_or(1) == 1),
        );
    }
    Ok(())
}

/// Ratios and added times from paired repetitions.
fn derive(report: &mut CellReport) {
    let reps = |name: &str| report.target(name).map(|t| t.reps.clone());
    let (direct, router, nginx) = (reps("direct"), reps("router"), reps("nginx"));
    let mut d = BTreeMap::new();
    let pairs = [
        ("router", &direct, &router),
        ("nginx", &direct, &nginx),
        ("router_vs_nginx", &nginx, &router),
    ];
    for (label, a, b) in pairs {
        let (Some(a), Some(b)) = (a, b) else { continue };
        d.insert(format!("{label}_rps_ratio"), paired_ratio(a, b, |r| r.rps));
        if label == "router_vs_nginx" {
            continue;
        }
        for (metric, f) in METRICS {
            d.insert(
                format!("{label}_added_{metric}_p50_ms"),
                paired_diff(a, b, |r| ms(f(r).p50_us)),
            );
            d.insert(
                format!("{label}_added_{metric}_p99_ms"),
                paired_diff(a, b, |r| ms(f(r).p99_us)),
            );
        }
    }
    if let (Some(direct), Some(failover)) = (&direct, reps("router (failover)")) {
        d.insert(
            "failover_added_total_p50_ms".into(),
            paired_diff(direct, &failover, |r| ms(r.total.p50_us)),
        );
        d.insert(
            "failover_added_first_byte_p50_ms".into(),
            paired_diff(direct, &failover, |r| ms(r.first_byte.p50_us)),
        );
        let n: usize = failover.iter().map(|r| r.requests).sum();
        d.insert("failover_samples".into(), n as f64);
    }
    if let Some(router) = &router {
        d.insert(
            "router_coalesced_events".into(),
            router.iter().map(|r| r.coalesced as f64).sum(),
        );
        d.insert(
            "router_events".into(),
            router.iter().map(|r| r.events as f64).sum(),
        );
    }
    let cpu = crate::stats::median(&report.daemon.cpu_ms_per_request);
    d.insert("daemon_cpu_ms_per_request".into(), cpu);
    if !report.daemon.nginx_cpu_ms_per_request.is_empty() {
        let nginx = crate::stats::median(&report.daemon.nginx_cpu_ms_per_request);
        d.insert("nginx_cpu_ms_per_request".into(), nginx);
        d.insert("router_vs_nginx_cpu_ratio".into(), cpu / nginx);
    }
    // One router run per daemon: each high-water mark against that daemon's own idle figure.
    let over_idle = report
        .daemon
        .hwm_kib
        .iter()
        .zip(&report.daemon.idle_rss_kib)
        .map(|(hwm, idle)| hwm.saturating_sub(*idle))
        .max();
    if let (Some(over), Some(&hwm)) = (over_idle, report.daemon.hwm_kib.iter().max()) {
        d.insert("daemon_hwm_mib".into(), hwm as f64 / 1024.0);
        d.insert("daemon_hwm_over_idle_mib".into(), over as f64 / 1024.0);
    }
    report.derived.extend(d);
}

type Metric = fn(&RunSummary) -> crate::stats::Dist;

const METRICS: [(&str, Metric); 5] = [
    ("headers", |r| r.headers),
    ("first_byte", |r| r.first_byte),
    ("first_output", |r| r.first_output),
    ("total", |r| r.total),
    ("gaps", |r| r.gaps),
];

fn ms(us: u64) -> f64 {
    crate::stats::ms(us)
}
