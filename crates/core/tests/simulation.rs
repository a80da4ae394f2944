//! A simulated week of steady Codex use over three accounts whose weekly windows reset at different
//! times: `reset-aware` spends the quota that is about to expire first and leaves less of it unused
//! than `least-used`. The figures are printed and recorded in docs/quota.md.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

use std::time::Duration;

use codex_router_core::Timestamp;
use codex_router_core::account::AccountStatus;
use codex_router_core::outcome::Outcome;
use codex_router_core::pool::{AccountMeta, Pool, PoolConfig, Strategy};
use codex_router_core::quota::{QuotaReading, QuotaSource, QuotaWindow};
use codex_router_core::select::Selection;

const WEEK: i64 = 7 * 86_400;
/// One request a minute, each costing 0.03 % of a weekly window: 302 % of demand a week
/// against 300 % of capacity, so wasted quota is quota the user needed.
const STEP_SECS: i64 = 60;
const COST: f64 = 0.03;

#[derive(Debug, Default, Clone, Copy)]
struct Outcome2 {
    unused_at_reset: f64,
    refused: u32,
    served: u32,
}

fn simulate(strategy: Strategy, weeks: i64) -> Outcome2 {
    let start = Timestamp::from_unix_secs(1_800_000_000);
    let mut pool = Pool::new(PoolConfig {
        strategy,
        ..PoolConfig::default()
    });
    let ids = ["a", "b", "c"];
    pool.sync_accounts(
        ids.iter()
            .map(|id| AccountMeta {
                id: (*id).into(),
                label: (*id).into(),
                plan_type: Some("pro".into()),
                enabled: true,
                status: AccountStatus::Ok,
            })
            .collect(),
    );
    // Windows reset one, three and five days in, then weekly.
    let mut resets: Vec<Timestamp> = [1, 3, 5]
        .iter()
        .map(|d| start.plus(Duration::from_secs(d * 86_400)))
        .collect();
    let mut used = [0.0f64; 3];
    let mut out = Outcome2::default();
    let mut now = start;
    let end = start.plus(Duration::from_secs(u64::try_from(weeks * WEEK).unwrap()));
    while now < end {
        for i in 0..3 {
            if now >= resets[i] {
                out.unused_at_reset += 100.0 - used[i];
                used[i] = 0.0;
                resets[i] = resets[i].plus(Duration::from_secs(u64::try_from(WEEK).unwrap()));
            }
            let reading = QuotaReading {
                primary: None,
                secondary: Some(QuotaWindow {
                    used_percent: used[i],
                    window_minutes: Some(10_080),
                    resets_at: Some(resets[i]),
                }),
                source: QuotaSource::Headers,
                read_at: now,
                plan_type: None,
            };
            pool.set_quota(ids[i], reading);
        }
        let mut ctx = pool.begin(None, false, now);
        match pool.select(&mut ctx, now) {
            Selection::Use(lease) => {
                let i = ids.iter().position(|id| *id == lease.account_id).unwrap();
                if used[i] + COST <= 100.0 {
                    used[i] += COST;
                    out.served += 1;
                    pool.record(
                        &mut ctx,
                        &lease,
                        &Outcome::Success { quota: None },
                        Some(200),
                        now,
                    );
                } else {
                    // The upstream refuses: the window is spent.
                    let limit = Outcome::UsageLimit {
                        reset_at: Some(resets[i]),
                        plan_type: None,
                        quota: None,
                    };
                    pool.record(&mut ctx, &lease, &limit, Some(429), now);
                    out.refused += 1;
                }
                pool.release(&lease);
            }
            Selection::Exhausted(_) => out.refused += 1,
        }
        now = now.plus(Duration::from_secs(u64::try_from(STEP_SECS).unwrap()));
    }
    out
}

#[test]
fn reset_aware_leaves_less_quota_unused_than_least_used() {
    let weeks = 4;
    let least = simulate(Strategy::LeastUsed, weeks);
    let aware = simulate(Strategy::ResetAware, weeks);
    println!(
        "{weeks} simulated weeks, 3 accounts, demand 302 %/week of 300 %:\n  least-used:  {:.1} % of a window left unused at resets, {} requests served, {} refused\n  reset-aware: {:.1} % of a window left unused at resets, {} requests served, {} refused",
        least.unused_at_reset,
        least.served,
        least.refused,
        aware.unused_at_reset,
        aware.served,
        aware.refused
    );
    assert!(
        aware.unused_at_reset < least.unused_at_reset,
        "{aware:?} vs {least:?}"
    );
    assert!(aware.served >= least.served, "{aware:?} vs {least:?}");
}
