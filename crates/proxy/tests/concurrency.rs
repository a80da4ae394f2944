//! Many parallel streams through the proxy (SPEC §4.1 last point): every client gets every
//! event in order, counters add up exactly, and no in-flight count stays above zero.
//! Its own test binary: 200 streams hold ~800 sockets in this process.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use codex_router_core::pool::Snapshot;
use codex_router_test_support::{Behavior, StreamConfig, parse_sse};
use common::{KEY, Router, Setup, user, within};
use serde_json::{Value, json};

const DELTAS: usize = 20;

/// Invariants every single snapshot must satisfy, however requests interleave: selection and
/// its bookkeeping are one critical section, and so are a stream's end and its release.
/// No snapshot mixes the halves of two requests; no update is lost, no count goes negative.
fn check_consistent(s: &Snapshot) {
    let c = &s.counters;
    let requests: u64 = s.accounts.iter().map(|a| a.requests).sum();
    let in_flight: u64 = s.accounts.iter().map(|a| u64::from(a.in_flight)).sum();
    assert_eq!(requests, c.upstream_requests, "every lease counted once: {c:?}");
    assert!(c.upstream_requests <= c.total_requests + c.retries, "{c:?}");
    assert!(
        c.streams_completed + c.streams_failed <= c.streams_started,
        "{c:?}"
    );
    assert!(in_flight <= c.upstream_requests, "{c:?}");
    assert!(
        in_flight >= c.streams_started - c.streams_completed - c.streams_failed,
        "a running stream lost its in-flight count: {c:?} in_flight={in_flight}"
    );
    if let Some(e) = &s.last_error {
        assert!(s.accounts.iter().any(|a| a.label == e.account), "{e:?}");
    }
}

async fn one_stream(client: reqwest::Client, url: String, i: usize) -> (u16, Option<String>, Vec<u8>) {
    let session = format!("parallel-{i}");
    let body = json!({"model":"gpt-test","stream":true,"store":false,"prompt_cache_key":session,"input":[user(&format!("n{i}"))]});
    let resp = client
        .post(url)
        .bearer_auth(KEY)
        .header("session-id", &session)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let account = resp
        .headers()
        .get("x-codex-router-account")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = resp.bytes().await.unwrap().to_vec();
    (status, account, bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_parallel_streams_arrive_whole_in_order_and_the_counters_add_up() {
    // No lost updates or negative counts, and no snapshot mixes two requests' halves.
    let r = Router::start(Setup::new(4)).await;
    r.fake.set_stream(StreamConfig {
        deltas: DELTAS,
        delay: Duration::from_millis(1),
        ..StreamConfig::default()
    });
    let running = Arc::new(AtomicBool::new(true));
    let sampler = {
        let runtime = r.runtime.clone();
        let running = running.clone();
        tokio::spawn(async move {
            let mut n = 0u32;
            while running.load(Ordering::Acquire) {
                check_consistent(&runtime.snapshot());
                n += 1;
                tokio::task::yield_now().await;
            }
            n
        })
    };
    let url = r.url("/backend-api/codex/responses");
    let tasks: Vec<_> = (0..200)
        .map(|i| tokio::spawn(one_stream(r.client.clone(), url.clone(), i)))
        .collect();
    let mut per_account = std::collections::HashMap::<String, usize>::new();
    for (i, task) in tasks.into_iter().enumerate() {
        let (status, account, bytes) = within("a parallel stream", 60, task).await.unwrap();
        assert_eq!(status, 200, "stream {i}: {}", String::from_utf8_lossy(&bytes));
        *per_account.entry(account.unwrap()).or_default() += 1;
        let events: Vec<Value> = parse_sse(&bytes).iter().map(|e| e.json().unwrap()).collect();
        assert_eq!(events.len(), DELTAS + 7, "stream {i} lost events");
        for (n, ev) in events.iter().enumerate() {
            assert_eq!(ev["sequence_number"], n, "stream {i}: event {n} out of order");
        }
        assert_eq!(events[0]["type"], "response.created");
        assert_eq!(events.last().unwrap()["type"], "response.completed");
        let id = &events[0]["response"]["id"];
        assert_eq!(
            &events.last().unwrap()["response"]["id"],
            id,
            "stream {i} mixed two responses"
        );
        let deltas = events
            .iter()
            .filter(|e| e["type"] == "response.output_text.delta")
            .count();
        assert_eq!(deltas, DELTAS);
    }
    running.store(false, Ordering::Release);
    let samples = sampler.await.unwrap();
    assert!(samples > 0);

    let snap = r.status();
    check_consistent(&snap);
    let c = &snap.counters;
    assert_eq!(c.total_requests, 200);
    assert_eq!(c.upstream_requests, 200);
    assert_eq!(c.retries, 0);
    assert_eq!(c.rotations, 0);
    assert_eq!(c.streams_started, 200);
    assert_eq!(c.streams_completed, 200);
    assert_eq!(c.streams_failed, 0);
    assert_eq!(c.pool_exhausted, 0);
    assert_eq!(snap.sessions, 200);
    assert!(
        snap.accounts.iter().all(|a| a.in_flight == 0),
        "{:?}",
        snap.accounts
    );
    assert_eq!(snap.accounts.iter().map(|a| a.requests).sum::<u64>(), 200);
    assert_eq!(per_account.values().sum::<usize>(), 200);
    assert_eq!(
        per_account.len(),
        4,
        "new sessions spread over the pool: {per_account:?}"
    );
    for a in &snap.accounts {
        assert_eq!(per_account[&a.label], usize::try_from(a.requests).unwrap());
    }
    assert_eq!(r.fake.requests().len(), 200);
    assert_eq!(r.fake.active_responses(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_failovers_keep_counters_and_last_error_consistent() {
    // Last account and last error never come from two different requests' halves.
    let mut setup = Setup::new(3);
    setup.pool.outage_accounts = 100;
    let r = Router::start(setup).await;
    r.fake.script_always("acct-0", Behavior::server_error(500));
    let running = Arc::new(AtomicBool::new(true));
    let sampler = {
        let runtime = r.runtime.clone();
        let running = running.clone();
        tokio::spawn(async move {
            while running.load(Ordering::Acquire) {
                let s = runtime.snapshot();
                check_consistent(&s);
                if let Some(e) = &s.last_error {
                    assert_eq!(
                        (e.account.as_str(), e.kind, e.http_status),
                        ("acct-0", "server_error", Some(500))
                    );
                }
                tokio::task::yield_now().await;
            }
        })
    };
    let url = r.url("/backend-api/codex/responses");
    let tasks: Vec<_> = (0..60)
        .map(|i| tokio::spawn(one_stream(r.client.clone(), url.clone(), i)))
        .collect();
    for task in tasks {
        let (status, account, _) = within("a parallel request", 30, task).await.unwrap();
        assert_eq!(status, 200);
        assert_ne!(account.as_deref(), Some("acct-0"));
    }
    running.store(false, Ordering::Release);
    sampler.await.unwrap();
    let snap = r.status();
    check_consistent(&snap);
    let c = &snap.counters;
    let failed_on_a = u64::try_from(r.fake.responses_calls("acct-0")).unwrap();
    assert!(failed_on_a >= 1);
    assert_eq!(c.total_requests, 60);
    assert_eq!(c.upstream_requests, 60 + failed_on_a);
    assert_eq!(c.retries, failed_on_a);
    assert_eq!(c.rotations, failed_on_a, "each failed-over request counted once");
    assert_eq!((c.streams_started, c.streams_completed), (60, 60));
    assert_eq!(snap.accounts[0].failures, failed_on_a);
    assert!(snap.accounts.iter().all(|a| a.in_flight == 0));
}
