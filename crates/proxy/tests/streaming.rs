//! Relaying streams: promptness, holding the opening events, in-band failures, breaks after
//! output, client disconnects (SPEC §4, §4.2).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use std::time::{Duration, Instant};

use codex_router_core::pool::Strategy;
use codex_router_test_support::{Behavior, Gate, bodies, parse_sse};
use common::{Router, Setup, Streamed, eventually, kinds, normal_kinds, user, within};
use serde_json::json;

fn fill_first(n: usize) -> Setup {
    Setup::new(n).strategy(Strategy::FillFirst)
}

/// Reads chunks until the body holds at least `n` complete events.
async fn read_events(resp: &mut reqwest::Response, buf: &mut Vec<u8>, n: usize) {
    while parse_sse(buf).len() < n {
        match resp.chunk().await.unwrap() {
            Some(c) => buf.extend_from_slice(&c),
            None => panic!("stream ended after {} events", parse_sse(buf).len()),
        }
    }
}

#[tokio::test]
async fn events_reach_the_client_while_the_upstream_is_still_producing() {
    let r = Router::start(Setup::new(1)).await;
    let gate = Gate::new();
    // Five events (the last is the message's output_item.added), then the upstream waits.
    r.fake
        .script("acct-0", Behavior::PauseAfterEvents(5, gate.clone()));
    let mut resp = within("response head", 5, r.open_turn("s", vec![user("hi")])).await;
    assert_eq!(resp.status(), 200);
    let mut buf = Vec::new();
    within(
        "the first five events before the rest exists",
        5,
        read_events(&mut resp, &mut buf, 5),
    )
    .await;
    assert!(!gate.is_open());
    let got: Vec<String> = parse_sse(&buf).iter().filter_map(|e| e.kind()).collect();
    assert_eq!(got, normal_kinds()[..5]);
    gate.open();
    let rest = within("the rest of the stream", 5, Streamed::read(resp)).await;
    assert!(!rest.broken);
    buf.extend_from_slice(&rest.bytes);
    let all: Vec<String> = parse_sse(&buf).iter().filter_map(|e| e.kind()).collect();
    assert_eq!(all, normal_kinds());
    assert_eq!(r.status().counters.streams_completed, 1);
}

#[tokio::test]
async fn output_free_opening_events_are_held_at_most_hold_timeout() {
    let mut setup = Setup::new(1);
    setup.proxy.hold_timeout = Duration::from_millis(200);
    let r = Router::start(setup).await;
    let gate = Gate::new();
    // Only response.created and response.in_progress, then silence: the hold's time bound
    // commits the stream and sends what it held.
    r.fake
        .script("acct-0", Behavior::PauseAfterEvents(2, gate.clone()));
    let mut resp = within(
        "response head after the hold bound",
        5,
        r.open_turn("s", vec![user("hi")]),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let mut buf = Vec::new();
    within("the held events", 5, read_events(&mut resp, &mut buf, 2)).await;
    assert!(!gate.is_open());
    gate.open();
    let rest = within("the rest", 5, Streamed::read(resp)).await;
    buf.extend_from_slice(&rest.bytes);
    let all: Vec<String> = parse_sse(&buf).iter().filter_map(|e| e.kind()).collect();
    assert_eq!(all, normal_kinds());
}

#[tokio::test]
async fn a_stream_stalling_after_output_ends_within_the_idle_timeout_and_cools_the_account() {
    let mut setup = Setup::new(2);
    setup.proxy.idle_timeout = Duration::from_millis(300);
    let r = Router::start(setup).await;
    r.fake.script("acct-0", Behavior::StallAfterEvents(4));
    let started = Instant::now();
    let resp = r.open_turn("s", vec![user("hi")]).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-codex-router-account"], "acct-0");
    let got = within("the stalled stream to end", 5, Streamed::read(resp)).await;
    let took = started.elapsed();
    assert!(
        got.broken,
        "aborted without a terminating chunk, so Codex's own retry runs"
    );
    assert_eq!(got.kinds(), normal_kinds()[..4], "no replay, no synthetic event");
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "{took:?}"
    );
    let a = r.view("acct-0");
    assert_eq!(
        (a.state.as_str(), a.state_reason),
        ("cooling_down", Some("server_error"))
    );
    assert_eq!(a.until, Some(r.now().plus(Duration::from_secs(4))));
    assert_eq!(a.in_flight, 0);
    let c = r.status().counters;
    assert_eq!(
        (c.streams_started, c.streams_completed, c.streams_failed),
        (1, 0, 1)
    );
    assert_eq!(r.status().last_error.map(|e| e.kind), Some("stream_broken"));
    within(
        "the stalled upstream request to be cancelled",
        5,
        r.fake.wait_active_responses(0),
    )
    .await;
    // The session's affinity was forgotten: once acct-0 is back, the session is placed anew
    // (on the least recently used account) instead of returning to acct-0.
    r.clock.advance(Duration::from_secs(4));
    assert_eq!(r.turn("s", vec![user("again")]).await.account(), Some("acct-1"));
}

#[tokio::test]
async fn a_stream_dropped_after_output_is_aborted_and_cools_the_account() {
    let r = Router::start(fill_first(2)).await;
    r.fake.script("acct-0", Behavior::DropAfterEvents(6));
    let resp = r.open_turn("s", vec![user("hi")]).await;
    let got = within("the dropped stream", 5, Streamed::read(resp)).await;
    assert!(got.broken);
    assert_eq!(got.kinds(), normal_kinds()[..6]);
    assert_eq!(r.state_of("acct-0"), ("cooling_down", Some("server_error")));
    let c = r.status().counters;
    assert_eq!(
        (c.streams_started, c.streams_completed, c.streams_failed),
        (1, 0, 1)
    );
    // Codex's retry of the turn lands on another account.
    let retry = r.turn("s", vec![user("hi")]).await;
    assert_eq!((retry.status, retry.account()), (200, Some("acct-1")));
}

#[tokio::test]
async fn a_client_disconnect_mid_stream_cancels_the_upstream_and_releases_in_flight() {
    let r = Router::start(fill_first(2)).await;
    r.fake.script("acct-0", Behavior::StallAfterEvents(4));
    let mut resp = r.open_turn("s", vec![user("hi")]).await;
    let mut buf = Vec::new();
    within("the first events", 5, read_events(&mut resp, &mut buf, 4)).await;
    assert_eq!(r.fake.active_responses(), 1);
    assert_eq!(r.view("acct-0").in_flight, 1);
    drop(resp);
    within(
        "the upstream request to be cancelled",
        5,
        r.fake.wait_active_responses(0),
    )
    .await;
    eventually(&r.runtime, "in-flight released", || {
        r.view("acct-0").in_flight == 0
    })
    .await;
    let c = r.status().counters;
    assert_eq!(
        (c.streams_started, c.streams_completed, c.streams_failed),
        (1, 0, 1)
    );
    // Not the account's fault.
    assert_eq!(r.state_of("acct-0"), ("ready", None));
    assert_eq!(r.view("acct-0").failures, 0);
}

#[tokio::test]
async fn a_client_disconnect_before_the_response_head_cancels_the_upstream() {
    let r = Router::start(fill_first(1)).await;
    r.fake.script("acct-0", Behavior::StallBeforeHeaders);
    let body = json!({"model":"gpt-test","stream":true,"prompt_cache_key":"s","input":[user("hi")]});
    let client = r.client.clone();
    let url = r.url("/backend-api/codex/responses");
    let req = tokio::spawn(async move { client.post(url).bearer_auth(common::KEY).json(&body).send().await });
    within(
        "the upstream to receive the request",
        5,
        r.fake.wait_active_responses(1),
    )
    .await;
    req.abort();
    let _ = req.await;
    within(
        "the upstream request to be cancelled",
        5,
        r.fake.wait_active_responses(0),
    )
    .await;
    eventually(&r.runtime, "in-flight released", || {
        r.view("acct-0").in_flight == 0
    })
    .await;
    assert_eq!(r.state_of("acct-0"), ("ready", None));
}

#[tokio::test]
async fn in_band_usage_limit_fails_over_and_the_client_only_sees_the_other_stream() {
    let r = Router::start(fill_first(2)).await;
    r.fake.script("acct-0", Behavior::usage_limit_in_band(600));
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(
        (reply.status, reply.account(), reply.attempts()),
        (200, Some("acct-1"), Some(2))
    );
    assert_eq!(
        kinds(&reply),
        normal_kinds(),
        "acct-1's complete stream, nothing of acct-0's"
    );
    assert!(!reply.body.contains("usage_limit_reached") && !reply.body.contains("response.failed"));
    let ids: Vec<serde_json::Value> = reply
        .events()
        .iter()
        .filter_map(|e| e.json())
        .filter_map(|v| v.get("response").map(|r| r["id"].clone()))
        .collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "one response only: {ids:?}");
    // Cooled exactly as the HTTP 429 would have been.
    let a = r.view("acct-0");
    assert_eq!(
        (a.state.as_str(), a.state_reason),
        ("rate_limited", Some("usage_limit"))
    );
    assert_eq!(a.until, Some(r.now().plus(Duration::from_secs(600))));
    let c = r.status().counters;
    assert_eq!(
        (c.streams_started, c.streams_completed, c.streams_failed),
        (1, 1, 0)
    );
}

#[tokio::test]
async fn in_band_overload_fails_over_and_cools_like_a_5xx() {
    let r = Router::start(fill_first(2)).await;
    r.fake.script("acct-0", Behavior::overloaded_in_band());
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(
        (reply.status, reply.account(), reply.attempts()),
        (200, Some("acct-1"), Some(2))
    );
    assert_eq!(kinds(&reply), normal_kinds());
    assert!(!reply.body.contains("server_is_overloaded"));
    let a = r.view("acct-0");
    assert_eq!(
        (a.state.as_str(), a.state_reason),
        ("cooling_down", Some("server_error"))
    );
    assert_eq!(a.until, Some(r.now().plus(Duration::from_secs(4))));
}

#[tokio::test]
async fn top_level_error_event_with_a_rate_limit_after_codex_rate_limits_fails_over() {
    let r = Router::start(fill_first(2)).await;
    r.fake.script(
        "acct-0",
        Behavior::ErrorEvent {
            before: vec!["response.created".into(), "codex.rate_limits".into(), "response.in_progress".into()],
            error: json!({"type":"rate_limit_error","code":"rate_limit_exceeded","message":"Rate limit reached. Please try again in 3s."}),
        },
    );
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(
        (reply.status, reply.account(), reply.attempts()),
        (200, Some("acct-1"), Some(2))
    );
    assert_eq!(kinds(&reply), normal_kinds());
    let a = r.view("acct-0");
    assert_eq!(
        (a.state.as_str(), a.state_reason),
        ("rate_limited", Some("short_rate_limit"))
    );
    assert_eq!(a.until, Some(r.now().plus(Duration::from_secs(3))));
}

#[tokio::test]
async fn a_failure_after_output_is_relayed_not_failed_over() {
    let r = Router::start(fill_first(2)).await;
    r.fake.script(
        "acct-0",
        Behavior::InBandFailure {
            before: vec!["response.created".into(), "response.output_item.added".into()],
            error: bodies::server_is_overloaded_error(),
        },
    );
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(
        (reply.status, reply.account(), reply.attempts()),
        (200, Some("acct-0"), Some(1))
    );
    assert_eq!(
        kinds(&reply),
        [
            "response.created",
            "response.output_item.added",
            "response.failed"
        ]
    );
    assert_eq!(r.fake.requests().len(), 1);
}

#[tokio::test]
async fn a_stream_breaking_before_any_output_fails_over() {
    let r = Router::start(fill_first(2)).await;
    // response.created, then the connection dies: nothing reached the client yet.
    r.fake.script("acct-0", Behavior::DropAfterEvents(1));
    let reply = r.turn("s", vec![user("hi")]).await;
    assert_eq!(
        (reply.status, reply.account(), reply.attempts()),
        (200, Some("acct-1"), Some(2))
    );
    assert_eq!(kinds(&reply), normal_kinds());
    assert_eq!(r.state_of("acct-0"), ("cooling_down", Some("server_error")));
    let c = r.status().counters;
    assert_eq!(
        (c.streams_started, c.streams_completed, c.streams_failed),
        (1, 1, 0)
    );
}
