//! Correctness checks made during the run (the correctness target of docs/benchmarks.md): zero
//! unscripted errors, the daemon's counters equal the harness's own counts, and traffic spread over
//! accounts as the strategy says. A fast proxy that miscounts or quietly uses one account for
//! everything must not pass.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::client::Sample;
use crate::rig::Rig;
use crate::status::{self, StatusReading};

/// Counters are updated when a stream's guard drops, which can trail the client's last read a little.
const SETTLE: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub cell: String,
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

impl Check {
    pub fn new(cell: &str, name: &str, ok: bool, detail: impl Into<String>) -> Self {
        Self {
            cell: cell.to_owned(),
            name: name.to_owned(),
            ok,
            detail: detail.into(),
        }
    }
}

/// Compares the daemon's counters with the rig's tally (and the fake's request count), waiting a
/// bounded time for in-flight bookkeeping to land.
pub async fn counters(rig: &mut Rig, cell: &str, compare_rotations: bool) -> Vec<Check> {
    let t = &rig.tally;
    let mut expected: BTreeMap<&str, u64> = BTreeMap::from([
        ("total_requests", t.requests),
        ("upstream_requests", t.upstream),
        ("retries", t.upstream - t.requests.min(t.upstream)),
        ("streams_started", t.ok),
        ("streams_completed", t.ok),
        ("streams_failed", 0),
        ("pool_exhausted", 0),
    ]);
    if compare_rotations {
        expected.insert("rotations", t.multi_attempt);
    }
    let deadline = Instant::now() + SETTLE;
    let (reading, mismatches) = loop {
        let reading = match status::read(&rig.daemon).await {
            Ok(r) => r,
            Err(e) => {
                return vec![Check::new(
                    cell,
                    "counters",
                    false,
                    format!("could not read status: {e:#}"),
                )];
            }
        };
        let mismatches = mismatches(&expected, &reading);
        if mismatches.is_empty() || Instant::now() >= deadline {
            break (reading, mismatches);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let mut out = vec![Check::new(
        cell,
        "counters",
        mismatches.is_empty(),
        if mismatches.is_empty() {
            format!(
                "{} counters equal the harness's counts (source: {})",
                expected.len(),
                reading.source
            )
        } else {
            format!("{} (source: {})", mismatches.join(", "), reading.source)
        },
    )];
    match rig.fake.counts().await {
        Ok(c) => {
            let seen: u64 = c.responses_calls.values().map(|&n| n as u64).sum();
            let upstream = reading.counters.get("upstream_requests").copied().unwrap_or(0);
            out.push(Check::new(
                cell,
                "upstream calls",
                seen == upstream + t.bypass,
                format!(
                    "fake saw {seen}; daemon upstream_requests {upstream} + {} direct",
                    t.bypass
                ),
            ));
        }
        Err(e) => out.push(Check::new(cell, "upstream calls", false, format!("{e:#}"))),
    }
    out
}

fn mismatches(expected: &BTreeMap<&str, u64>, reading: &StatusReading) -> Vec<String> {
    expected
        .iter()
        .filter_map(|(k, want)| {
            let got = reading.counters.get(*k).copied();
            (got != Some(*want)).then(|| format!("{k}: daemon {got:?}, harness {want}"))
        })
        .collect()
}

/// Sticky (the default): each session stays on one account, and with at least as many sessions as
/// accounts every account serves some.
pub fn sticky_spread(cell: &str, samples: &[Sample], accounts: &[String]) -> Check {
    let mut by_vu: BTreeMap<usize, BTreeSet<&str>> = BTreeMap::new();
    for s in samples {
        if let Some(a) = &s.account {
            by_vu.entry(s.vu).or_default().insert(a);
        }
    }
    let moved = by_vu.values().filter(|set| set.len() > 1).count();
    let mut sessions: BTreeMap<&str, usize> = accounts.iter().map(|a| (a.as_str(), 0)).collect();
    for set in by_vu.values() {
        for a in set {
            *sessions.entry(a).or_insert(0) += 1;
        }
    }
    let unused = sessions.values().filter(|&&n| n == 0).count();
    let coverage_ok = by_vu.len() < accounts.len() || unused == 0;
    Check::new(
        cell,
        "spread (sticky)",
        moved == 0 && coverage_ok,
        format!(
            "{} sessions, sessions per account {sessions:?}, sessions that moved: {moved}",
            by_vu.len()
        ),
    )
}

/// Round-robin with a new session per request: per-account counts differ by at most one per
/// concurrent request (requests finish out of order, selections do not).
pub fn round_robin_spread(
    cell: &str,
    by_account: &BTreeMap<String, u64>,
    accounts: usize,
    slack: u64,
) -> Check {
    let max = by_account.values().copied().max().unwrap_or(0);
    let min = if by_account.len() < accounts {
        0
    } else {
        by_account.values().copied().min().unwrap_or(0)
    };
    Check::new(
        cell,
        "spread (round-robin)",
        max - min <= slack.max(1),
        format!(
            "requests per account {by_account:?} (allowed difference {})",
            slack.max(1)
        ),
    )
}

pub fn errors(cell: &str, what: &str, errors: u64, examples: &[String]) -> Check {
    let detail = if errors == 0 {
        "none".to_owned()
    } else {
        format!("{errors}: {}", examples.join(" | "))
    };
    Check::new(cell, &format!("errors ({what})"), errors == 0, detail)
}

/// One row per (cell, check): repetitions fold into it, the first failure's detail wins.
pub fn grouped(all: Vec<Check>) -> Vec<Check> {
    let mut out: Vec<(Check, usize)> = Vec::new();
    for c in all {
        match out.iter_mut().find(|(g, _)| g.cell == c.cell && g.name == c.name) {
            Some((g, n)) => {
                *n += 1;
                if g.ok && !c.ok {
                    *g = c;
                } else if g.ok {
                    g.detail = c.detail;
                }
            }
            None => out.push((c, 1)),
        }
    }
    out.into_iter()
        .map(|(mut c, n)| {
            if n > 1 {
                c.detail = format!(
                    "{} (checked {n} times; {})",
                    c.detail,
                    if c.ok { "all passed" } else { "this one failed" }
                );
            }
            c
        })
        .collect()
}
