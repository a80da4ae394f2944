//! Moves mid-conversation (SPEC §4.4 "Failover without the client noticing"), exhaustion on a
//! live connection, and the reconnect answer when the kept context is gone.

use codex_router_test_support::Behavior;
use serde_json::json;

use crate::client::{self, create, open_conversation, request};
use crate::common::{Router, Setup, within};

fn msg(text: &str) -> serde_json::Value {
    json!({"type": "message", "role": "user", "content": text})
}

/// Step 1 on A; A fails with `script` before step 2's output; step 2 must complete on B from
/// a full, cleaned request; step 3 is incremental again on B.
async fn move_mid_conversation(script: Behavior) {
    let r = Router::start(Setup::new(2)).await;
    let (a, b) = within("move", 30, async {
        let mut ws = client::connect(&r, "thread-m").await;
        let first = open_conversation(&mut ws, "thread-m").await;
        let a = r.fake.ws_frames()[0].account.clone();
        let b = if a == "acct-0" { "acct-1" } else { "acct-0" }.to_owned();
        r.fake.script(&a, script);
        let second = request(
            &mut ws,
            &create("thread-m", Some(&first.response_id()), vec![msg("step 2")]),
        )
        .await;
        assert!(
            second.completed(),
            "the client sees a normal response: {second:?}"
        );
        assert!(second.error().is_none());
        let third = request(
            &mut ws,
            &create("thread-m", Some(&second.response_id()), vec![msg("step 3")]),
        )
        .await;
        assert!(third.completed(), "{third:?}");
        (a, b)
    })
    .await;
    let on_b: Vec<_> = r
        .fake
        .ws_frames()
        .into_iter()
        .filter(|f| f.account == b)
        .collect();
    assert_eq!(on_b.len(), 2, "steps 2 and 3 on B");
    assert!(!on_b[0].incremental, "step 2 re-sent in full");
    let input = on_b[0].json["input"].as_array().unwrap();
    assert!(
        input.len() >= 3,
        "step 1's input and output, then step 2: {input:?}"
    );
    assert_eq!(input.last().unwrap()["content"], "step 2");
    assert!(
        !on_b[0].json["input"].to_string().contains("encrypted_content"),
        "A's reasoning blobs are cleaned out"
    );
    assert!(on_b[1].incremental, "step 3 is incremental on B");
    assert_eq!(
        r.fake.ws_frames().iter().filter(|f| f.account == a).count(),
        2,
        "step 1, refused step 2"
    );
    let c = r.state.ws.counters();
    assert_eq!(c.full_resends, 1);
    assert!(r.status().counters.rotations >= 1);
}

#[tokio::test]
async fn a_usage_limit_mid_conversation_moves_the_next_step_to_another_account_unnoticed() {
    move_mid_conversation(Behavior::usage_limit_in(3600)).await;
}

#[tokio::test]
async fn an_in_band_overload_before_output_moves_the_step_unnoticed() {
    move_mid_conversation(Behavior::overloaded_in_band()).await;
}

#[tokio::test]
async fn every_account_rate_limited_gets_the_wrapped_usage_limit_event_and_the_connection_stays() {
    let r = Router::start(Setup::new(2)).await;
    within("exhausted", 30, async {
        let mut ws = client::connect(&r, "thread-x").await;
        let first = open_conversation(&mut ws, "thread-x").await;
        for a in ["acct-0", "acct-1"] {
            r.fake.script_always(a, Behavior::usage_limit_in(7200));
        }
        let second = request(
            &mut ws,
            &create("thread-x", Some(&first.response_id()), vec![msg("more")]),
        )
        .await;
        let err = second.error().expect("a wrapped error").clone();
        assert_eq!(err["status"], 429, "{err}");
        assert_eq!(err["error"]["type"], "usage_limit_reached");
        assert!(err["error"]["resets_at"].as_i64().is_some(), "{err}");
        assert!(err["headers"]["retry-after"].as_str().is_some(), "{err}");
        for a in ["acct-0", "acct-1"] {
            r.fake.clear_script(a);
        }
        // The connection stays open; the pool is still cooling, so the same answer comes back.
        let third = request(&mut ws, &create("thread-x", None, vec![msg("again")])).await;
        assert_eq!(third.error().expect("still exhausted")["status"], 429);
    })
    .await;
    assert!(r.status().counters.pool_exhausted >= 2);
}

#[tokio::test]
async fn a_move_whose_context_was_dropped_answers_the_reconnect_error_and_closes() {
    let mut setup = Setup::new(2);
    setup.proxy.ws_context_max_bytes = 16;
    let r = Router::start(setup).await;
    within("reconnect", 30, async {
        let mut ws = client::connect(&r, "thread-r").await;
        let first = open_conversation(&mut ws, "thread-r").await;
        let a = r.fake.ws_frames()[0].account.clone();
        r.fake.script(&a, Behavior::usage_limit_in(3600));
        let second = request(
            &mut ws,
            &create("thread-r", Some(&first.response_id()), vec![msg("step 2")]),
        )
        .await;
        let err = second.error().expect("the reconnect answer");
        assert_eq!(err["status"], 400);
        assert_eq!(err["error"]["code"], "websocket_connection_limit_reached");
        assert!(
            client::next(&mut ws).await.is_none_or(|m| m.is_close()),
            "then the router closes"
        );
        // Codex reconnects and sends its full input: that works on the other account.
        let mut ws = client::connect(&r, "thread-r").await;
        let again = request(
            &mut ws,
            &create("thread-r", None, vec![msg("from the start"), msg("step 2")]),
        )
        .await;
        assert!(again.completed(), "{again:?}");
    })
    .await;
}

#[tokio::test]
async fn a_handshake_refused_by_one_account_fails_over_and_an_exhausted_pool_answers_http() {
    let r = Router::start(Setup::new(2)).await;
    r.fake.script_ws_handshake("acct-0", Behavior::server_error(503));
    r.fake.script_ws_handshake("acct-1", Behavior::server_error(503));
    within("handshake", 30, async {
        // Both refuse once: the first handshake is exhausted (transient → 503 + Retry-After).
        let (status, body) = client::refused(client::handshake(&r, "thread-h")).await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["error"]["code"], "pool_exhausted");
    })
    .await;
    let r = Router::start(Setup::new(2)).await;
    r.fake
        .script_ws_handshake("acct-0", Behavior::usage_limit_in(3600));
    within("handshake failover", 30, async {
        let mut ws = client::connect(&r, "thread-h").await;
        let first = open_conversation(&mut ws, "thread-h").await;
        assert!(first.completed());
    })
    .await;
    assert!(r.fake.ws_frames().iter().all(|f| f.account == "acct-1"));
    assert_eq!(r.state_of("acct-0").0, "rate_limited");
}

#[tokio::test]
async fn a_handshake_refused_as_expired_refreshes_the_token_once_and_the_same_account_serves() {
    let r = Router::start(Setup::new(1)).await;
    r.fake.expire_access_tokens("acct-0");
    within("refresh at the handshake", 30, async {
        let mut ws = client::connect(&r, "thread-t").await;
        let first = open_conversation(&mut ws, "thread-t").await;
        assert!(first.completed());
    })
    .await;
    assert_eq!(r.fake.refresh_calls(), 1);
    assert_eq!(r.fake.refresh_reuse_count(), 0);
    assert_eq!(
        r.fake.ws_connections_total("acct-0"),
        1,
        "the refused handshake opened nothing"
    );
    let c = r.status().counters;
    assert_eq!(
        (c.refreshes, c.upstream_requests),
        (1, 3),
        "handshake, its retry, the request"
    );
}
