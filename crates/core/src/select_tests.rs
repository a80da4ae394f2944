use std::time::Duration;

use crate::Timestamp;
use crate::account::{AccountStatus, NeedsLoginReason};
use crate::exhausted::FailureKind;
use crate::outcome::Outcome;
use crate::pool::{AccountMeta, Pool, PoolConfig, Strategy};
use crate::quota::{QuotaReading, QuotaSource, QuotaWindow};
use crate::record::{Next, RetryKind, StreamEnd};
use crate::select::{Lease, RequestCtx, Selection};
use crate::session::SessionHash;

fn t(s: i64) -> Timestamp {
    Timestamp::from_unix_secs(1_800_000_000 + s)
}

fn pool(n: usize, strategy: Strategy) -> Pool {
    let mut p = Pool::new(PoolConfig {
        strategy,
        ..PoolConfig::default()
    });
    p.sync_accounts(
        (0..n)
            .map(|i| AccountMeta {
                id: format!("id{i}"),
                label: format!("acct-{i}"),
                plan_type: Some("pro".into()),
                enabled: true,
                status: AccountStatus::Ok,
            })
            .collect(),
    );
    p
}

fn lease(p: &mut Pool, ctx: &mut RequestCtx, now: Timestamp) -> Lease {
    match p.select(ctx, now) {
        Selection::Use(l) => l,
        Selection::Exhausted(e) => panic!("exhausted: {e:?}"),
    }
}

/// One full successful request; returns the serving label.
fn serve(p: &mut Pool, session: Option<&str>, now: Timestamp) -> String {
    let mut ctx = p.begin(session.map(SessionHash::of), false, now);
    let l = lease(p, &mut ctx, now);
    let r = p.record(&mut ctx, &l, &Outcome::Success { quota: None }, Some(200), now);
    assert_eq!(r.next, Next::Deliver);
    p.release(&l);
    p.finish(&ctx, Some(&l), false);
    l.label
}

fn usage(used: f64, reset: Timestamp, now: Timestamp) -> QuotaReading {
    QuotaReading {
        primary: Some(QuotaWindow {
            used_percent: used,
            window_minutes: Some(300),
            resets_at: Some(reset),
        }),
        secondary: None,
        source: QuotaSource::Headers,
        read_at: now,
        plan_type: None,
    }
}

#[test]
fn sticky_spreads_new_sessions_and_keeps_existing_ones() {
    let mut p = pool(3, Strategy::Sticky);
    let firsts: Vec<String> = (0..3)
        .map(|i| serve(&mut p, Some(&format!("s{i}")), t(i)))
        .collect();
    let mut sorted = firsts.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        3,
        "new sessions go to the least recently used account: {firsts:?}"
    );
    for round in 0..5 {
        for (i, first) in firsts.iter().enumerate() {
            assert_eq!(&serve(&mut p, Some(&format!("s{i}")), t(10 + round)), first);
        }
    }
}

#[test]
fn sticky_prefers_most_remaining_quota() {
    let mut p = pool(3, Strategy::Sticky);
    let now = t(0);
    p.set_quota("id0", usage(50.0, t(1000), now));
    p.set_quota("id1", usage(10.0, t(1000), now));
    p.set_quota("id2", usage(80.0, t(1000), now));
    assert_eq!(serve(&mut p, Some("new"), now), "acct-1");
}

#[test]
fn round_robin_and_fill_first_behave_as_named() {
    let mut p = pool(3, Strategy::RoundRobin);
    let got: Vec<String> = (0..6).map(|i| serve(&mut p, None, t(i))).collect();
    assert_eq!(got, ["acct-0", "acct-1", "acct-2", "acct-0", "acct-1", "acct-2"]);
    let mut p = pool(3, Strategy::FillFirst);
    let got: Vec<String> = (0..3).map(|i| serve(&mut p, None, t(i))).collect();
    assert_eq!(got, ["acct-0", "acct-0", "acct-0"]);
}

#[test]
fn least_used_balances_recent_requests() {
    let mut p = pool(2, Strategy::LeastUsed);
    for i in 0..3 {
        serve(&mut p, Some(&format!("pinned{i}")), t(0));
    }
    let counts: Vec<u64> = p.accounts().iter().map(|a| a.requests).collect();
    assert!(counts.iter().all(|c| *c >= 1), "{counts:?}");
}

#[test]
fn usage_limit_fails_over_and_skips_until_reset() {
    let mut p = pool(2, Strategy::FillFirst);
    let now = t(0);
    let mut ctx = p.begin(Some(SessionHash::of("s")), false, now);
    let a = lease(&mut p, &mut ctx, now);
    assert_eq!(a.label, "acct-0");
    let limit = Outcome::UsageLimit {
        reset_at: Some(t(3600)),
        plan_type: None,
        quota: None,
    };
    assert_eq!(p.record(&mut ctx, &a, &limit, Some(429), now).next, Next::TryNext);
    p.release(&a);
    let b = lease(&mut p, &mut ctx, now);
    assert_eq!(b.label, "acct-1");
    assert_eq!(ctx.calls(), 2);
    p.record(&mut ctx, &b, &Outcome::Success { quota: None }, Some(200), now);
    p.release(&b);
    p.finish(&ctx, Some(&b), false);
    assert_eq!(p.counters().rotations, 1);
    assert_eq!(p.counters().retries, 1);
    assert_eq!(serve(&mut p, None, t(3599)), "acct-1");
    assert_eq!(serve(&mut p, None, t(3601)), "acct-0");
}

#[test]
fn budget_limits_attempts_to_max_attempts() {
    let mut p = pool(6, Strategy::FillFirst);
    let now = t(0);
    let mut ctx = p.begin(None, false, now);
    let mut calls = 0;
    let exhausted = loop {
        match p.select(&mut ctx, now) {
            Selection::Use(l) => {
                calls += 1;
                p.record(&mut ctx, &l, &Outcome::ServerError, Some(500), now);
                p.release(&l);
            }
            Selection::Exhausted(e) => break e,
        }
    };
    assert_eq!(calls, 4);
    // A bounded per-request budget answers with reason "budget".
    assert_eq!(exhausted.reason, FailureKind::Budget);
    assert_eq!(exhausted.status, 503);
    assert_eq!(exhausted.retry_after_ms, 0);
}

#[test]
fn all_rate_limited_answers_429_with_exact_retry_after() {
    // retry_after_ms is exactly the soonest wait, and no whole-pool replay.
    let mut p = pool(3, Strategy::FillFirst);
    let now = t(0);
    for (i, reset) in [(0, 7200), (1, 3600), (2, 5400)] {
        let mut ctx = p.begin(None, false, now);
        let l = match p.select(&mut ctx, now) {
            Selection::Use(l) => l,
            Selection::Exhausted(e) => panic!("{e:?} at {i}"),
        };
        p.record(
            &mut ctx,
            &l,
            &Outcome::UsageLimit {
                reset_at: Some(t(reset)),
                plan_type: None,
                quota: None,
            },
            Some(429),
            now,
        );
        p.release(&l);
    }
    let later = Timestamp::from_unix_ms(t(100).as_unix_ms() + 250);
    let mut ctx = p.begin(None, false, later);
    let Selection::Exhausted(e) = p.select(&mut ctx, later) else {
        panic!("expected exhaustion")
    };
    assert_eq!(e.status, 429);
    assert_eq!(e.reason, FailureKind::RateLimited);
    assert_eq!(e.retry_after_ms, 3_499_750);
    assert_eq!(e.retry_after_secs(), Some(3500));
    let u = e.usage.clone().unwrap();
    assert_eq!(u.resets_at, t(3600).as_unix_ms() / 1000);
    let body = e.body();
    assert_eq!(body["error"]["type"], "usage_limit_reached");
    assert_eq!(body["error"]["code"], "pool_exhausted");
    assert_eq!(body["error"]["accounts"].as_array().unwrap().len(), 3);
    assert_eq!(
        ctx.calls(),
        0,
        "no upstream call when every account is known to be limited"
    );
}

#[test]
fn short_waits_answer_503_and_dead_ends_400() {
    let mut p = pool(1, Strategy::FillFirst);
    let now = t(0);
    let mut ctx = p.begin(None, false, now);
    let l = lease(&mut p, &mut ctx, now);
    p.record(&mut ctx, &l, &Outcome::ServerError, Some(502), now);
    p.release(&l);
    let Selection::Exhausted(e) = p.select(&mut ctx, now) else {
        panic!()
    };
    assert_eq!(
        (e.status, e.reason, e.retry_after_ms),
        (503, FailureKind::ServerError, 4000)
    );
    assert_eq!(e.retry_after_secs(), Some(4));

    let mut p = pool(2, Strategy::FillFirst);
    p.mark_needs_login("id0", NeedsLoginReason::RefreshFailed);
    let mut metas: Vec<AccountMeta> = Vec::new();
    for a in p.accounts() {
        metas.push(AccountMeta {
            id: a.id.clone(),
            label: a.label.clone(),
            plan_type: a.plan_type.clone(),
            enabled: a.id != "id1",
            status: a.status,
        });
    }
    p.sync_accounts(metas);
    let mut ctx = p.begin(None, false, now);
    let Selection::Exhausted(e) = p.select(&mut ctx, now) else {
        panic!()
    };
    assert_eq!((e.status, e.reason), (400, FailureKind::AuthFailed));
    assert!(e.message.contains("codexctl accounts login"));

    let mut empty = pool(0, Strategy::Sticky);
    let mut ctx = empty.begin(None, false, now);
    let Selection::Exhausted(e) = empty.select(&mut ctx, now) else {
        panic!()
    };
    assert_eq!((e.status, e.reason), (400, FailureKind::NoAccounts));
}

#[test]
fn unauthorized_refreshes_once_then_cools() {
    let mut p = pool(2, Strategy::FillFirst);
    let now = t(0);
    let mut ctx = p.begin(None, false, now);
    let l = lease(&mut p, &mut ctx, now);
    let unauth = Outcome::Unauthorized { invalidated: false };
    assert_eq!(
        p.record(&mut ctx, &l, &unauth, Some(401), now).next,
        Next::RetrySame(RetryKind::Refresh)
    );
    p.retry_same(&mut ctx, &l, RetryKind::Refresh);
    assert_eq!(
        p.record(&mut ctx, &l, &unauth, Some(401), now).next,
        Next::TryNext
    );
    let v = p.snapshot(now).accounts[0].clone();
    assert_eq!(v.state_reason, Some("auth_retry"));
    assert_eq!(v.until, Some(t(300)));
    let inv = Outcome::Unauthorized { invalidated: true };
    p.release(&l);
    let l2 = lease(&mut p, &mut ctx, now);
    let r = p.record(&mut ctx, &l2, &inv, Some(401), now);
    assert!(r.status_changed);
    assert_eq!(
        p.account("id1").unwrap().status,
        AccountStatus::NeedsLogin(NeedsLoginReason::TokenInvalidated)
    );
}

#[test]
fn unauthorized_naming_a_deactivation_refreshes_once_and_the_answer_after_decides() {
    let mut p = pool(2, Strategy::FillFirst);
    let now = t(0);
    let mut ctx = p.begin(None, false, now);
    let l = lease(&mut p, &mut ctx, now);
    let deact = Outcome::Deactivated;
    let r = p.record(&mut ctx, &l, &deact, Some(401), now);
    assert_eq!(r.next, Next::RetrySame(RetryKind::Refresh));
    assert_eq!(
        p.snapshot(now).accounts[0].state_reason,
        None,
        "no cooldown before the refresh"
    );
    assert_eq!(p.account("id0").unwrap().failures, 0);
    p.retry_same(&mut ctx, &l, RetryKind::Refresh);
    // After the refresh a success serves the request and nothing is charged.
    let ok = p.record(&mut ctx, &l, &Outcome::Success { quota: None }, Some(200), now);
    assert_eq!(ok.next, Next::Deliver);
    assert_eq!(p.snapshot(now).accounts[0].state, crate::account::State::Ready);

    // A second request whose refreshed retry names the deactivation again: now it counts.
    let mut ctx = p.begin(None, false, now);
    let l = lease(&mut p, &mut ctx, now);
    assert_eq!(
        p.record(&mut ctx, &l, &deact, Some(401), now).next,
        Next::RetrySame(RetryKind::Refresh)
    );
    p.retry_same(&mut ctx, &l, RetryKind::Refresh);
    assert_eq!(p.record(&mut ctx, &l, &deact, Some(401), now).next, Next::TryNext);
    assert_eq!(
        p.snapshot(now).accounts[0].state_reason,
        Some("deactivation_suspected")
    );
    // A 402/403 naming a deactivation still cools at once (no refresh can help it).
    let l2 = lease(&mut p, &mut ctx, now);
    assert_eq!(
        p.record(&mut ctx, &l2, &deact, Some(403), now).next,
        Next::TryNext
    );
}

#[test]
fn invalid_encrypted_content_retries_once_cleaned() {
    let mut p = pool(1, Strategy::FillFirst);
    let now = t(0);
    let mut ctx = p.begin(None, false, now);
    let l = lease(&mut p, &mut ctx, now);
    let o = Outcome::InvalidEncryptedContent;
    assert_eq!(
        p.record(&mut ctx, &l, &o, Some(400), now).next,
        Next::RetrySame(RetryKind::Clean)
    );
    p.retry_same(&mut ctx, &l, RetryKind::Clean);
    assert_eq!(p.record(&mut ctx, &l, &o, Some(400), now).next, Next::PassThrough);
    assert_eq!(p.account("id0").unwrap().failures, 0, "never the account's fault");
}

#[test]
fn session_move_asks_for_a_cleaned_body() {
    let mut p = pool(2, Strategy::Sticky);
    let first = serve(&mut p, Some("conv"), t(0));
    let first_id = if first == "acct-0" { "id0" } else { "id1" };
    let now = t(1);
    let mut ctx = p.begin(Some(SessionHash::of("conv")), false, now);
    let l = lease(&mut p, &mut ctx, now);
    assert_eq!(l.account_id, first_id);
    assert!(!l.clean_body);
    p.record(
        &mut ctx,
        &l,
        &Outcome::UsageLimit {
            reset_at: Some(t(999)),
            plan_type: None,
            quota: None,
        },
        Some(429),
        now,
    );
    p.release(&l);
    let moved = lease(&mut p, &mut ctx, now);
    assert_ne!(moved.account_id, first_id);
    assert!(moved.clean_body);
}

#[test]
fn preemptive_skip_and_fallback() {
    let mut p = pool(2, Strategy::FillFirst);
    let now = t(0);
    p.set_quota("id0", usage(98.0, t(500), now));
    assert_eq!(serve(&mut p, None, now), "acct-1");
    p.set_quota("id1", usage(99.0, t(500), now));
    // Both past the threshold: the lowest reading is used anyway.
    assert_eq!(serve(&mut p, None, now), "acct-0");
    let snap = p.snapshot(now);
    assert_eq!(snap.accounts[0].state_reason, Some("preemptive_fallback"));
    assert_eq!(snap.accounts[1].state_reason, Some("preemptive"));
    // After the window resets the rule no longer applies.
    assert_eq!(p.snapshot(t(501)).accounts[1].state_reason, None);
}

#[test]
fn outage_rule_backs_off_the_pool() {
    let mut p = pool(4, Strategy::FillFirst);
    let now = t(0);
    let mut ctx = p.begin(None, false, now);
    for _ in 0..3 {
        let l = lease(&mut p, &mut ctx, now);
        p.record(&mut ctx, &l, &Outcome::ServerError, Some(503), now);
        p.release(&l);
    }
    // The running request keeps its remaining attempt.
    assert!(matches!(p.select(&mut ctx, now), Selection::Use(_)));
    let mut fresh = p.begin(None, false, now);
    let Selection::Exhausted(e) = p.select(&mut fresh, now) else {
        panic!("outage expected")
    };
    assert_eq!(
        (e.status, e.reason, e.retry_after_ms),
        (503, FailureKind::ServerError, 5000)
    );
    assert_eq!(p.snapshot(now).accounts[3].state_reason, Some("upstream_outage"));
    let mut after = p.begin(None, false, t(6));
    assert!(matches!(p.select(&mut after, t(6)), Selection::Use(_)));
}

#[test]
fn deactivation_needs_three_answers_over_an_hour() {
    let mut p = pool(2, Strategy::FillFirst);
    for (i, at) in [0, 1900, 5600].iter().enumerate() {
        let now = t(*at);
        let mut ctx = p.begin(None, false, now);
        let l = lease(&mut p, &mut ctx, now);
        assert_eq!(l.account_id, "id0", "round {i}");
        let r = p.record(&mut ctx, &l, &Outcome::Deactivated, Some(402), now);
        p.release(&l);
        assert_eq!(r.status_changed, i == 2);
        if i < 2 {
            // Let the cooldown pass.
            let v = &p.snapshot(now).accounts[0];
            assert_eq!(v.state_reason, Some("deactivation_suspected"));
        }
    }
    assert_eq!(
        p.account("id0").unwrap().status,
        AccountStatus::DisabledByUpstream
    );
}

#[test]
fn model_not_supported_tries_one_other_plan() {
    let mut p = pool(3, Strategy::FillFirst);
    let mut metas: Vec<AccountMeta> = Vec::new();
    for (i, plan) in ["plus", "plus", "pro"].iter().enumerate() {
        metas.push(AccountMeta {
            id: format!("id{i}"),
            label: format!("acct-{i}"),
            plan_type: Some((*plan).into()),
            enabled: true,
            status: AccountStatus::Ok,
        });
    }
    p.sync_accounts(metas);
    let now = t(0);
    let mut ctx = p.begin(None, false, now);
    let l = lease(&mut p, &mut ctx, now);
    assert_eq!(
        p.record(&mut ctx, &l, &Outcome::ModelNotSupported, Some(400), now)
            .next,
        Next::TryNext
    );
    let l2 = lease(&mut p, &mut ctx, now);
    assert_eq!(l2.plan_type.as_deref(), Some("pro"));
    assert_eq!(
        p.record(&mut ctx, &l2, &Outcome::ModelNotSupported, Some(400), now)
            .next,
        Next::PassThrough
    );
}

#[test]
fn parallel_leases_keep_counts_consistent() {
    // N parallel requests never lose counter updates or leave in-flight counts.
    let mut p = pool(3, Strategy::Sticky);
    let now = t(0);
    let mut open = Vec::new();
    for i in 0..30 {
        let mut ctx = p.begin(Some(SessionHash::of(&format!("s{i}"))), false, now);
        let l = lease(&mut p, &mut ctx, now);
        open.push((ctx, l));
    }
    let in_flight: u32 = p.accounts().iter().map(|a| a.in_flight).sum();
    assert_eq!(in_flight, 30);
    assert!(
        p.accounts().iter().all(|a| a.in_flight == 10),
        "ties broken by in-flight count"
    );
    for (mut ctx, l) in open {
        p.record(&mut ctx, &l, &Outcome::Success { quota: None }, Some(200), now);
        p.stream_started();
        p.stream_ended(&l, ctx.session.as_ref(), StreamEnd::Completed, now);
        p.release(&l);
        p.finish(&ctx, Some(&l), false);
    }
    let c = p.counters();
    assert_eq!(
        (
            c.total_requests,
            c.upstream_requests,
            c.streams_started,
            c.streams_completed
        ),
        (30, 30, 30, 30)
    );
    assert!(p.accounts().iter().all(|a| a.in_flight == 0));
}

#[test]
fn broken_stream_cools_and_forgets_session() {
    let mut p = pool(2, Strategy::Sticky);
    let now = t(0);
    let first = serve(&mut p, Some("conv"), now);
    let mut ctx = p.begin(Some(SessionHash::of("conv")), false, now);
    let l = lease(&mut p, &mut ctx, now);
    assert_eq!(l.label, first);
    p.record(&mut ctx, &l, &Outcome::Success { quota: None }, Some(200), now);
    p.stream_started();
    p.stream_ended(&l, ctx.session.as_ref(), StreamEnd::UpstreamBroken, now);
    p.release(&l);
    let ctx = p.begin(Some(SessionHash::of("conv")), false, t(1));
    assert_eq!(ctx.session_account, None);
    assert_eq!(p.snapshot(t(1)).counters.streams_failed, 1);
}

#[test]
fn state_round_trips_through_json() {
    let mut p = pool(2, Strategy::Sticky);
    let now = t(0);
    serve(&mut p, Some("conv"), now);
    let mut ctx = p.begin(None, false, now);
    let l = lease(&mut p, &mut ctx, now);
    p.record(
        &mut ctx,
        &l,
        &Outcome::UsageLimit {
            reset_at: Some(t(600)),
            plan_type: None,
            quota: None,
        },
        Some(429),
        now,
    );
    p.release(&l);
    let json = serde_json::to_string(&p.export_state(now)).unwrap();
    let mut fresh = pool(2, Strategy::Sticky);
    fresh.import_state(serde_json::from_str(&json).unwrap(), t(1));
    assert_eq!(fresh.snapshot(t(1)).accounts, p.snapshot(t(1)).accounts);
    let ctx = fresh.begin(Some(SessionHash::of("conv")), false, t(2));
    assert!(ctx.session_account.is_some(), "sessions survive a restart");
    assert!(!json.contains("conv"), "only hashes are stored");
    let _ = Duration::ZERO;
}

#[test]
fn reset_aware_spends_the_window_that_resets_first() {
    let mut p = pool(3, Strategy::ResetAware);
    let now = t(0);
    p.set_quota("id0", usage(10.0, t(9000), now));
    p.set_quota("id1", usage(60.0, t(600), now));
    // id2 has no reading: least preferred.
    assert_eq!(serve(&mut p, None, now), "acct-1");
    // Past its threshold the account is skipped like under every strategy.
    p.set_quota("id1", usage(98.0, t(600), now));
    assert_eq!(serve(&mut p, None, now), "acct-0");
}

// `reset_early_at` survives a restart through `state.json`.
#[test]
fn reset_early_at_is_kept_across_a_restart_in_state_json() {
    let mut p = pool(1, Strategy::Sticky);
    p.account_mut("id0").unwrap().reset_early_at = Some(t(5));
    let json = serde_json::to_string(&p.export_state(t(10))).unwrap();
    assert!(json.contains("reset_early_at"), "{json}");
    let mut fresh = pool(1, Strategy::Sticky);
    fresh.import_state(serde_json::from_str(&json).unwrap(), t(11));
    assert_eq!(fresh.account("id0").unwrap().reset_early_at, Some(t(5)));
    assert_eq!(fresh.snapshot(t(11)).accounts[0].reset_early_at, Some(t(5)));
}

#[test]
fn the_spared_account_serves_only_when_no_other_account_can() {
    let mut p = pool(2, Strategy::FillFirst);
    p.set_spared(Some("id0".into()));
    let now = t(0);
    assert_eq!(serve(&mut p, None, now), "acct-1", "fill-first would take acct-0");
    assert_eq!(serve(&mut p, Some("s1"), now), "acct-1");
    // acct-1 runs out: the spared account is all that is left, so it serves.
    let mut ctx = p.begin(None, false, now);
    let l = lease(&mut p, &mut ctx, now);
    p.record(
        &mut ctx,
        &l,
        &Outcome::UsageLimit {
            reset_at: Some(t(3600)),
            plan_type: None,
            quota: None,
        },
        Some(429),
        now,
    );
    p.release(&l);
    let l = lease(&mut p, &mut ctx, now);
    assert_eq!(l.label, "acct-0");
    p.release(&l);
    // A session bound to the spared account moves once another account is back.
    assert_eq!(serve(&mut p, Some("s2"), now), "acct-0");
    let later = t(3601);
    assert_eq!(serve(&mut p, Some("s2"), later), "acct-1");
}

#[test]
fn a_preemptively_skipped_account_is_preferred_to_the_spared_one() {
    let mut p = pool(2, Strategy::Sticky);
    p.set_spared(Some("id1".into()));
    let now = t(0);
    p.set_quota("id0", usage(98.0, t(500), now));
    assert_eq!(
        serve(&mut p, None, now),
        "acct-0",
        "quota left is quota to use, before Codex's own"
    );
    p.set_spared(None);
    assert_eq!(serve(&mut p, None, now), "acct-1");
}

/// `state.json` lists sessions by hash (the file format is unchanged); a restart rebuilds the
/// least-recently-used order from `last_used`, so the session a full map evicts first after a
/// restart is the one that was idle longest before it, and a file holding more sessions than
/// `max_sessions` keeps the newest.
#[test]
fn a_restart_restores_the_eviction_order_from_last_used() {
    let mut p = pool(2, Strategy::Sticky);
    // Served in an order unrelated to hash order: s3 at 0 s, s1 at 1 s, s4 at 2 s, s0 at 3 s...
    let served = ["s3", "s1", "s4", "s0", "s2"];
    for (i, s) in served.iter().enumerate() {
        serve(&mut p, Some(s), t(i64::try_from(i).unwrap()));
    }
    let json = serde_json::to_string(&p.export_state(t(10))).unwrap();
    let state: crate::persist::PoolState = serde_json::from_str(&json).unwrap();
    let in_file: Vec<_> = state.sessions.keys().cloned().collect();
    let mut sorted = in_file.clone();
    sorted.sort();
    assert_eq!(in_file, sorted, "the file lists sessions by hash, as before");

    let mut fresh = Pool::new(PoolConfig {
        max_sessions: 3,
        ..PoolConfig::default()
    });
    fresh.sync_accounts(p.accounts().iter().map(meta_of).collect());
    fresh.import_state(state, t(11));
    let kept: Vec<_> = fresh.sessions.iter().map(|(k, _)| k.clone()).collect();
    let newest: Vec<_> = served[2..].iter().map(|s| SessionHash::of(s)).collect();
    assert_eq!(kept, newest, "the newest three, least recently used first");
    // One more session evicts the one idle longest before the restart.
    serve(&mut fresh, Some("new"), t(12));
    assert!(
        fresh
            .begin(Some(SessionHash::of("s4")), false, t(12))
            .session_account
            .is_none()
    );
    assert!(
        fresh
            .begin(Some(SessionHash::of("s0")), false, t(12))
            .session_account
            .is_some()
    );
}

fn meta_of(a: &crate::account::Account) -> AccountMeta {
    AccountMeta {
        id: a.id.clone(),
        label: a.label.clone(),
        plan_type: a.plan_type.clone(),
        enabled: true,
        status: AccountStatus::Ok,
    }
}

/// What a request costs inside the pool lock must not grow with the pool. Counted as
/// accounts looked at (selection scans and lookups by id), never timed: a turn of a bound
/// session costs the same three lookups with 1 or 1 000 accounts (select, record, release), a
/// new session one pass over the pool plus those lookups. Before, a new session walked the pool
/// four times (candidates, usable ones, the strategy's pick, the "other plan" check on every
/// success) and every lookup by id was a walk of its own.
#[test]
fn selection_cost_per_request_is_flat_for_bound_sessions_and_one_pass_for_new_ones() {
    let now = t(0);
    for n in [1, 10, 100, 1000] {
        for strategy in [Strategy::Sticky, Strategy::RoundRobin, Strategy::LeastUsed] {
            let mut p = pool(n, strategy);
            let before = p.accounts_examined();
            serve(&mut p, Some("conversation"), now);
            let first = p.accounts_examined() - before;
            assert!(
                first <= n as u64 + 3,
                "{strategy:?}, {n} accounts: new session examined {first}"
            );
            let before = p.accounts_examined();
            for _ in 0..100 {
                serve(&mut p, Some("conversation"), now);
            }
            let per_turn = (p.accounts_examined() - before) / 100;
            assert!(
                per_turn <= 3,
                "{strategy:?}, {n} accounts: a bound turn examined {per_turn}"
            );
        }
    }
}

/// The single pass picks what the strategies always picked: the first of equals in pool order.
#[test]
fn the_one_pass_pick_keeps_each_strategy_order() {
    let now = t(0);
    let mut p = pool(4, Strategy::Sticky);
    p.set_quota("id2", usage(10.0, t(900), now));
    p.set_quota("id0", usage(30.0, t(900), now));
    // Sticky: no reading counts as 0 %; among equals, fewest in flight then least recently used.
    assert_eq!(serve(&mut p, Some("a"), now), "acct-1");
    assert_eq!(serve(&mut p, Some("b"), t(1)), "acct-3");
    assert_eq!(serve(&mut p, Some("c"), t(2)), "acct-1");
    // Round-robin wraps from the cursor and skips unusable accounts.
    let mut p = pool(3, Strategy::RoundRobin);
    p.set_quota("id1", usage(99.0, t(900), now));
    let order: Vec<String> = (0..4).map(|_| serve(&mut p, None, now)).collect();
    assert_eq!(order, ["acct-0", "acct-2", "acct-0", "acct-2"]);
    // Every account past the preemptive threshold: the lowest reading is used anyway.
    p.set_quota("id0", usage(99.5, t(900), now));
    p.set_quota("id2", usage(98.0, t(900), now));
    assert_eq!(serve(&mut p, None, now), "acct-2");
}

/// The copy a `state.json` write takes under the pool lock allocates nothing per session: keys
/// are inline and every session of an account shares the pool's copy of its id. The file itself
/// is unchanged: sessions keyed by their 32-hex-character hash.
#[test]
fn a_state_draft_shares_account_ids_and_keeps_the_file_format() {
    let mut p = pool(2, Strategy::Sticky);
    for i in 0..20 {
        serve(&mut p, Some(&format!("s{i}")), t(0));
    }
    let draft = p.draft_state(t(1));
    assert_eq!(draft.sessions().len(), 20);
    for (k, e) in draft.sessions() {
        let shared = p.shared_id(&e.account_id).unwrap();
        assert!(
            std::sync::Arc::ptr_eq(&e.account_id, &shared),
            "{k:?} copied its account id"
        );
    }
    // What the writer encodes is exactly what the `PoolState` schema would have written.
    let file = serde_json::to_string_pretty(&draft.clone().into_file()).unwrap();
    assert_eq!(
        file,
        serde_json::to_string_pretty(&draft.clone().into_state()).unwrap()
    );
    let json = serde_json::to_value(draft.into_state()).unwrap();
    let sessions = json["sessions"].as_object().unwrap();
    assert!(sessions.contains_key(SessionHash::of("s3").as_str()));
    assert!(sessions.keys().all(|k| k.len() == 32));
    let owner = sessions[SessionHash::of("s3").as_str()]["account_id"].as_str();
    assert!(matches!(owner, Some("id0" | "id1")), "{owner:?}");

    // A key this router did not write (a hand-edited file) loads instead of failing the file.
    let mut edited = json.clone();
    edited["sessions"]["not-a-hash"] = sessions[SessionHash::of("s3").as_str()].clone();
    let state: crate::persist::PoolState = serde_json::from_value(edited).unwrap();
    assert_eq!(state.sessions.len(), 21);
}
