//! Failing over between accounts before the first byte (SPEC §4.2): usage limits, 5xx,
//! refused connections and hung upstreams, within the `max_attempts` budget.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use std::time::{Duration, Instant};

use codex_router_core::Timestamp;
use codex_router_core::pool::Strategy;
use codex_router_test_support::{Behavior, unused_local_addr};
use common::{Router, Setup, user, within};

fn secs(t: Timestamp) -> i64 {
    t.as_unix_ms().div_euclid(1000)
}

#[tokio::test]
async fn usage_limit_fails_over_in_the_same_call_and_cools_until_the_named_reset_across_a_restart() {
    let r = Router::start(Setup::new(2).strategy(Strategy::FillFirst)).await;
    let reset_secs = secs(r.now()) + 600;
    r.fake.script(
        "acct-0",
        Behavior::UsageLimit {
            resets_in_seconds: Some(600),
            resets_at: Some(reset_secs),
            plan_type: Some("pro".into()),
        },
    );
    let reply = r.turn("s1", vec![user("hi")]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.account(), Some("acct-1"));
    assert_eq!(reply.attempts(), Some(2));
    assert_eq!(
        common::kinds(&reply),
        common::normal_kinds(),
        "the client sees only acct-1's stream"
    );
    let reset = Timestamp::from_unix_secs(reset_secs);
    let a = r.view("acct-0");
    assert_eq!(
        (a.state.as_str(), a.state_reason),
        ("rate_limited", Some("usage_limit"))
    );
    assert_eq!(a.until, Some(reset));
    let snap = r.status();
    assert_eq!(snap.counters.retries, 1);
    assert_eq!(snap.counters.rotations, 1);
    assert_eq!(
        snap.last_error
            .as_ref()
            .map(|e| (e.account.as_str(), e.kind, e.http_status)),
        Some(("acct-0", "rate_limited", Some(429)))
    );

    // Skipped (not even tried) while limited.
    r.clock.advance(Duration::from_secs(300));
    let reply = r.anonymous().await;
    assert_eq!((reply.account(), reply.attempts()), (Some("acct-1"), Some(1)));

    // The cooldown survives a clean restart.
    let r = r.restart().await;
    let a = r.view("acct-0");
    assert_eq!((a.state.as_str(), a.until), ("rate_limited", Some(reset)));
    let reply = r.anonymous().await;
    assert_eq!((reply.account(), reply.attempts()), (Some("acct-1"), Some(1)));

    // One millisecond before the reset it is still skipped; at the reset it is used again.
    r.clock.advance(Duration::from_millis(
        u64::try_from(r.ms_until(reset)).unwrap() - 1,
    ));
    assert_eq!(r.anonymous().await.account(), Some("acct-1"));
    r.clock.advance(Duration::from_millis(1));
    assert_eq!(r.state_of("acct-0"), ("ready", None));
    let reply = r.anonymous().await;
    assert_eq!((reply.account(), reply.attempts()), (Some("acct-0"), Some(1)));
    assert_eq!(r.fake.requests().len(), 6);
}

#[tokio::test]
async fn server_error_fails_over_and_cools_the_account_four_seconds() {
    let r = Router::start(Setup::new(2).strategy(Strategy::FillFirst)).await;
    r.fake.script("acct-0", Behavior::server_error(500));
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(
        (reply.status, reply.account(), reply.attempts()),
        (200, Some("acct-1"), Some(2))
    );
    let a = r.view("acct-0");
    assert_eq!(
        (a.state.as_str(), a.state_reason),
        ("cooling_down", Some("server_error"))
    );
    assert_eq!(a.until, Some(r.now().plus(Duration::from_secs(4))));
    assert_eq!(a.failures, 1);
    // 503 overloaded: same row, and a repeat within the window doubles the cooldown.
    r.clock.advance(Duration::from_secs(4));
    r.fake.script("acct-0", Behavior::server_error(503));
    let reply = r.anonymous().await;
    assert_eq!((reply.account(), reply.attempts()), (Some("acct-1"), Some(2)));
    assert_eq!(r.view("acct-0").until, Some(r.now().plus(Duration::from_secs(8))));
}

#[tokio::test]
async fn connection_refused_tries_each_account_then_answers_503_network_error() {
    let mut setup = Setup::new(2);
    setup.upstream = Some(format!("http://{}/backend-api", unused_local_addr()));
    let r = Router::start(setup).await;
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.attempts(), Some(2), "both accounts were tried");
    let body = reply.json();
    assert_eq!(body["error"]["code"], "pool_exhausted");
    assert_eq!(body["error"]["reason"], "network_error");
    // Both cooled 6 s at the same instant of the manual clock: exactly 6 s to wait.
    assert_eq!(body["error"]["retry_after_ms"], 6000);
    assert_eq!(reply.headers["retry-after"], "6");
    for label in ["acct-0", "acct-1"] {
        assert_eq!(r.state_of(label), ("cooling_down", Some("network_error")));
    }
    assert_eq!(r.status().counters.pool_exhausted, 1);
    assert!(r.status().accounts.iter().all(|a| a.in_flight == 0));
}

#[tokio::test]
async fn hung_upstream_fails_over_after_the_headers_timeout() {
    // A never-answering upstream is cut by the fetch timeout.
    let mut setup = Setup::new(2).strategy(Strategy::FillFirst);
    setup.proxy.headers_timeout = Duration::from_millis(300);
    let r = Router::start(setup).await;
    r.fake.script("acct-0", Behavior::StallBeforeHeaders);
    let started = Instant::now();
    let reply = within(
        "failover after the headers timeout",
        5,
        r.turn("s", vec![user("hi")]),
    )
    .await;
    let took = started.elapsed();
    assert_eq!(
        (reply.status, reply.account(), reply.attempts()),
        (200, Some("acct-1"), Some(2))
    );
    assert!(
        took >= Duration::from_millis(300),
        "failed over before the timeout: {took:?}"
    );
    assert_eq!(r.state_of("acct-0"), ("cooling_down", Some("network_error")));
    assert_eq!(r.view("acct-0").until, Some(r.now().plus(Duration::from_secs(6))));
    // The abandoned upstream request was cancelled, not left parked.
    within(
        "stalled upstream request cancelled",
        5,
        r.fake.wait_active_responses(0),
    )
    .await;
    assert!(r.status().accounts.iter().all(|a| a.in_flight == 0));
}

#[tokio::test]
async fn attempts_are_bounded_by_max_attempts_with_reason_budget() {
    // A bounded per-request budget: `max_attempts` upstream calls, then 503 reason "budget".
    let mut setup = Setup::new(6).max_attempts(4);
    // Keep the pool-wide outage rule out of this test (it has its own below).
    setup.pool.outage_accounts = 100;
    let r = Router::start(setup).await;
    for i in 0..6 {
        r.fake
            .script_always(&format!("acct-{i}"), Behavior::server_error(500));
    }
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.attempts(), Some(4));
    assert_eq!(r.fake.requests().len(), 4, "exactly max_attempts upstream calls");
    let body = reply.json();
    assert_eq!(body["error"]["code"], "pool_exhausted");
    assert_eq!(body["error"]["reason"], "budget");
    // Two untried accounts are usable right now.
    assert_eq!(body["error"]["retry_after_ms"], 0);
    assert!(reply.headers.contains_key("retry-after"));
    assert_eq!(body["error"]["accounts"].as_array().unwrap().len(), 6);
    let snap = r.status();
    assert_eq!(snap.counters.upstream_requests, 4);
    assert_eq!(snap.counters.retries, 3);
    assert_eq!(snap.counters.pool_exhausted, 1);
    let cooled = snap
        .accounts
        .iter()
        .filter(|a| a.state.as_str() == "cooling_down")
        .count();
    assert_eq!(cooled, 4);
}

#[tokio::test]
async fn max_attempts_never_exceeds_the_pool_size() {
    let r = Router::start(Setup::new(2).max_attempts(10)).await;
    for i in 0..2 {
        r.fake
            .script_always(&format!("acct-{i}"), Behavior::server_error(502));
    }
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.attempts(), Some(2));
    assert_eq!(reply.json()["error"]["reason"], "server_error");
    // Both cooled 4 s from the same clock reading.
    assert_eq!(reply.json()["error"]["retry_after_ms"], 4000);
    assert_eq!(reply.headers["retry-after"], "4");
}

#[tokio::test]
async fn an_outage_across_three_accounts_backs_off_pool_wide() {
    // Repeated cross-account 5xx → one short pool-wide backoff, not a whole-pool replay.
    let r = Router::start(Setup::new(6).max_attempts(4)).await;
    for i in 0..6 {
        r.fake
            .script_always(&format!("acct-{i}"), Behavior::server_error(503));
    }
    let reply = r.turn("s", vec![user("hi")]).await;
    // The request already running keeps its remaining attempts.
    assert_eq!(reply.attempts(), Some(4));
    assert_eq!(reply.status, 503);
    let next = r.turn("s2", vec![user("hi")]).await;
    assert_eq!(next.status, 503, "{}", next.body);
    assert_eq!(
        next.attempts(),
        Some(0),
        "no upstream call during the pool-wide backoff"
    );
    let body = next.json();
    assert_eq!(body["error"]["reason"], "server_error");
    assert_eq!(body["error"]["retry_after_ms"], 5000);
    assert_eq!(next.headers["retry-after"], "5");
    assert_eq!(r.fake.requests().len(), 4);
    // Afterwards the pool is tried again.
    r.clock.advance(Duration::from_secs(5));
    for i in 0..6 {
        r.fake.clear_script(&format!("acct-{i}"));
    }
    let ok = r.turn("s3", vec![user("hi")]).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
}
