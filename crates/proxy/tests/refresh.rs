//! Token refresh on the request path (SPEC §4.2 401 row, §6 "Refresh"): one refresh however many
//! requests wait, and a refresh token is never presented twice.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use std::time::Duration;

use codex_router_core::pool::Strategy;
use codex_router_store::StoredStatus;
use codex_router_test_support::{RefreshBehavior, bodies};
use common::{Router, Setup, eventually, user};

fn fill_first(n: usize) -> Setup {
    Setup::new(n).strategy(Strategy::FillFirst)
}

/// The refresh tokens the issuer received, in order.
fn presented(r: &Router) -> Vec<String> {
    r.fake
        .issuer_requests()
        .iter()
        .filter(|q| q.path == "/oauth/token")
        .filter_map(|q| q.param("refresh_token"))
        .collect()
}

#[tokio::test]
async fn a_401_refreshes_once_and_the_same_account_succeeds() {
    let r = Router::start(fill_first(2)).await;
    let before = r.stored_account("acct-0").tokens;
    r.fake.expire_access_tokens("acct-0");
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.account(),
        Some("acct-0"),
        "the same account, not a failover"
    );
    assert_eq!(reply.attempts(), Some(2), "the 401 and the retry");
    assert_eq!(r.fake.refresh_calls(), 1);
    assert_eq!(r.fake.refresh_reuse_count(), 0);
    assert_eq!(presented(&r), [before.refresh_token.expose().to_owned()]);
    // The new tokens were on disk before the retry used them.
    let after = r.stored_account("acct-0");
    assert_ne!(after.tokens.access_token, before.access_token);
    assert_ne!(after.tokens.refresh_token, before.refresh_token);
    assert!(after.refresh_in_flight_since.is_none());
    assert!(after.last_refresh.is_some());
    let reqs = r.fake.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        reqs[1].header("authorization"),
        Some(format!("Bearer {}", after.tokens.access_token.expose()).as_str())
    );
    let snap = r.status();
    assert_eq!((snap.counters.refreshes, snap.counters.refresh_failures), (1, 0));
    assert_eq!(snap.counters.retries, 1);
    assert_eq!(snap.counters.rotations, 0);
    assert_eq!(r.state_of("acct-0"), ("ready", None));
}

#[tokio::test]
async fn concurrent_requests_on_an_expired_token_cause_exactly_one_refresh() {
    // Concurrent requests on an expired token: exactly one refresh, and every request succeeds.
    // The token's exp is already in the past when the router loads it, so each
    // request refreshes before calling; the issuer is slow, so they all overlap.
    let mut setup = Setup::new(1);
    setup.ttl = -60;
    let r = Router::start(setup).await;
    r.fake.set_refresh_delay(Duration::from_millis(300));
    let sessions: Vec<String> = (0..8).map(|i| format!("s{i}")).collect();
    let turns = sessions.iter().map(|s| r.turn(s, vec![user("hi")]));
    let replies = futures_util::future::join_all(turns).await;
    for reply in &replies {
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(
            reply.attempts(),
            Some(1),
            "refreshed before the call: no 401 round trip"
        );
    }
    assert_eq!(r.fake.refresh_calls(), 1);
    assert_eq!(r.fake.refresh_reuse_count(), 0);
    assert_eq!(r.status().counters.refreshes, 1);
    assert!(
        r.fake
            .requests()
            .iter()
            .all(|q| q.header("authorization") == r.fake.requests()[0].header("authorization"))
    );
}

#[tokio::test]
async fn concurrent_401s_share_one_refresh() {
    // Exactly one refresh on the 401 path: both requests see the old token rejected.
    let r = Router::start(Setup::new(1)).await;
    r.fake.expire_access_tokens("acct-0");
    r.fake.set_refresh_delay(Duration::from_millis(300));
    let (a, b) = tokio::join!(r.turn("s1", vec![user("hi")]), r.turn("s2", vec![user("hi")]));
    for reply in [&a, &b] {
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.account(), Some("acct-0"));
    }
    assert_eq!(r.fake.refresh_calls(), 1);
    assert_eq!(r.fake.refresh_reuse_count(), 0);
}

#[tokio::test]
async fn a_refresh_token_is_never_presented_twice_across_a_clean_restart() {
    let r = Router::start(Setup::new(1)).await;
    r.fake.expire_access_tokens("acct-0");
    assert_eq!(r.turn("s", vec![user("1")]).await.status, 200);
    let r = r.restart().await;
    r.fake.expire_access_tokens("acct-0");
    assert_eq!(r.turn("s", vec![user("2")]).await.status, 200);
    let r = r.restart().await;
    r.fake.expire_access_tokens("acct-0");
    assert_eq!(r.turn("s", vec![user("3")]).await.status, 200);
    let tokens = presented(&r);
    assert_eq!(tokens.len(), 3);
    let mut unique = tokens.clone();
    unique.dedup();
    assert_eq!(
        unique.len(),
        3,
        "each refresh presented the token the previous one returned"
    );
    assert_eq!(r.fake.refresh_reuse_count(), 0);
}

#[tokio::test]
async fn a_refresh_interrupted_by_a_crash_is_presented_once_more_then_needs_login() {
    let r = Router::start(fill_first(2)).await;
    let spent = r.stored_account("acct-0").tokens.refresh_token;
    // The issuer rotates the token, then the connection dies: the router cannot know whether
    // its token is spent.
    r.fake.expire_access_tokens("acct-0");
    r.fake.script_refresh(RefreshBehavior::RotateThenDrop);
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!((reply.status, reply.account()), (200, Some("acct-1")));
    assert_eq!(r.state_of("acct-0"), ("cooling_down", Some("network_error")));
    let stored = r.stored_account("acct-0");
    assert!(
        stored.refresh_in_flight_since.is_some(),
        "the in-flight mark stays: the token may be spent"
    );
    assert_eq!(stored.tokens.refresh_token, spent);
    assert_eq!(r.status().counters.refresh_failures, 1);

    // Restart (what a crash at that instant leaves behind is the same file), then wait out the
    // network-error cooldown.
    let r = r.restart().await;
    r.clock.advance(Duration::from_secs(6));
    let reply = r.turn("s2", vec![user("hi")]).await;
    assert_eq!(
        (reply.status, reply.account()),
        (200, Some("acct-1")),
        "{}",
        reply.body
    );
    assert_eq!(
        r.fake.refresh_reuse_count(),
        1,
        "the one re-presentation after a crash"
    );
    assert_eq!(
        presented(&r),
        [spent.expose().to_owned(), spent.expose().to_owned()]
    );
    assert_eq!(
        r.state_of("acct-0"),
        ("needs_login", Some("refresh_interrupted_by_crash"))
    );
    eventually(&r.runtime, "needs_login written to accounts.json", || {
        let a = r.stored_account("acct-0");
        a.status == StoredStatus::NeedsLogin
            && a.status_reason.as_deref() == Some("refresh_interrupted_by_crash")
            && a.refresh_in_flight_since.is_none()
    })
    .await;

    // Never a retry loop: later requests do not touch the account or the issuer again.
    for i in 0..3 {
        let reply = r.turn(&format!("later-{i}"), vec![user("hi")]).await;
        assert_eq!((reply.account(), reply.attempts()), (Some("acct-1"), Some(1)));
    }
    assert_eq!(r.fake.refresh_calls(), 2);
    let r = r.restart().await;
    assert_eq!(
        r.state_of("acct-0"),
        ("needs_login", Some("refresh_interrupted_by_crash"))
    );
}

#[tokio::test]
async fn a_crash_suspect_whose_token_was_not_spent_refreshes_normally() {
    let r = Router::start(Setup::new(1)).await;
    // The issuer never answered, and never saw the token either.
    r.fake.expire_access_tokens("acct-0");
    r.fake.script_refresh(RefreshBehavior::DropConnection);
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert!(r.stored_account("acct-0").refresh_in_flight_since.is_some());
    let r = r.restart().await;
    r.clock.advance(Duration::from_secs(6));
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(r.fake.refresh_reuse_count(), 0);
    let a = r.stored_account("acct-0");
    assert_eq!(a.status, StoredStatus::Ok);
    assert!(a.refresh_in_flight_since.is_none());
}

#[tokio::test]
async fn a_permanent_refresh_failure_marks_needs_login_and_fails_over() {
    let r = Router::start(fill_first(2)).await;
    r.fake.expire_access_tokens("acct-0");
    r.fake.script_refresh(RefreshBehavior::Status(
        400,
        bodies::invalid_grant("The refresh token is invalid."),
    ));
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!((reply.status, reply.account()), (200, Some("acct-1")));
    assert_eq!(r.state_of("acct-0"), ("needs_login", Some("refresh_failed")));
    assert_eq!(r.status().counters.refresh_failures, 1);
    eventually(&r.runtime, "needs_login written to accounts.json", || {
        let a = r.stored_account("acct-0");
        a.status == StoredStatus::NeedsLogin && a.status_reason.as_deref() == Some("refresh_failed")
    })
    .await;
    // Not retried.
    assert_eq!(r.anonymous().await.account(), Some("acct-1"));
    assert_eq!(r.fake.refresh_calls(), 1);
}

#[tokio::test]
async fn a_transient_refresh_failure_cools_the_account_and_clears_the_in_flight_mark() {
    let r = Router::start(fill_first(2)).await;
    r.fake.expire_access_tokens("acct-0");
    r.fake
        .script_refresh(RefreshBehavior::Status(503, bodies::server_overloaded()));
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!((reply.status, reply.account()), (200, Some("acct-1")));
    assert_eq!(r.state_of("acct-0"), ("cooling_down", Some("network_error")));
    // The issuer answered, so the token was not consumed.
    assert!(r.stored_account("acct-0").refresh_in_flight_since.is_none());
    r.clock.advance(Duration::from_secs(6));
    let reply = r.anonymous().await;
    assert_eq!((reply.account(), reply.attempts()), (Some("acct-0"), Some(2)));
    assert_eq!(r.fake.refresh_calls(), 2);
    assert_eq!(r.fake.refresh_reuse_count(), 0);
}

// A 401 whose body names a deactivation follows the 401 row (refresh once, retry the same account);
// only the answer after the refresh decides.
#[tokio::test]
async fn a_401_naming_a_deactivation_refreshes_once_and_the_same_account_serves() {
    let r = Router::start(fill_first(2)).await;
    r.fake.script(
        "acct-0",
        codex_router_test_support::Behavior::json(
            401,
            r#"{"error":{"code":"account_deactivated","message":"Your account has been deactivated."}}"#
                .to_owned(),
        ),
    );
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!((reply.account(), reply.attempts()), (Some("acct-0"), Some(2)));
    assert_eq!(r.fake.refresh_calls(), 1);
    assert_eq!(r.state_of("acct-0"), ("ready", None));
}
