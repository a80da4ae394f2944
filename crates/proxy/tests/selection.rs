//! Choosing an account (SPEC §4.1): session keys spread over accounts, one `prompt_cache_key`
//! stays on one account, and each strategy behaves as named.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use std::time::Duration;

use codex_router_core::pool::Strategy;
use codex_router_test_support::{Behavior, UsageState};
use common::{Router, Setup, user};

const MS: Duration = Duration::from_millis(1);

#[tokio::test]
async fn sticky_spreads_new_sessions_and_keeps_each_session_on_its_account() {
    let r = Router::start(Setup::new(3)).await;
    // New sessions with equal quota and nothing in flight: least recently used first.
    let mut first = Vec::new();
    for i in 0..6 {
        let reply = r.turn(&format!("session-{i}"), vec![user("hi")]).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        first.push(reply.account().unwrap().to_owned());
        r.clock.advance(MS);
    }
    assert_eq!(
        first,
        ["acct-0", "acct-1", "acct-2", "acct-0", "acct-1", "acct-2"]
    );
    // The same sessions again, in another order: each stays where it started, although LRU
    // alone would now choose differently.
    for i in [5, 3, 4, 0, 2, 1] {
        let reply = r.turn(&format!("session-{i}"), vec![user("again")]).await;
        assert_eq!(reply.account(), Some(first[i].as_str()), "session-{i} moved");
        assert_eq!(reply.attempts(), Some(1));
        r.clock.advance(MS);
    }
    assert_eq!(r.status().counters.rotations, 0);
}

#[tokio::test]
async fn same_prompt_cache_key_stays_on_one_account_across_interleaved_sessions() {
    let r = Router::start(Setup::new(3)).await;
    let home = r
        .turn("thread-main", vec![user("1")])
        .await
        .account()
        .unwrap()
        .to_owned();
    for i in 0..5 {
        r.clock.advance(MS);
        let other = r.turn(&format!("other-{i}"), vec![user("x")]).await;
        assert_eq!(other.status, 200);
        r.clock.advance(MS);
        let again = r.turn("thread-main", vec![user("more")]).await;
        assert_eq!(
            again.account(),
            Some(home.as_str()),
            "turn {i} of thread-main moved"
        );
    }
    // The key is the body's prompt_cache_key even when the headers name another session.
    let body = serde_json::json!({"model":"gpt-test","stream":true,"prompt_cache_key":"thread-main","input":[user("k")]});
    for i in 0..3 {
        let resp = r
            .post("/v1/responses", &body)
            .header("session-id", format!("header-session-{i}"))
            .send()
            .await
            .unwrap();
        let reply = common::Reply::read(resp).await;
        assert_eq!(reply.account(), Some(home.as_str()));
    }
}

#[tokio::test]
async fn sticky_puts_a_new_session_on_the_account_with_most_quota_left() {
    let r = Router::start(Setup::new(3)).await;
    r.fake.set_usage("acct-0", UsageState::used("pro", 80.0, 10.0));
    r.fake.set_usage("acct-1", UsageState::used("pro", 10.0, 5.0));
    r.fake.set_usage("acct-2", UsageState::used("pro", 50.0, 60.0));
    // One request per account gives each a reading (LRU spreads them).
    for i in 0..3 {
        assert_eq!(
            r.turn(&format!("warm-{i}"), vec![user("w")]).await.account(),
            Some(format!("acct-{i}").as_str())
        );
        r.clock.advance(MS);
    }
    // acct-1's tightest window is 10 %, acct-2's 60 %, acct-0's 80 %.
    for i in 0..3 {
        let reply = r.turn(&format!("new-{i}"), vec![user("n")]).await;
        assert_eq!(reply.account(), Some("acct-1"));
        r.clock.advance(MS);
    }
}

#[tokio::test]
async fn round_robin_takes_the_next_account_in_pool_order() {
    let r = Router::start(Setup::new(3).strategy(Strategy::RoundRobin)).await;
    let mut seen = Vec::new();
    for _ in 0..7 {
        let reply = r.anonymous().await;
        assert_eq!(reply.status, 200);
        seen.push(reply.account().unwrap().to_owned());
    }
    assert_eq!(
        seen,
        [
            "acct-0", "acct-1", "acct-2", "acct-0", "acct-1", "acct-2", "acct-0"
        ]
    );
    // A bound session still stays put under round-robin.
    let bound = r
        .turn("rr-session", vec![user("1")])
        .await
        .account()
        .unwrap()
        .to_owned();
    for _ in 0..3 {
        assert_eq!(r.anonymous().await.status, 200);
        assert_eq!(
            r.turn("rr-session", vec![user("2")]).await.account(),
            Some(bound.as_str())
        );
    }
}

#[tokio::test]
async fn fill_first_uses_the_first_usable_account_until_it_is_not() {
    let r = Router::start(Setup::new(3).strategy(Strategy::FillFirst)).await;
    for _ in 0..4 {
        assert_eq!(r.anonymous().await.account(), Some("acct-0"));
    }
    // New sessions too.
    for i in 0..3 {
        assert_eq!(
            r.turn(&format!("ff-{i}"), vec![user("x")]).await.account(),
            Some("acct-0")
        );
    }
    r.fake.script("acct-0", Behavior::usage_limit_in(3600));
    let moved = r.anonymous().await;
    assert_eq!(moved.account(), Some("acct-1"));
    assert_eq!(moved.attempts(), Some(2));
    for _ in 0..3 {
        let reply = r.anonymous().await;
        assert_eq!(reply.account(), Some("acct-1"));
        assert_eq!(
            reply.attempts(),
            Some(1),
            "acct-0 is not even tried while limited"
        );
    }
}

#[tokio::test]
async fn least_used_prefers_the_account_with_fewest_recent_requests() {
    let r = Router::start(Setup::new(3).strategy(Strategy::LeastUsed)).await;
    // Three turns of one session pile up on its account.
    let busy = r
        .turn("heavy", vec![user("1")])
        .await
        .account()
        .unwrap()
        .to_owned();
    for _ in 0..2 {
        assert_eq!(
            r.turn("heavy", vec![user("n")]).await.account(),
            Some(busy.as_str())
        );
    }
    let mut others = Vec::new();
    for _ in 0..4 {
        others.push(r.anonymous().await.account().unwrap().to_owned());
    }
    assert!(!others.contains(&busy), "{others:?} used the busy {busy}");
}

#[tokio::test]
async fn sessions_stay_on_their_account_across_a_restart() {
    let r = Router::start(Setup::new(3)).await;
    let mut homes = Vec::new();
    for i in 0..3 {
        homes.push(
            r.turn(&format!("keep-{i}"), vec![user("1")])
                .await
                .account()
                .unwrap()
                .to_owned(),
        );
        r.clock.advance(MS);
    }
    assert_eq!(homes, ["acct-0", "acct-1", "acct-2"]);
    let r = r.restart().await;
    assert_eq!(r.status().sessions, 3);
    for i in [2, 1, 0] {
        assert_eq!(
            r.turn(&format!("keep-{i}"), vec![user("2")]).await.account(),
            Some(homes[i].as_str())
        );
        r.clock.advance(MS);
    }
    // state.json holds hashes, never the session keys themselves.
    let state = std::fs::read_to_string(&r.paths.state).unwrap();
    assert!(!state.contains("keep-0"));
}

#[tokio::test]
async fn accounts_past_the_preemptive_threshold_are_used_only_as_a_last_resort() {
    let r = Router::start(Setup::new(3)).await;
    r.fake.set_usage("acct-0", UsageState::used("pro", 98.0, 10.0));
    r.fake.set_usage("acct-1", UsageState::used("pro", 99.0, 10.0));
    for i in 0..3 {
        assert_eq!(
            r.turn(&format!("warm-{i}"), vec![user("w")]).await.account(),
            Some(format!("acct-{i}").as_str())
        );
        r.clock.advance(MS);
    }
    assert_eq!(r.state_of("acct-0"), ("rate_limited", Some("preemptive")));
    // While acct-2 is usable, nothing new goes to the two nearly exhausted accounts.
    for i in 0..3 {
        assert_eq!(r.anonymous().await.account(), Some("acct-2"), "request {i}");
    }
    // acct-2 runs out: the lowest reading is used anyway.
    r.fake.script("acct-2", Behavior::usage_limit_in(3600));
    let reply = r.anonymous().await;
    assert_eq!(
        (reply.status, reply.account(), reply.attempts()),
        (200, Some("acct-0"), Some(2))
    );
    assert_eq!(r.state_of("acct-0"), ("ready", Some("preemptive_fallback")));
    assert_eq!(r.state_of("acct-1"), ("rate_limited", Some("preemptive")));
}
