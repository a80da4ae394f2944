//! The results, as written to JSON: every repetition's summary is kept so a reader can recompute any
//! figure the markdown shows.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::checks::Check;
use crate::machine::Machine;
use crate::stats::{Aggregate, RunSummary};

#[derive(Debug, Serialize)]
pub struct Report {
    /// `full` or `smoke`.
    pub mode: String,
    pub started_at: String,
    pub wall_s: f64,
    pub machine: Machine,
    pub body_bytes: usize,
    /// The nginx binary used, or why the baseline was skipped.
    pub nginx: String,
    /// `--daemon-env` settings: a run with any is an experiment, not the default build.
    pub daemon_env: Vec<String>,
    /// Seconds spent waiting for other work to leave the machine, and how many repetitions started
    /// on a busy machine anyway (the wait budget ran out).
    pub quiet_wait_s: f64,
    pub busy_starts: usize,
    pub cells: Vec<CellReport>,
    pub checks: Vec<Check>,
    pub targets: Vec<TargetEval>,
}

impl Report {
    pub fn cell(&self, name: &str) -> Option<&CellReport> {
        self.cells.iter().find(|c| c.name == name && c.skipped.is_none())
    }

    pub fn checks_ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }
}

#[derive(Debug, Default, Serialize)]
pub struct CellReport {
    pub name: String,
    pub title: String,
    pub params: BTreeMap<String, Value>,
    pub targets: Vec<TargetReport>,
    /// Ratios and added times (ms) derived from paired repetitions, plus cell-specific figures.
    pub derived: BTreeMap<String, f64>,
    pub daemon: DaemonStats,
    pub skipped: Option<String>,
    pub notes: Vec<String>,
    /// Per-step figures of the WebSocket conversation cells, one row per (target, step).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepStat>,
}

/// One step of a conversation over one target, pooled over its conversations and repetitions.
#[derive(Debug, Clone, Serialize)]
pub struct StepStat {
    pub target: String,
    /// 1-based.
    pub step: usize,
    pub n: usize,
    /// Request written → `response.completed` read.
    pub time_p50_ms: f64,
    pub time_p99_ms: f64,
    /// Median bytes the client sent for this step (frame or body).
    pub sent_bytes: f64,
}

impl CellReport {
    pub fn new(name: &str, title: &str) -> Self {
        Self {
            name: name.to_owned(),
            title: title.to_owned(),
            ..Self::default()
        }
    }

    pub fn skipped(name: &str, title: &str, why: impl Into<String>) -> Self {
        Self {
            skipped: Some(why.into()),
            ..Self::new(name, title)
        }
    }

    pub fn param(&mut self, key: &str, value: impl Into<Value>) {
        self.params.insert(key.to_owned(), value.into());
    }

    pub fn target(&self, name: &str) -> Option<&TargetReport> {
        self.targets.iter().find(|t| t.name == name)
    }

    pub fn step(&self, target: &str, step: usize) -> Option<&StepStat> {
        self.steps.iter().find(|s| s.target == target && s.step == step)
    }

    pub fn get(&self, key: &str) -> Option<f64> {
        self.derived.get(key).copied().filter(|v| v.is_finite())
    }
}

#[derive(Debug, Serialize)]
pub struct TargetReport {
    pub name: String,
    pub agg: Aggregate,
    pub reps: Vec<RunSummary>,
}

impl TargetReport {
    pub fn new(name: &str, reps: Vec<RunSummary>) -> Self {
        Self {
            name: name.to_owned(),
            agg: Aggregate::of(&reps),
            reps,
        }
    }
}

/// The daemon processes' figures in a cell, one entry per daemon (or per measured run).
#[derive(Debug, Default, Serialize)]
pub struct DaemonStats {
    pub startup_ms: Vec<f64>,
    pub idle_rss_kib: Vec<u64>,
    pub peak_rss_kib: Vec<u64>,
    /// Daemon CPU time per proxied request.
    pub cpu_ms_per_request: Vec<f64>,
    /// The daemon's resident high-water mark after each measured run (`VmHWM`).
    pub hwm_kib: Vec<u64>,
    /// The baseline's CPU time per proxied request (nginx's master and workers), beside the daemon's.
    pub nginx_cpu_ms_per_request: Vec<f64>,
}

/// One row of the targets table (docs/benchmarks.md), evaluated from the cells.
#[derive(Debug, Clone, Serialize)]
pub struct TargetEval {
    pub id: String,
    pub target: String,
    pub measured: String,
    /// `None`: not measured in this run (cell skipped, smoke mode, nginx absent).
    pub met: Option<bool>,
}
