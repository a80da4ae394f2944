//! A conversation over one client connection: incremental on the account's own upstream
//! connection, the 60-minute limit, and an upstream without WebSocket.

use codex_router_test_support::Behavior;
use serde_json::json;

use crate::client::{self, create, open_conversation, request, tool_output};
use crate::common::{Router, Setup, within};

#[tokio::test]
async fn follow_up_requests_travel_incrementally_on_the_same_upstream_connection() {
    let r = Router::start(Setup::new(1)).await;
    within("conversation", 30, async {
        let mut ws = client::connect(&r, "thread-1").await;
        r.fake.script(
            "acct-0",
            Behavior::FunctionCall {
                name: "shell".into(),
                arguments: r#"{"command":["echo","hi"]}"#.into(),
            },
        );
        let first = open_conversation(&mut ws, "thread-1").await;
        assert!(
            first.0.iter().any(|e| e["item"]["type"] == "function_call"),
            "{first:?}"
        );
        let second = request(
            &mut ws,
            &create("thread-1", Some(&first.response_id()), vec![tool_output("hi")]),
        )
        .await;
        assert!(second.completed(), "{second:?}");
    })
    .await;
    let frames = r.fake.ws_frames();
    assert_eq!(
        frames.len(),
        2,
        "first, follow-up (the empty prewarm is answered by the router)"
    );
    assert!(
        !frames[0].incremental,
        "the opening request carries its whole input"
    );
    assert!(
        frames.iter().all(|f| f.connection == frames[0].connection),
        "one upstream connection"
    );
    let last = &frames[1];
    assert!(last.incremental, "the follow-up names the previous response");
    assert_eq!(
        last.json["input"].as_array().unwrap().len(),
        1,
        "only the new item went upstream"
    );
    assert!(last.len < 1000, "{} bytes", last.len);
    assert!(
        r.fake.requests().iter().all(|q| q.method != "POST"),
        "no HTTP /responses call"
    );
    let ws = r.state.ws.counters();
    assert_eq!((ws.responses, ws.incremental, ws.full_resends), (3, 1, 0));
    assert_eq!(r.status().counters.streams_completed, 2);
}

#[tokio::test]
async fn the_upstream_connection_limit_is_crossed_without_the_client_noticing() {
    let r = Router::start(Setup::new(1)).await;
    within("limit", 30, async {
        let mut ws = client::connect(&r, "thread-2").await;
        let first = open_conversation(&mut ws, "thread-2").await;
        r.fake.expire_ws_connections("acct-0");
        let second = request(
            &mut ws,
            &create(
                "thread-2",
                Some(&first.response_id()),
                vec![json!({"type":"message","role":"user","content":"next"})],
            ),
        )
        .await;
        assert!(second.completed() && second.error().is_none(), "{second:?}");
        let third = request(
            &mut ws,
            &create(
                "thread-2",
                Some(&second.response_id()),
                vec![json!({"type":"message","role":"user","content":"again"})],
            ),
        )
        .await;
        assert!(third.completed(), "{third:?}");
    })
    .await;
    assert_eq!(
        r.fake.ws_connections_total("acct-0"),
        2,
        "the same account, a new connection"
    );
    let frames = r.fake.ws_frames();
    let resent = frames.iter().rev().nth(1).unwrap();
    assert!(
        !resent.incremental,
        "the re-sent request carries its whole conversation"
    );
    assert!(
        resent.json["input"].as_array().unwrap().len() >= 3,
        "{:?}",
        resent.json["input"]
    );
    assert!(frames.last().unwrap().incremental, "then incremental again");
    let c = r.state.ws.counters();
    assert_eq!((c.forced_reconnects, c.full_resends), (1, 1));
    assert_eq!(r.status().counters.streams_failed, 0);
}

#[tokio::test]
async fn an_upstream_without_websocket_is_served_over_http_with_the_full_input() {
    let r = Router::start(Setup::new(1)).await;
    r.fake.set_websocket(false);
    within("fallback", 30, async {
        let mut ws = client::connect(&r, "thread-3").await;
        let first = open_conversation(&mut ws, "thread-3").await;
        let second = request(
            &mut ws,
            &create("thread-3", Some(&first.response_id()), vec![tool_output("hi")]),
        )
        .await;
        assert!(second.completed(), "{second:?}");
    })
    .await;
    let posts: Vec<_> = r
        .fake
        .requests()
        .into_iter()
        .filter(|q| q.method == "POST")
        .collect();
    assert_eq!(
        posts.len(),
        2,
        "the prewarm is answered by the router; two generating requests"
    );
    let body = posts[1].json().unwrap();
    assert!(body.get("previous_response_id").is_none() && body.get("type").is_none());
    let types = posts[1].input_types();
    assert_eq!(types.first().map(String::as_str), Some("message"), "{types:?}");
    assert_eq!(
        types.last().map(String::as_str),
        Some("function_call_output"),
        "{types:?}"
    );
    assert!(
        types.len() >= 4,
        "user message, first response's output, the tool output: {types:?}"
    );
    assert_eq!(r.state.ws.counters().http_fallbacks, 1);
}

#[tokio::test]
async fn the_handshake_answer_carries_the_upstream_headers_codex_reads() {
    let r = Router::start(Setup::new(1)).await;
    let (_ws, resp) = tokio_tungstenite::connect_async(client::handshake(&r, "thread-hdr"))
        .await
        .unwrap();
    for name in [
        "x-codex-turn-state",
        "x-models-etag",
        "x-reasoning-included",
        "openai-model",
    ] {
        assert!(
            resp.headers().contains_key(name),
            "{name} missing: {:?}",
            resp.headers()
        );
    }
    assert_eq!(resp.headers()["x-codex-router-account"], "acct-0");
    assert!(
        !resp.headers().contains_key("sec-websocket-extensions"),
        "permessage-deflate is declined"
    );
}

#[tokio::test]
async fn websocket_off_serves_every_request_over_http_and_metrics_count_it() {
    let mut setup = Setup::new(1);
    setup.proxy.websocket = false;
    let r = Router::start(setup).await;
    within("off", 30, async {
        let mut ws = client::connect(&r, "thread-off").await;
        let first = open_conversation(&mut ws, "thread-off").await;
        let next = request(
            &mut ws,
            &create("thread-off", Some(&first.response_id()), vec![tool_output("x")]),
        )
        .await;
        assert!(next.completed(), "{next:?}");
    })
    .await;
    assert_eq!(
        r.fake.ws_connections_total("acct-0"),
        0,
        "no upstream WebSocket at all"
    );
    assert_eq!(r.fake.requests().iter().filter(|q| q.method == "POST").count(), 2);
    let metrics = r
        .client
        .get(r.url("/metrics"))
        .bearer_auth(crate::common::KEY)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("codex_router_websocket_connections_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("codex_router_websocket_http_fallbacks_total 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("codex_router_websocket_full_resends_total 1"),
        "{metrics}"
    );
}
