//! How connections end: the client hangs up, the upstream stalls, the daemon drains.

use std::time::Duration;

use codex_router_test_support::{Behavior, Gate};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::client::{self, create, next, open_conversation, read_response, send};
use crate::common::{Router, Setup, eventually, user, within};

#[tokio::test]
async fn a_client_that_hangs_up_mid_response_closes_the_upstream_connection_at_once() {
    let r = Router::start(Setup::new(1)).await;
    within("hang up", 30, async {
        let mut ws = client::connect(&r, "thread-h").await;
        open_conversation(&mut ws, "thread-h").await;
        r.fake.script("acct-0", Behavior::StallAfterEvents(3));
        send(&mut ws, &create("thread-h", None, vec![user("stall")])).await;
        for _ in 0..3 {
            assert!(matches!(next(&mut ws).await, Some(Message::Text(_))));
        }
        drop(ws);
        r.fake.wait_ws_connections_open(0).await;
    })
    .await;
    eventually(
        &r.runtime,
        "the stream counted as failed, not the account's fault",
        || {
            let c = r.status().counters;
            c.streams_failed == 1 && r.status().accounts[0].in_flight == 0
        },
    )
    .await;
    assert_eq!(r.state_of("acct-0").0, "ready");
}

#[tokio::test]
async fn an_upstream_silent_past_the_idle_timeout_fails_the_response_and_cools_the_account() {
    let mut setup = Setup::new(1);
    setup.proxy.idle_timeout = Duration::from_millis(300);
    let r = Router::start(setup).await;
    within("idle", 30, async {
        let mut ws = client::connect(&r, "thread-i").await;
        open_conversation(&mut ws, "thread-i").await;
        r.fake.script("acct-0", Behavior::StallAfterEvents(3));
        send(&mut ws, &create("thread-i", None, vec![user("stall")])).await;
        let mut texts = 0;
        loop {
            match next(&mut ws).await {
                Some(Message::Text(_)) => texts += 1,
                Some(Message::Close(Some(f))) => {
                    assert_eq!(f.code, CloseCode::Error);
                    break;
                }
                other => panic!("expected a close after the stall, got {other:?}"),
            }
        }
        assert_eq!(texts, 3, "the events before the stall were relayed");
    })
    .await;
    assert_eq!(r.status().counters.streams_failed, 1);
    assert_eq!(r.state_of("acct-0").0, "cooling_down");
}

#[tokio::test]
async fn a_drain_lets_the_response_in_flight_finish_then_closes_with_going_away() {
    let r = Router::start(Setup::new(1)).await;
    let gate = Gate::new();
    within("drain", 30, async {
        let mut ws = client::connect(&r, "thread-d").await;
        let mut idle = client::connect(&r, "thread-e").await;
        open_conversation(&mut ws, "thread-d").await;
        r.fake
            .script("acct-0", Behavior::PauseAfterEvents(3, gate.clone()));
        send(&mut ws, &create("thread-d", None, vec![user("long")])).await;
        for _ in 0..3 {
            assert!(matches!(next(&mut ws).await, Some(Message::Text(_))));
        }
        r.begin_shutdown();
        // The idle connection closes at once.
        match next(&mut idle).await {
            Some(Message::Close(Some(f))) => assert_eq!(f.code, CloseCode::Away),
            other => panic!("idle connection: {other:?}"),
        }
        gate.open();
        let rest = read_response(&mut ws).await;
        assert!(rest.completed(), "the response in flight finished: {rest:?}");
        match next(&mut ws).await {
            Some(Message::Close(Some(f))) => assert_eq!(f.code, CloseCode::Away),
            other => panic!("busy connection after its response: {other:?}"),
        }
    })
    .await;
    assert_eq!(r.status().counters.streams_completed, 2);
}
