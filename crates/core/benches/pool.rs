//! A criterion-free micro benchmark of the pool's critical section (its cost must stay flat as
//! the pool grows).
//!
//! Every proxied request takes the pool lock for `begin`, `select`, `record`, `release` and
//! `finish`; this measures that sequence alone, single-threaded, in nanoseconds per request, as
//! the pool grows (1 … 1 000 accounts) and as the session map grows (0 … 100 000 live sessions
//! with `max_sessions` raised to match), for a turn of a bound session and for a new session.
//! The operation-count tests in `select_tests.rs` and `session.rs` are the proof that the cost is
//! flat; this shows what it is in time. It uses only the public API, so the same files (this one
//! and `common/`) build against older commits for a before/after row.
//!
//! `cargo bench -p codex-router-core --bench pool` (add `-- --quick` for a shorter run).

use std::hint::black_box;
use std::time::Instant;

use codex_router_core::Timestamp;
use codex_router_core::outcome::Outcome;
use codex_router_core::pool::Pool;
use codex_router_core::select::Selection;
use codex_router_core::session::SessionHash;

mod common;
use common::pool;

/// One request's critical sections, as the proxy runs them (the session key is hashed before).
fn request(p: &mut Pool, key: Option<SessionHash>, now: Timestamp) {
    let mut ctx = p.begin(key, false, now);
    let Selection::Use(lease) = p.select(&mut ctx, now) else {
        panic!("the benchmark pool is never exhausted");
    };
    let rec = p.record(
        &mut ctx,
        &lease,
        &Outcome::Success { quota: None },
        Some(200),
        now,
    );
    black_box(rec);
    p.finish(&ctx, Some(&lease), false);
    p.release(&lease);
}

fn keys(prefix: &str, n: usize) -> Vec<SessionHash> {
    (0..n)
        .map(|i| SessionHash::of(&format!("{prefix}-{i}")))
        .collect()
}

/// Median ns per request over `runs` runs of `per_run` requests each.
fn measure(runs: usize, per_run: usize, mut f: impl FnMut(usize)) -> f64 {
    let mut ns: Vec<f64> = (0..runs)
        .map(|r| {
            let start = Instant::now();
            for i in 0..per_run {
                f(r * per_run + i);
            }
            start.elapsed().as_nanos() as f64 / per_run as f64
        })
        .collect();
    ns.sort_by(f64::total_cmp);
    ns[ns.len() / 2]
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (runs, per_run) = if quick { (3, 20_000) } else { (7, 100_000) };
    let now = Timestamp::from_unix_secs(1_800_000_000);
    let fresh = keys("new", runs * per_run);

    println!("| scenario | size | bound session, ns/request | new session, ns/request |");
    println!("|---|---|---|---|");
    for accounts in [1, 10, 100, 1000] {
        // A full default-sized session map, as on a busy daemon.
        let mut p = pool(accounts, 10_000);
        for k in keys("live", 10_000) {
            request(&mut p, Some(k), now);
        }
        let bound = keys("live", 64);
        let b = measure(runs, per_run, |i| {
            request(&mut p, Some(bound[i % 64].clone()), now)
        });
        let n = measure(runs, per_run, |i| request(&mut p, Some(fresh[i].clone()), now));
        println!("| accounts (10 000 sessions) | {accounts} | {b:.0} | {n:.0} |");
    }
    for sessions in [0, 10_000, 100_000] {
        let mut p = pool(3, sessions.max(1));
        for k in keys("live", sessions) {
            request(&mut p, Some(k), now);
        }
        let bound = keys("live", 64.min(sessions.max(1)));
        let b = if sessions == 0 {
            f64::NAN
        } else {
            measure(runs, per_run, |i| {
                request(&mut p, Some(bound[i % bound.len()].clone()), now)
            })
        };
        let n = measure(runs, per_run, |i| request(&mut p, Some(fresh[i].clone()), now));
        println!("| live sessions (3 accounts, max_sessions = size) | {sessions} | {b:.0} | {n:.0} |");
    }
}
