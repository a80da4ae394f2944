//! Percentiles of one run, and medians over the repetitions of a cell. Each repetition is summarised on
//! its own first (p50/p99 per run), then the cell reports the median of those: one noisy repetition on a
//! shared 2-core machine moves a median of five far less than it moves pooled samples.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::client::Sample;
use crate::load::RunResult;

/// Nearest-rank percentile of sorted values (0 for none).
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    }
}

/// p50/p99/max of one metric in one run, in microseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Dist {
    pub n: usize,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

impl Dist {
    pub fn of(mut values: Vec<u64>) -> Self {
        values.sort_unstable();
        Self {
            n: values.len(),
            p50_us: percentile(&values, 50.0),
            p99_us: percentile(&values, 99.0),
            max_us: values.last().copied().unwrap_or(0),
        }
    }
}

/// One run of one target.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunSummary {
    pub requests: usize,
    pub errors: u64,
    pub error_examples: Vec<String>,
    pub elapsed_s: f64,
    pub rps: f64,
    pub headers: Dist,
    pub first_byte: Dist,
    pub first_output: Dist,
    pub total: Dist,
    /// Time between consecutive events from the first output event on, as the client saw them.
    pub gaps: Dist,
    /// Events after the first output that arrived glued to the previous one.
    pub coalesced: u64,
    pub events: u64,
    /// Router answers per `x-codex-router-account` label.
    pub by_account: BTreeMap<String, u64>,
    /// Router answers per `x-codex-router-attempts` value.
    pub by_attempts: BTreeMap<u32, u64>,
    /// Share of the machine used by other processes during the run (see `procfs::CpuMeter`).
    pub foreign_cpu: Option<f64>,
}

impl RunSummary {
    pub fn of(run: &RunResult) -> Self {
        Self::of_samples(run, |_| true)
    }

    /// A summary of the samples `keep` selects; throughput is not defined for a subset (NaN).
    pub fn subset(run: &RunResult, keep: impl Fn(&Sample) -> bool) -> Self {
        Self {
            rps: f64::NAN,
            ..Self::of_samples(run, keep)
        }
    }

    fn of_samples(run: &RunResult, keep: impl Fn(&Sample) -> bool) -> Self {
        let kept: Vec<&Sample> = run.samples.iter().filter(|s| keep(s)).collect();
        let metric =
            |f: &dyn Fn(&Sample) -> Option<u64>| Dist::of(kept.iter().filter_map(|s| f(s)).collect());
        let mut by_account = BTreeMap::new();
        let mut by_attempts = BTreeMap::new();
        for s in &kept {
            if let Some(a) = &s.account {
                *by_account.entry(a.clone()).or_insert(0) += 1;
            }
            if let Some(n) = s.attempts {
                *by_attempts.entry(n).or_insert(0) += 1;
            }
        }
        let elapsed_s = run.elapsed.as_secs_f64();
        Self {
            requests: kept.len(),
            errors: run.errors,
            error_examples: run.error_examples.clone(),
            elapsed_s,
            rps: if elapsed_s > 0.0 {
                kept.len() as f64 / elapsed_s
            } else {
                0.0
            },
            headers: metric(&|s| Some(s.headers_us)),
            first_byte: metric(&|s| s.first_byte_us),
            first_output: metric(&|s| s.first_output_us),
            total: metric(&|s| Some(s.total_us)),
            gaps: Dist::of(run.gaps_us.iter().map(|&g| u64::from(g)).collect()),
            coalesced: kept.iter().map(|s| u64::from(s.coalesced)).sum(),
            events: kept.iter().map(|s| u64::from(s.events)).sum(),
            by_account,
            by_attempts,
            foreign_cpu: None,
        }
    }
}

/// Medians over repetitions, in milliseconds (what the tables show).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Aggregate {
    pub reps: usize,
    pub rps: f64,
    pub rps_min: f64,
    pub rps_max: f64,
    pub headers_ms: [f64; 2],
    pub first_byte_ms: [f64; 2],
    pub first_output_ms: [f64; 2],
    pub total_ms: [f64; 2],
    pub gaps_ms: [f64; 2],
    pub errors: u64,
    pub requests: usize,
}

impl Aggregate {
    pub fn of(reps: &[RunSummary]) -> Self {
        let med = |f: &dyn Fn(&RunSummary) -> f64| median(&reps.iter().map(f).collect::<Vec<_>>());
        let pair = |f: &dyn Fn(&RunSummary) -> Dist| [med(&|r| ms(f(r).p50_us)), med(&|r| ms(f(r).p99_us))];
        let rps: Vec<f64> = reps.iter().map(|r| r.rps).filter(|r| r.is_finite()).collect();
        Self {
            reps: reps.len(),
            rps: median(&rps),
            rps_min: rps.iter().copied().reduce(f64::min).unwrap_or(f64::NAN),
            rps_max: rps.iter().copied().reduce(f64::max).unwrap_or(f64::NAN),
            headers_ms: pair(&|r| r.headers),
            first_byte_ms: pair(&|r| r.first_byte),
            first_output_ms: pair(&|r| r.first_output),
            total_ms: pair(&|r| r.total),
            gaps_ms: pair(&|r| r.gaps),
            errors: reps.iter().map(|r| r.errors).sum(),
            requests: reps.iter().map(|r| r.requests).sum(),
        }
    }
}

pub fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// Median over repetitions of `f(b) - f(a)`: repetitions are interleaved, so pairing them cancels drift.
pub fn paired_diff(a: &[RunSummary], b: &[RunSummary], f: impl Fn(&RunSummary) -> f64) -> f64 {
    median(&a.iter().zip(b).map(|(a, b)| f(b) - f(a)).collect::<Vec<_>>())
}

/// Median over repetitions of `f(b) / f(a)`.
pub fn paired_ratio(a: &[RunSummary], b: &[RunSummary], f: impl Fn(&RunSummary) -> f64) -> f64 {
    median(&a.iter().zip(b).map(|(a, b)| f(b) / f(a)).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50);
        assert_eq!(percentile(&v, 99.0), 99);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
