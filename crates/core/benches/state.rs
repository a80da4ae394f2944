//! A criterion-free micro benchmark of the `state.json` snapshot: how long the pool
//! lock is held to copy the state out, with 10 000 and 100 000 live sessions.
//!
//! `export_state` is the whole export (what the writer used to do under the lock); `draft_state`
//! is the copy the writer now takes under the lock, `into_state` building `PoolState`'s maps (what
//! it did after the lock before it encoded the draft directly), and "sort + pretty JSON" what the
//! writer does after the lock now (`into_file` and `save_json`'s encoding).
//!
//! `cargo bench -p codex-router-core --bench state`

use std::hint::black_box;
use std::time::Instant;

use codex_router_core::Timestamp;
use codex_router_core::outcome::Outcome;
use codex_router_core::pool::Pool;
use codex_router_core::select::Selection;
use codex_router_core::session::SessionHash;

mod common;
use common::pool;

fn filled(sessions: usize, now: Timestamp) -> Pool {
    let mut p = pool(3, sessions);
    for i in 0..sessions {
        let mut ctx = p.begin(Some(SessionHash::of(&format!("s-{i}"))), false, now);
        let Selection::Use(lease) = p.select(&mut ctx, now) else {
            panic!("the benchmark pool is never exhausted");
        };
        p.record(
            &mut ctx,
            &lease,
            &Outcome::Success { quota: None },
            Some(200),
            now,
        );
        p.release(&lease);
    }
    p
}

/// Median µs of `runs` calls.
fn median_us(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut us: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    us.sort_by(f64::total_cmp);
    us[us.len() / 2]
}

fn main() {
    let now = Timestamp::from_unix_secs(1_800_000_000);
    println!(
        "| live sessions | export_state (whole), µs | draft_state (under the lock), µs | into_state (after), µs \
         | sort + pretty JSON (after), µs | bytes |"
    );
    println!("|---|---|---|---|---|---|");
    for sessions in [10_000, 100_000] {
        let p = filled(sessions, now);
        let whole = median_us(9, || {
            black_box(p.export_state(now));
        });
        let draft = median_us(9, || {
            black_box(p.draft_state(now));
        });
        let after = median_us(9, || {
            black_box(p.draft_state(now).into_state());
        }) - draft;
        let mut bytes = 0;
        let encode = median_us(5, || {
            bytes = serde_json::to_vec_pretty(&p.draft_state(now).into_file()).map_or(0, |v| v.len());
        }) - draft;
        println!("| {sessions} | {whole:.0} | {draft:.0} | {after:.0} | {encode:.0} | {bytes} |");
    }
}
