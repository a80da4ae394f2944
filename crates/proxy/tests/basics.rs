//! Routing, authentication, guards and body limits (SPEC §4): a missing or wrong client key is
//! refused for each header form, a foreign `Origin` gets 403, and an oversized body gets 413
//! before any account is chosen.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use common::{KEY, Router, Setup, user, within};
use serde_json::json;

#[tokio::test]
async fn healthz_needs_no_key_and_uses_no_account() {
    let r = Router::start(Setup::new(1)).await;
    let resp = r.client.get(r.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap(),
        json!({"status":"ok"})
    );
    assert!(r.fake.requests().is_empty());
}

#[tokio::test]
async fn a_turn_streams_through_with_router_headers() {
    let r = Router::start(Setup::new(2)).await;
    let reply = r.turn("thread-1", vec![user("say pong")]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.attempts(), Some(1));
    let label = reply.account().unwrap().to_owned();
    assert!(label.starts_with("acct-"));
    let types = reply.event_types();
    assert_eq!(types.first().map(String::as_str), Some("response.created"));
    assert_eq!(types.last().map(String::as_str), Some("response.completed"));
    let reqs = r.fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].header("chatgpt-account-id"), Some(label.as_str()));
    assert!(
        reqs[0]
            .header("authorization")
            .is_some_and(|a| a != format!("Bearer {KEY}"))
    );
    assert_eq!(reqs[0].header("session-id"), Some("thread-1"));
    let snap = r.status();
    assert_eq!(snap.counters.total_requests, 1);
    assert_eq!(snap.counters.streams_completed, 1);
    assert!(snap.accounts.iter().all(|a| a.in_flight == 0));
}

#[tokio::test]
async fn client_key_forms_and_refusals() {
    // Every key form is checked (constant-time compare lives in guard.rs), and a matching
    // `x-api-key` alone authenticates.
    let r = Router::start(Setup::new(1)).await;
    let url = r.url("/v1/responses");
    let body = json!({"model":"m","input":[]});
    let no_key = r.client.post(&url).json(&body).send().await.unwrap();
    assert_eq!(no_key.status(), 401);
    assert_eq!(
        no_key.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "router_unauthorized"
    );
    for (name, value) in [
        ("authorization", "Bearer wrong".to_owned()),
        ("x-api-key", "wrong".into()),
        ("x-codex-router-key", "wrong".into()),
    ] {
        let resp = r
            .client
            .post(&url)
            .header(name, value)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401, "{name}");
    }
    assert!(r.fake.requests().is_empty(), "nothing forwarded without the key");
    for name in ["x-api-key", "x-codex-router-key"] {
        let resp = r
            .client
            .post(&url)
            .header(name, KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{name}");
    }
    let evil = r
        .client
        .post(&url)
        .bearer_auth(KEY)
        .header("origin", "https://evil.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(evil.status(), 403);
    assert_eq!(
        evil.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "router_forbidden"
    );
    let null_origin = r
        .client
        .get(r.url("/healthz"))
        .header("origin", "null")
        .send()
        .await
        .unwrap();
    assert_eq!(null_origin.status(), 403);
    let rebinding = r
        .client
        .post(&url)
        .bearer_auth(KEY)
        .header("host", "evil.example:2456")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(rebinding.status(), 403);
}

#[tokio::test]
async fn oversized_body_is_413_before_any_account_is_chosen() {
    // The request body is capped at 64 MiB: a bigger one gets 413.
    let r = Router::start(Setup::new(1)).await;
    let big = vec![b'a'; 65 << 20];
    let resp = r
        .client
        .post(r.url("/v1/responses"))
        .bearer_auth(KEY)
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert_eq!(
        resp.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "router_payload_too_large"
    );
    assert!(r.fake.requests().is_empty());
    assert_eq!(r.status().counters.upstream_requests, 0);
}

#[tokio::test]
async fn malformed_json_is_forwarded_unchanged_with_header_session() {
    let r = Router::start(Setup::new(2)).await;
    let raw = "{\"model\": nope";
    let resp = r
        .client
        .post(r.url("/backend-api/codex/responses"))
        .bearer_auth(KEY)
        .header("session-id", "hdr-session")
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400, "the upstream decides");
    let reqs = r.fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(&reqs[0].body[..], raw.as_bytes());
}

#[tokio::test]
async fn routes_map_to_upstream_paths_and_unknown_is_404() {
    let r = Router::start(Setup::new(1)).await;
    let models = r
        .client
        .get(r.url("/v1/models?client_version=1"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(models.status(), 200);
    let usage = r
        .client
        .get(r.url("/backend-api/wham/usage"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(usage.status(), 200);
    let nf = r
        .client
        .get(r.url("/nowhere"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(nf.status(), 404);
    let paths: Vec<(String, Option<String>)> = r
        .fake
        .requests()
        .iter()
        .map(|q| (q.path.clone(), q.query.clone()))
        .collect();
    assert_eq!(
        paths[0],
        (
            "/backend-api/codex/models".into(),
            Some("client_version=1".into())
        )
    );
    assert_eq!(paths[1].0, "/backend-api/wham/usage");
    let metrics = r
        .client
        .get(r.url("/metrics"))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("codex_router_total_requests_total 2"),
        "{metrics}"
    );
}

/// A body many times the 8 KiB read buffer, with its session key at the very end (where Codex puts
/// `prompt_cache_key`): forwarded byte for byte, and the key found (the session stays put).
#[tokio::test]
async fn large_bodies_are_forwarded_intact_and_their_trailing_session_key_is_read() {
    let r = Router::start(Setup::new(2)).await;
    let filler = "{\"nested\": [\"}]\", \"\\\"quoted\\\"\"]} ".repeat(8_000);
    let body = |key: &str| {
        serde_json::to_vec(&json!({
            "model": "gpt-5-codex",
            "instructions": filler,
            "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": filler}]}],
            "tools": [],
            "stream": true,
            "prompt_cache_key": key,
        }))
        .unwrap()
    };
    let mut sent = Vec::new();
    for key in ["thread-a", "thread-a", "thread-b"] {
        let bytes = body(key);
        assert!(bytes.len() > 500_000);
        let resp = r
            .client
            .post(r.url("/backend-api/codex/responses"))
            .bearer_auth(KEY)
            .header("content-type", "application/json")
            .body(bytes.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.bytes().await.unwrap();
        sent.push(bytes);
    }
    let reqs = r.fake.requests();
    assert_eq!(reqs.len(), 3);
    for (req, bytes) in reqs.iter().zip(&sent) {
        assert!(
            req.body[..] == bytes[..],
            "the body reached the upstream unchanged"
        );
    }
    assert_eq!(
        reqs[0].account, reqs[1].account,
        "same prompt_cache_key, same account"
    );
    assert_ne!(
        reqs[0].account, reqs[2].account,
        "a new session is spread to the other account"
    );
}

/// An idle keep-alive client connection is closed when the proxy shuts down: the drain waits for
/// requests in flight, not for connections that merely stay open.
#[tokio::test]
async fn idle_keep_alive_client_connections_are_closed_on_shutdown() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let r = Router::start(Setup::new(1)).await;
    let mut tcp = tokio::net::TcpStream::connect(r.addr).await.unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tcp.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    // The connection stays open (keep-alive) until the shutdown.
    r.begin_shutdown();
    let n = within("the idle connection is closed", 5, tcp.read(&mut buf))
        .await
        .unwrap_or(0);
    assert_eq!(n, 0, "EOF: the server closed the idle connection");
}
