//! The machine's clock jumping forward, as after a laptop wakes up: cooldowns that ended during the
//! sleep are over, and tokens that expired during it are refreshed once each, not once per waiting
//! request.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use std::time::Duration;

use codex_router_test_support::Behavior;
use common::{Router, Setup, user};

#[tokio::test]
async fn a_wake_after_hours_ends_cooldowns_and_refreshes_each_token_once() {
    let r = Router::start(Setup::new(3)).await;
    // Tokens minted after the wake must be valid on the jumped clock too.
    r.fake.set_refreshed_ttl(6 * 3600);
    r.fake.set_refresh_delay(Duration::from_millis(50));
    // Two accounts hit their usage limit for an hour before the laptop sleeps.
    r.fake.script("acct-0", Behavior::usage_limit_in(3600));
    r.fake.script("acct-1", Behavior::usage_limit_in(3600));
    for s in ["a", "b"] {
        let reply = r.turn(s, vec![user("hi")]).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    assert_eq!(r.state_of("acct-0").0, "rate_limited");
    // Three hours of sleep: every access token (1 h) expired, every cooldown is over.
    r.clock.advance(Duration::from_secs(3 * 3600));
    assert!(r.status().accounts.iter().all(|a| a.state.as_str() == "ready"));
    let turns: Vec<_> = (0..12).map(|i| r.turn_owned(format!("wake-{i}"))).collect();
    for reply in futures_util::future::join_all(turns).await {
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    assert_eq!(
        r.fake.refresh_calls(),
        3,
        "one refresh per expired token, however many requests wait"
    );
    assert_eq!(r.fake.refresh_reuse_count(), 0);
    let used: Vec<u64> = r.status().accounts.iter().map(|a| a.requests).collect();
    assert!(
        used.iter().all(|n| *n >= 2),
        "all three accounts serve again: {used:?}"
    );
}
