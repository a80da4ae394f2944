//! Each classified outcome of SPEC §4.2, with the backend's real body shapes
//! (reference/backend-shapes.md).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use std::time::Duration;

use codex_router_core::pool::Strategy;
use codex_router_store::StoredStatus;
use codex_router_test_support::{Behavior, bodies};
use common::{Router, Setup, eventually, user};

fn fill_first(n: usize) -> Setup {
    Setup::new(n).strategy(Strategy::FillFirst)
}

#[tokio::test]
async fn deactivated_workspace_402_in_detail_code_cools_30_minutes_and_another_account_serves() {
    let mut setup = fill_first(2);
    // Long-lived tokens: this test moves the clock by hours.
    setup.ttl = 7 * 86400;
    let r = Router::start(setup).await;
    r.fake.script("acct-0", Behavior::deactivated_workspace());
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(
        (reply.status, reply.account(), reply.attempts()),
        (200, Some("acct-1"), Some(2))
    );
    let a = r.view("acct-0");
    assert_eq!(
        (a.state.as_str(), a.state_reason),
        ("cooling_down", Some("deactivation_suspected"))
    );
    assert_eq!(a.until, Some(r.now().plus(Duration::from_secs(30 * 60))));
    assert_eq!(
        r.stored_account("acct-0").status,
        StoredStatus::Ok,
        "not disabled on a first answer"
    );

    // It flickers: a second answer doubles the cooldown, a third in a row spanning at least
    // an hour disables the account for good (persisted).
    r.clock.advance(Duration::from_secs(30 * 60));
    r.fake.script("acct-0", Behavior::deactivated_workspace());
    assert_eq!(r.anonymous().await.account(), Some("acct-1"));
    assert_eq!(
        r.view("acct-0").until,
        Some(r.now().plus(Duration::from_secs(60 * 60)))
    );
    r.clock.advance(Duration::from_secs(60 * 60));
    r.fake.script("acct-0", Behavior::deactivated_workspace());
    assert_eq!(r.anonymous().await.account(), Some("acct-1"));
    assert_eq!(r.state_of("acct-0"), ("disabled", Some("disabled_by_upstream")));
    eventually(
        &r.runtime,
        "disabled_by_upstream written to accounts.json",
        || r.stored_account("acct-0").status == StoredStatus::DisabledByUpstream,
    )
    .await;
}

#[tokio::test]
async fn a_success_in_between_resets_the_deactivation_streak() {
    let mut setup = fill_first(2);
    setup.ttl = 7 * 86400;
    let r = Router::start(setup).await;
    for _ in 0..4 {
        r.fake.script("acct-0", Behavior::deactivated_workspace());
        assert_eq!(r.anonymous().await.account(), Some("acct-1"));
        r.clock.advance(Duration::from_secs(24 * 3600));
        // acct-0 is back and serves once.
        assert_eq!(r.anonymous().await.account(), Some("acct-0"));
    }
    assert_eq!(r.state_of("acct-0"), ("ready", None));
}

#[tokio::test]
async fn html_403_from_the_cdn_is_transient_and_fails_over() {
    let r = Router::start(fill_first(2)).await;
    r.fake.script("acct-0", Behavior::cloudflare_403());
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(
        (reply.status, reply.account(), reply.attempts()),
        (200, Some("acct-1"), Some(2))
    );
    assert!(
        !reply.body.contains("<html"),
        "the challenge page never reaches the client"
    );
    let a = r.view("acct-0");
    assert_eq!(
        (a.state.as_str(), a.state_reason),
        ("cooling_down", Some("server_error"))
    );
    assert_eq!(a.until, Some(r.now().plus(Duration::from_secs(4))));
    assert_eq!(r.stored_account("acct-0").status, StoredStatus::Ok);
}

#[tokio::test]
async fn usage_not_included_disables_the_account_as_not_entitled_persistently() {
    let r = Router::start(fill_first(2)).await;
    r.fake.script("acct-0", Behavior::usage_not_included());
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(
        (reply.status, reply.account(), reply.attempts()),
        (200, Some("acct-1"), Some(2))
    );
    assert_eq!(r.state_of("acct-0"), ("disabled", Some("not_entitled")));
    eventually(&r.runtime, "not_entitled written to accounts.json", || {
        let a = r.stored_account("acct-0");
        a.status == StoredStatus::NotEntitled && a.status_reason.as_deref() == Some("not_entitled")
    })
    .await;
    // Skipped from now on, also after a restart, however much time passes.
    let r = r.restart().await;
    r.clock.advance(Duration::from_secs(3 * 3600));
    assert_eq!(r.state_of("acct-0"), ("disabled", Some("not_entitled")));
    let reply = r.anonymous().await;
    assert_eq!((reply.account(), reply.attempts()), (Some("acct-1"), Some(1)));
}

#[tokio::test]
async fn short_rate_limit_cools_for_exactly_retry_after() {
    let r = Router::start(fill_first(2)).await;
    r.fake.script("acct-0", Behavior::rate_limit_exceeded(Some(7)));
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(
        (reply.status, reply.account(), reply.attempts()),
        (200, Some("acct-1"), Some(2))
    );
    let a = r.view("acct-0");
    assert_eq!(
        (a.state.as_str(), a.state_reason),
        ("rate_limited", Some("short_rate_limit"))
    );
    assert_eq!(a.until, Some(r.now().plus(Duration::from_secs(7))));
    r.clock.advance(Duration::from_secs(7));
    assert_eq!(r.anonymous().await.account(), Some("acct-0"));
}

#[tokio::test]
async fn short_rate_limit_without_retry_after_cools_five_seconds() {
    let r = Router::start(fill_first(2)).await;
    r.fake.script("acct-0", Behavior::rate_limit_exceeded(None));
    assert_eq!(r.anonymous().await.account(), Some("acct-1"));
    assert_eq!(r.view("acct-0").until, Some(r.now().plus(Duration::from_secs(5))));
}

#[tokio::test]
async fn model_not_supported_gets_one_try_on_an_account_of_another_plan() {
    let r = Router::start(fill_first(3).plans(&["plus", "plus", "pro"])).await;
    r.fake.script("acct-0", Behavior::model_not_supported("gpt-test"));
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.account(),
        Some("acct-2"),
        "the other plan, not the next plus account"
    );
    assert_eq!(reply.attempts(), Some(2));
    // Not the account's fault: no penalty.
    let a = r.view("acct-0");
    assert_eq!((a.state.as_str(), a.failures), ("ready", 0));
}

#[tokio::test]
async fn model_not_supported_passes_through_when_no_other_plan_exists() {
    let r = Router::start(fill_first(2)).await;
    r.fake.script("acct-0", Behavior::model_not_supported("gpt-test"));
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.attempts(), Some(1));
    assert_eq!(reply.account(), Some("acct-0"));
    assert_eq!(
        reply.body,
        bodies::model_not_supported("gpt-test"),
        "the upstream body, untouched"
    );
    assert_eq!(r.fake.requests().len(), 1);
    for label in ["acct-0", "acct-1"] {
        assert_eq!(r.state_of(label), ("ready", None));
    }
}

#[tokio::test]
async fn model_not_supported_on_the_other_plan_too_passes_through() {
    let r = Router::start(fill_first(2).plans(&["plus", "pro"])).await;
    r.fake.script("acct-0", Behavior::model_not_supported("gpt-test"));
    r.fake.script("acct-1", Behavior::model_not_supported("gpt-test"));
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.attempts(), Some(2));
    assert!(reply.body.contains("is not supported when using Codex"));
    assert_eq!(r.state_of("acct-1"), ("ready", None));
}

#[tokio::test]
async fn not_found_passes_through_without_penalty() {
    let r = Router::start(fill_first(2)).await;
    let body = r#"{"detail":"Not Found"}"#;
    r.fake.script("acct-0", Behavior::json(404, body.to_owned()));
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.body, body);
    assert_eq!((reply.account(), reply.attempts()), (Some("acct-0"), Some(1)));
    let a = r.view("acct-0");
    assert_eq!((a.state.as_str(), a.failures), ("ready", 0));
    let snap = r.status();
    assert!(
        snap.last_error.is_none(),
        "a 404 is never counted against an account"
    );
    assert_eq!(snap.counters.pool_exhausted, 0);
    // The next request goes to the same account as if nothing happened.
    assert_eq!(r.anonymous().await.account(), Some("acct-0"));
}

#[tokio::test]
async fn token_invalidated_marks_needs_login_without_a_refresh_and_fails_over() {
    let r = Router::start(fill_first(2)).await;
    r.fake.script("acct-0", Behavior::token_invalidated());
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(
        (reply.status, reply.account(), reply.attempts()),
        (200, Some("acct-1"), Some(2))
    );
    assert_eq!(r.state_of("acct-0"), ("needs_login", Some("token_invalidated")));
    assert_eq!(r.fake.refresh_calls(), 0);
    eventually(&r.runtime, "needs_login written to accounts.json", || {
        let a = r.stored_account("acct-0");
        a.status == StoredStatus::NeedsLogin && a.status_reason.as_deref() == Some("token_invalidated")
    })
    .await;
    let r = r.restart().await;
    assert_eq!(r.state_of("acct-0"), ("needs_login", Some("token_invalidated")));
}

#[tokio::test]
async fn a_401_right_after_a_successful_refresh_cools_five_minutes_as_auth_retry() {
    let r = Router::start(fill_first(2)).await;
    r.fake
        .script("acct-0", Behavior::json(401, bodies::token_expired()));
    r.fake
        .script("acct-0", Behavior::json(401, bodies::token_expired()));
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.account(), Some("acct-1"));
    assert_eq!(
        reply.attempts(),
        Some(3),
        "acct-0, acct-0 after the refresh, acct-1"
    );
    assert_eq!(r.fake.refresh_calls(), 1);
    let a = r.view("acct-0");
    assert_eq!(
        (a.state.as_str(), a.state_reason),
        ("cooling_down", Some("auth_retry"))
    );
    assert_eq!(a.until, Some(r.now().plus(Duration::from_secs(300))));
}

#[tokio::test]
async fn a_usage_limit_naming_no_reset_asks_wham_usage_once_for_the_exhausted_window() {
    let r = Router::start(fill_first(2)).await;
    let usage = codex_router_test_support::UsageState::used("pro", 100.0, 40.0);
    let primary_reset = usage.primary.as_ref().unwrap().reset_at;
    r.fake.set_usage("acct-0", usage);
    // A bare body, no Retry-After, no x-codex-* headers: nothing names the reset.
    r.fake.script(
        "acct-0",
        Behavior::json(429, bodies::usage_limit_reached(None, None, None)),
    );
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(
        (reply.status, reply.account(), reply.attempts()),
        (200, Some("acct-1"), Some(2))
    );
    assert_eq!(r.fake.usage_calls("acct-0"), 1);
    let a = r.view("acct-0");
    assert_eq!(
        (a.state.as_str(), a.state_reason),
        ("rate_limited", Some("usage_limit"))
    );
    assert_eq!(
        a.until,
        Some(codex_router_core::Timestamp::from_unix_secs(primary_reset))
    );
}

#[tokio::test]
async fn a_usage_limit_nobody_can_date_cools_sixty_seconds_doubling() {
    let r = Router::start(fill_first(2)).await;
    // /wham/usage shows no exhausted window, so it names no reset either.
    r.fake.set_usage(
        "acct-0",
        codex_router_test_support::UsageState::used("pro", 12.0, 3.0),
    );
    r.fake.script(
        "acct-0",
        Behavior::json(429, bodies::usage_limit_reached(None, None, None)),
    );
    assert_eq!(r.anonymous().await.account(), Some("acct-1"));
    assert_eq!(r.fake.usage_calls("acct-0"), 1);
    assert_eq!(
        r.view("acct-0").until,
        Some(r.now().plus(Duration::from_secs(60)))
    );
    r.clock.advance(Duration::from_secs(60));
    r.fake.script(
        "acct-0",
        Behavior::json(429, bodies::usage_limit_reached(None, None, None)),
    );
    assert_eq!(r.anonymous().await.account(), Some("acct-1"));
    assert_eq!(
        r.view("acct-0").until,
        Some(r.now().plus(Duration::from_secs(120)))
    );
}

#[tokio::test]
async fn a_usage_limit_with_only_window_headers_cools_until_the_exhausted_window_resets() {
    let r = Router::start(fill_first(2)).await;
    // The fake's 429 carries x-codex-primary-used-percent 100 and its reset-at, and a body
    // without reset fields.
    r.fake.script(
        "acct-0",
        Behavior::UsageLimit {
            resets_in_seconds: None,
            resets_at: None,
            plan_type: None,
        },
    );
    assert_eq!(r.anonymous().await.account(), Some("acct-1"));
    assert_eq!(r.fake.usage_calls("acct-0"), 0, "the headers named it: no probe");
    let until = r.view("acct-0").until.unwrap();
    let hours = r.ms_until(until) as f64 / 3_600_000.0;
    assert!((4.9..=5.0).contains(&hours), "the 5-hour window's reset: {hours}");
}

// A client's own slow or abandoned upload (what a 408 would be about) never reaches an account: the
// body is read whole before any account is chosen, so nothing is charged, and the upstream never
// sees the request. (An upstream 408 stays a server error: the router sends the body from memory,
// so the upstream's timeout is not the client's.)
#[tokio::test]
async fn a_clients_abandoned_upload_is_not_charged_to_any_account() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let r = Router::start(fill_first(2)).await;
    let mut sock = tokio::net::TcpStream::connect(r.addr).await.unwrap();
    let head = format!(
        "POST /v1/responses HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ncontent-length: 100000\r\n\r\n{{\"model\":\"gpt-5\",",
        common::KEY
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    sock.shutdown().await.unwrap();
    // The router has finished with the connection once it closes it.
    let mut rest = Vec::new();
    let _ = sock.read_to_end(&mut rest).await;
    assert!(r.fake.requests().is_empty(), "nothing was forwarded");
    let snap = r.status();
    assert!(snap.last_error.is_none(), "{:?}", snap.last_error);
    for a in &snap.accounts {
        assert_eq!((a.failures, a.state_reason), (0, None), "{}", a.label);
    }
    assert_eq!(r.state_of("acct-0"), ("ready", None));
    // And the next request is served by the first account as usual.
    assert_eq!(r.anonymous().await.account(), Some("acct-0"));
}
