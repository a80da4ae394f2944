//! `codex-router-bench`: measures what codex-routerd costs a Codex client, as ratios against
//! calling the upstream directly in the same run (docs/benchmarks.md). Everything runs on loopback:
//! the test-support fake upstream in a child process, a real `codex-routerd` on a throwaway router
//! home, optionally nginx as a baseline, and a closed-loop load generator in this process.
//!
//! # Layout
//! - [`cli`] — the harness's flags and the `fake-upstream` mode's; [`fake_upstream`] runs that mode,
//!   [`wire`] is its stdin/stdout line protocol, [`fakeproc`] the harness's handle on it.
//! - [`daemon`] — starting the real daemon and waiting for readiness; [`status`] its counters;
//!   [`nginx`] the baseline; [`rig`] one repetition's set of processes.
//! - [`body`] — Codex-shaped 55 KB bodies and headers; [`client`] one connection and the timing of one
//!   request; [`sse_scan`] event boundaries; [`load`] the closed-loop generator; [`conv`] one
//!   multi-step conversation over WebSocket or HTTP.
//! - [`cells`] — the measurements; [`plan`] their sizes (full and smoke); [`checks`] correctness;
//!   [`stats`] percentiles and medians; [`targets`] the verdicts on the targets; [`report`],
//!   [`markdown`], [`svg`], [`machine`] the output.
//!
//! Nothing here builds anything: the binaries come from the directory of this executable (so
//! `cargo build --release -p codex-routerd -p codexctl -p codex-router-bench` first) or `--bin-dir`.

pub mod body;
pub mod cells;
pub mod checks;
pub mod cli;
pub mod client;
pub mod conv;
pub mod curves;
pub mod curves_md;
pub mod curves_svg;
pub mod daemon;
pub mod fake_upstream;
pub mod fakeproc;
pub mod load;
pub mod machine;
pub mod markdown;
pub mod nginx;
pub mod plan;
pub mod procfs;
pub mod report;
pub mod rig;
pub mod sse_scan;
pub mod stats;
pub mod status;
pub mod svg;
pub mod targets;
pub mod wire;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context as _, bail};

use crate::body::BodyTemplate;
use crate::cli::{Cli, Command, HarnessArgs};
use crate::machine::Machine;
use crate::plan::Plan;
use crate::report::Report;
use crate::rig::Bins;

/// The workspace this harness was built from (where `docs/` and `target/` are).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_owned()
}

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Some(Command::FakeUpstream(args)) => fake_upstream::run(&args).map(|()| ExitCode::SUCCESS),
        None => harness(&cli.harness),
    }
}

fn harness(args: &HarnessArgs) -> anyhow::Result<ExitCode> {
    fake_upstream::raise_nofile();
    let bins = locate_bins(args)?;
    let mut plan = if args.smoke { Plan::smoke() } else { Plan::full() };
    if let Some(reps) = args.reps {
        plan.reps = reps.max(1);
    }
    let nginx = match &bins.nginx {
        Some(p) => p.display().to_string(),
        None if args.no_nginx => "skipped (--no-nginx)".to_owned(),
        None => "skipped (not installed)".to_owned(),
    };
    let machine = Machine::detect(&repo_root(), &bins.routerd);
    let body = BodyTemplate::codex_like();
    let body_bytes = body.len();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting tokio")?;
    let started = Instant::now();
    let mut ctx = cells::Ctx::new(bins, plan, body);
    let cells = rt.block_on(cells::run_all(&mut ctx, &args.only));
    let mut machine = machine;
    machine.load_at_end = machine::loadavg();
    let mut report = Report {
        mode: if args.smoke { "smoke" } else { "full" }.to_owned(),
        started_at: machine.date.clone(),
        wall_s: started.elapsed().as_secs_f64(),
        machine,
        body_bytes,
        nginx,
        daemon_env: args
            .daemon_env
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .chain(args.daemon_wrapper.iter().map(|w| format!("under `{w}`")))
            .collect(),
        quiet_wait_s: ctx.quiet_waited.as_secs_f64(),
        busy_starts: ctx.busy_starts,
        cells,
        checks: checks::grouped(std::mem::take(&mut ctx.checks)),
        targets: Vec::new(),
    };
    report.targets = targets::evaluate(&report);
    write_outputs(args, &report)?;
    print_summary(&report);
    Ok(if report.checks_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn write_outputs(args: &HarnessArgs, report: &Report) -> anyhow::Result<()> {
    let json = args.json.clone().unwrap_or_else(|| {
        let name = if args.smoke { "smoke.json" } else { "results.json" };
        repo_root().join("target").join("codex-router-bench").join(name)
    });
    if let Some(dir) = json.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(report).context("encoding the report")?;
    std::fs::write(&json, text).with_context(|| format!("writing {}", json.display()))?;
    eprintln!("codex-router-bench: results written to {}", json.display());
    let markdown = match (&args.markdown, args.no_markdown, args.smoke) {
        (Some(p), _, _) => Some(p.clone()),
        (None, false, false) => Some(repo_root().join("docs").join("benchmarks.md")),
        _ => None,
    };
    if let Some(path) = markdown {
        markdown::write_into(&path, &markdown::render(report))?;
        eprintln!("codex-router-bench: markdown written to {}", path.display());
        if let (false, Some(cell)) = (args.smoke, report.cell(cells::conversation::GROW))
            && let Some(chart) = svg::render(cell)
        {
            let file = path.with_file_name(svg::FILE_NAME);
            std::fs::write(&file, chart).with_context(|| format!("writing {}", file.display()))?;
            eprintln!("codex-router-bench: chart written to {}", file.display());
        }
        if let (false, Some(chart)) = (args.smoke, curves_svg::render(report)) {
            let file = path.with_file_name(curves_svg::FILE_NAME);
            std::fs::write(&file, chart).with_context(|| format!("writing {}", file.display()))?;
            eprintln!("codex-router-bench: chart written to {}", file.display());
        }
    }
    Ok(())
}

fn print_summary(report: &Report) {
    for t in &report.targets {
        let verdict = match t.met {
            Some(true) => "met",
            Some(false) => "NOT MET",
            None => "n/a",
        };
        eprintln!("  [{verdict:>7}] {} {}: {}", t.id, t.target, t.measured);
    }
    for c in report.checks.iter().filter(|c| !c.ok) {
        eprintln!("  check FAILED: {} / {}: {}", c.cell, c.name, c.detail);
    }
}

fn locate_bins(args: &HarnessArgs) -> anyhow::Result<Bins> {
    let me = std::env::current_exe().context("finding this executable")?;
    let dir = match &args.bin_dir {
        Some(d) => d.clone(),
        None => me
            .parent()
            .context("this executable has no directory")?
            .to_owned(),
    };
    let exe = |name: &str| dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let routerd = exe("codex-routerd");
    if !routerd.is_file() {
        bail!(
            "{} not found: build the binaries first with `cargo build --release -p codex-routerd -p codexctl \
             -p codex-router-bench` (or pass --bin-dir)",
            routerd.display()
        );
    }
    let codexctl = Some(exe("codexctl")).filter(|p| p.is_file());
    let nginx = if args.no_nginx {
        None
    } else {
        nginx::find(args.nginx.as_deref())
    };
    Ok(Bins {
        me,
        routerd,
        codexctl,
        nginx,
        daemon_env: args.daemon_env.clone(),
        daemon_wrapper: args
            .daemon_wrapper
            .as_deref()
            .map(|w| w.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default(),
    })
}
