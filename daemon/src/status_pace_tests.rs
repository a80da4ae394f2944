use codex_router_core::account::CoolReason;
use codex_router_core::pool::{AccountMeta, Pool, PoolConfig};
use codex_router_core::quota::QuotaSource;

use super::*;

const T0: Timestamp = Timestamp::from_unix_secs(1_789_000_000);
const RESET: Timestamp = Timestamp::from_unix_secs(1_789_000_000 + 4 * 3600);
const WEEK_RESET: Timestamp = Timestamp::from_unix_secs(1_789_000_000 + 5 * 86_400);

fn at(secs: u64) -> Timestamp {
    T0.plus(Duration::from_secs(secs))
}

fn pool(ids: &[&str]) -> Pool {
    let mut p = Pool::new(PoolConfig::default());
    p.sync_accounts(
        ids.iter()
            .map(|id| AccountMeta {
                id: (*id).into(),
                label: (*id).into(),
                plan_type: None,
                enabled: true,
                status: Default::default(),
            })
            .collect(),
    );
    p
}

fn reading(primary: f64, primary_reset: Timestamp, secondary: f64, read_at: Timestamp) -> QuotaReading {
    let w = |used, reset, minutes| QuotaWindow {
        used_percent: used,
        window_minutes: Some(minutes),
        resets_at: Some(reset),
    };
    QuotaReading {
        primary: Some(w(primary, primary_reset, 300)),
        secondary: Some(w(secondary, WEEK_RESET, 10080)),
        source: QuotaSource::Usage,
        read_at,
        plan_type: None,
    }
}

/// Sets the readings, then lets the pace see the pool at `now`.
fn see(pace: &Pace, p: &mut Pool, readings: &[(&str, QuotaReading)], now: Timestamp) -> Snapshot {
    for (id, r) in readings {
        p.set_quota(id, r.clone());
    }
    let snap = p.snapshot(now);
    pace.observe(&snap, now);
    snap
}

fn secs(d: Option<Duration>) -> Option<u64> {
    d.map(|d| d.as_secs_f64().round() as u64)
}

#[test]
fn no_estimate_without_enough_history() {
    let pace = Pace::default();
    let mut p = pool(&["a"]);
    let snap = see(&pace, &mut p, &[("a", reading(10.0, RESET, 5.0, at(0)))], at(0));
    assert_eq!(pace.lasts(&snap, 97.0, at(0)), None, "one reading has no pace");
    let snap = see(
        &pace,
        &mut p,
        &[("a", reading(12.0, RESET, 5.0, at(240)))],
        at(240),
    );
    assert_eq!(
        pace.lasts(&snap, 97.0, at(240)),
        None,
        "four minutes is under MIN_SPAN"
    );
}

#[test]
fn remaining_over_the_burn_of_the_window_that_runs_out_first() {
    let pace = Pace::default();
    let mut p = pool(&["a", "b"]);
    see(
        &pace,
        &mut p,
        &[
            ("a", reading(10.0, RESET, 5.0, at(0))),
            ("b", reading(0.0, RESET, 0.0, at(0))),
        ],
        at(0),
    );
    // Ten minutes later a spent 10 % of its 5-hour window and 1 % of its week; b idled.
    let snap = see(
        &pace,
        &mut p,
        &[
            ("a", reading(20.0, RESET, 6.0, at(600))),
            ("b", reading(0.0, RESET, 0.0, at(600))),
        ],
        at(600),
    );
    // Primary: (97-20)+(97-0) = 174 % left at 10 % / 600 s = 10 440 s. Weekly: (97-6)+97 = 188 %
    // at 1 % / 600 s = 112 800 s. The 5-hour windows run out first.
    assert_eq!(secs(pace.lasts(&snap, 97.0, at(600))), Some(10_440));
}

#[test]
fn idle_pool_has_no_estimate_and_limited_accounts_add_no_headroom() {
    let pace = Pace::default();
    let mut p = pool(&["a", "b"]);
    see(&pace, &mut p, &[("a", reading(50.0, RESET, 5.0, at(0)))], at(0));
    let snap = see(
        &pace,
        &mut p,
        &[("a", reading(50.0, RESET, 5.0, at(900)))],
        at(900),
    );
    assert_eq!(pace.lasts(&snap, 97.0, at(900)), None, "nothing spent: no pace");

    // a burns 40 % in 10 minutes and is then rate limited: only b's headroom is left, and b
    // has no reading yet, so nothing is counted for it (the estimate is a floor).
    see(
        &pace,
        &mut p,
        &[("a", reading(90.0, RESET, 9.0, at(1500)))],
        at(1500),
    );
    p.account_mut("a")
        .unwrap()
        .cool_until(CoolReason::UsageLimit, RESET);
    let snap = see(
        &pace,
        &mut p,
        &[("b", reading(7.0, RESET, 1.0, at(1500)))],
        at(1500),
    );
    // a's 5-hour pace over its readings: 40 % in 1500 s. Left: b's 90 %.
    assert_eq!(secs(pace.lasts(&snap, 97.0, at(1500))), Some(3375));
}

#[test]
fn a_window_that_reset_starts_its_pace_afresh() {
    let pace = Pace::default();
    let mut p = pool(&["a"]);
    see(&pace, &mut p, &[("a", reading(95.0, RESET, 5.0, at(0)))], at(0));
    // The 5-hour window reset early: 2 % of a new window, resetting five hours later.
    let new_reset = at(600).plus(Duration::from_secs(5 * 3600));
    see(
        &pace,
        &mut p,
        &[("a", reading(2.0, new_reset, 5.0, at(600)))],
        at(600),
    );
    let snap = see(
        &pace,
        &mut p,
        &[("a", reading(4.0, new_reset, 5.0, at(800)))],
        at(800),
    );
    assert_eq!(
        pace.lasts(&snap, 97.0, at(800)),
        None,
        "200 s of the new window is under MIN_SPAN; the drop from 95 % is no negative pace"
    );
    let snap = see(
        &pace,
        &mut p,
        &[("a", reading(12.0, new_reset, 5.0, at(1800)))],
        at(1800),
    );
    // 10 % in 1200 s; 85 % left.
    assert_eq!(secs(pace.lasts(&snap, 97.0, at(1800))), Some(10_200));
}

#[test]
fn history_is_bounded_in_time_and_spacing_and_forgets_removed_accounts() {
    let pace = Pace::default();
    let mut p = pool(&["a"]);
    // A reading every second for an hour: samples stay a minute apart, and at most SPAN old.
    // The window resets after the quota runs out, so the reset adds nothing.
    let late = at(40_000);
    for s in 0..3600 {
        let used = s as f64 / 360.0;
        see(&pace, &mut p, &[("a", reading(used, late, 1.0, at(s)))], at(s));
    }
    let n = pace.tracks.lock()["a"].len();
    assert!((30..=32).contains(&n), "{n} samples");
    let snap = p.snapshot(at(3599));
    // 10 % an hour; 97 - 9.997 % left.
    let lasts = secs(pace.lasts(&snap, 97.0, at(3599))).unwrap();
    assert!((31_300..=31_340).contains(&lasts), "{lasts}");

    // Readings older than SPAN say nothing about the current pace.
    assert_eq!(pace.lasts(&snap, 97.0, at(3599 + 1900)), None);

    p.sync_accounts(Vec::new());
    pace.observe(&p.snapshot(at(3600)), at(3600));
    assert!(pace.tracks.lock().is_empty());
}

// A window that resets before the pool has spent it gives a full window again, so the pool
// lasts longer than its headroom alone says (`lasts_s` counts early resets).
#[test]
fn lasts_counts_a_window_that_resets_before_it_runs_out() {
    let pace = Pace::default();
    let mut p = pool(&["a"]);
    let soon = at(1800);
    see(&pace, &mut p, &[("a", reading(40.0, soon, 5.0, at(0)))], at(0));
    let snap = see(
        &pace,
        &mut p,
        &[("a", reading(50.0, soon, 6.0, at(600)))],
        at(600),
    );
    // 10 % per 600 s. Headroom 47 % lasts 2 820 s, but the window resets after 1 200 s and
    // offers 97 % more: 144 % lasts 8 640 s, before the next reset (1 200 s + 5 h). Weekly:
    // 91 % at 1 % per 600 s = 54 600 s.
    assert_eq!(secs(pace.lasts(&snap, 97.0, at(600))), Some(8_640));
}

#[test]
fn lasts_counts_the_reset_of_a_rate_limited_account_and_is_capped_at_the_horizon() {
    let pace = Pace::default();
    let mut p = pool(&["a", "b"]);
    let soon = at(1800);
    see(&pace, &mut p, &[("a", reading(80.0, RESET, 5.0, at(0)))], at(0));
    see(
        &pace,
        &mut p,
        &[("a", reading(90.0, RESET, 6.0, at(600)))],
        at(600),
    );
    p.set_quota("b", reading(100.0, at(900), 50.0, at(600)));
    p.account_mut("b")
        .unwrap()
        .cool_until(CoolReason::UsageLimit, at(900));
    let snap = p.snapshot(at(600));
    // a: 7 % left = 420 s; b's window resets after 300 s, before that, with 97 %: 104 % at
    // 10 % / 600 s = 6 240 s.
    assert_eq!(secs(pace.lasts(&snap, 97.0, at(600))), Some(6_240));
    // b coming back only after a ran dry does not extend it: the pool is out at 420 s.
    p.set_quota("b", reading(100.0, soon, 50.0, at(600)));
    p.account_mut("b")
        .unwrap()
        .cool_until(CoolReason::UsageLimit, soon);
    assert_eq!(secs(pace.lasts(&p.snapshot(at(600)), 97.0, at(600))), Some(420));

    // A pace slower than the windows refill never runs out: capped at the horizon.
    let pace = Pace::default();
    let mut p = pool(&["c"]);
    see(&pace, &mut p, &[("c", reading(10.0, soon, 0.0, at(0)))], at(0));
    let snap = see(
        &pace,
        &mut p,
        &[("c", reading(10.5, soon, 0.0, at(600)))],
        at(600),
    );
    assert_eq!(pace.lasts(&snap, 97.0, at(600)), Some(HORIZON));
}
