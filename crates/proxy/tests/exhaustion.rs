//! The `pool_exhausted` answer (SPEC §4.2): every account rate limited, and every account
//! needing login.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use std::time::Duration;

use codex_router_core::Timestamp;
use codex_router_test_support::Behavior;
use common::{Router, Setup, user};

fn secs(t: Timestamp) -> i64 {
    t.as_unix_ms().div_euclid(1000)
}

fn limit_at(at: i64, now: Timestamp) -> Behavior {
    Behavior::UsageLimit {
        resets_in_seconds: Some(at - secs(now)),
        resets_at: Some(at),
        plan_type: None,
    }
}

#[tokio::test]
async fn every_account_rate_limited_answers_429_with_the_exact_soonest_reset_and_codex_fields() {
    // `retry_after_ms` is exactly the soonest wait, and the pool is not replayed whole.
    let r = Router::start(Setup::new(2).plans(&["pro", "plus"])).await;
    let now = r.now();
    let late = secs(now) + 3600;
    let soon = secs(now) + 1800;
    r.fake.script("acct-0", limit_at(late, now));
    r.fake.script("acct-1", limit_at(soon, now));
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(reply.status, 429, "{}", reply.body);
    assert_eq!(reply.attempts(), Some(2));
    assert!(reply.account().is_none());
    let soonest = Timestamp::from_unix_secs(soon);
    let wait_ms = r.ms_until(soonest);
    let err = &reply.json()["error"];
    assert_eq!(err["code"], "pool_exhausted");
    assert_eq!(err["reason"], "rate_limited");
    assert_eq!(
        err["retry_after_ms"], wait_ms,
        "exactly the time to the soonest reset"
    );
    let wait_s = (wait_ms + 999) / 1000;
    assert_eq!(reply.headers["retry-after"].to_str().unwrap(), wait_s.to_string());
    // Codex's own usage-limit fields, for the account that resets first.
    assert_eq!(err["type"], "usage_limit_reached");
    assert_eq!(err["resets_at"], soon);
    assert_eq!(err["resets_in_seconds"], wait_s);
    assert_eq!(err["plan_type"], "plus");
    assert_eq!(err["hint"], "codexctl status");
    assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()));
    let accounts = err["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 2);
    assert_eq!(accounts[1]["label"], "acct-1");
    assert_eq!(accounts[1]["state"], "rate_limited");
    assert_eq!(accounts[1]["until"], soonest.to_rfc3339());
    assert_eq!(accounts[0]["until"], Timestamp::from_unix_secs(late).to_rfc3339());

    // The next request replays nothing: no upstream call, and the wait is exact again from
    // the clock's new reading.
    r.clock.advance(Duration::from_millis(100_500));
    let again = r.turn("s2", vec![user("hi")]).await;
    assert_eq!(again.status, 429);
    assert_eq!(again.attempts(), Some(0));
    assert_eq!(r.fake.requests().len(), 2);
    assert_eq!(again.json()["error"]["retry_after_ms"], wait_ms - 100_500);
    let snap = r.status();
    assert_eq!(snap.counters.pool_exhausted, 2);
    assert_eq!(snap.counters.total_requests, 2);
}

#[tokio::test]
async fn a_reset_within_a_minute_answers_503_so_codex_waits_and_retries() {
    let r = Router::start(Setup::new(2)).await;
    r.fake.script("acct-0", Behavior::usage_limit_in_band(45));
    r.fake.script("acct-1", Behavior::rate_limit_exceeded(Some(20)));
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    let err = &reply.json()["error"];
    assert_eq!(err["reason"], "rate_limited");
    assert_eq!(err["retry_after_ms"], 20_000);
    assert_eq!(reply.headers["retry-after"], "20");
    assert!(err.get("type").is_none(), "no usage-limit fields on a 503");
}

#[tokio::test]
async fn retry_after_on_a_503_is_capped_at_thirty_seconds_but_retry_after_ms_stays_exact() {
    let r = Router::start(Setup::new(1)).await;
    r.fake.script("acct-0", Behavior::rate_limit_exceeded(Some(50)));
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.json()["error"]["retry_after_ms"], 50_000);
    assert_eq!(reply.headers["retry-after"], "30");
}

#[tokio::test]
async fn every_account_needing_login_answers_400_naming_the_login_command() {
    let r = Router::start(Setup::new(2)).await;
    r.fake.invalidate_account("acct-0");
    r.fake.invalidate_account("acct-1");
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.attempts(), Some(2));
    assert!(!reply.headers.contains_key("retry-after"));
    let err = &reply.json()["error"];
    assert_eq!(err["code"], "pool_exhausted");
    assert_eq!(err["reason"], "auth_failed");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("codexctl accounts login"),
        "{err}"
    );
    for label in ["acct-0", "acct-1"] {
        assert_eq!(r.state_of(label), ("needs_login", Some("token_invalidated")));
    }
    // Nothing waiting would fix it: the next request makes no upstream call and says the same.
    let again = r.turn("s", vec![user("hi")]).await;
    assert_eq!(again.status, 400);
    assert_eq!(again.attempts(), Some(0));
    assert!(
        again.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("codexctl accounts login")
    );
    assert_eq!(r.fake.requests().len(), 2);
    assert_eq!(r.fake.refresh_calls(), 0, "an invalidated token is not refreshed");
}

#[tokio::test]
async fn an_empty_pool_answers_400_no_accounts() {
    let r = Router::start(Setup::new(0)).await;
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    let err = &reply.json()["error"];
    assert_eq!(err["reason"], "no_accounts");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("codexctl accounts login")
    );
    assert!(r.fake.requests().is_empty());
}

#[tokio::test]
async fn with_no_attempt_possible_the_reason_is_the_kind_of_the_soonest_recovery() {
    let mut setup = Setup::new(2);
    setup.pool.outage_accounts = 100;
    let r = Router::start(setup).await;
    let now = r.now();
    r.fake.script("acct-0", limit_at(secs(now) + 3600, now));
    r.fake.script("acct-1", Behavior::server_error(500));
    let first = r.turn("s", vec![user("hi")]).await;
    assert_eq!(first.status, 503, "{}", first.body);
    let again = r.turn("s2", vec![user("hi")]).await;
    assert_eq!((again.status, again.attempts()), (503, Some(0)));
    let err = &again.json()["error"];
    assert_eq!(err["reason"], "server_error", "acct-1's 4 s cooldown ends first");
    assert_eq!(err["retry_after_ms"], 4000);
    assert_eq!(again.headers["retry-after"], "4");
}
