//! Scripted HTTP-level answers and the script queue.

use std::time::Duration;

use codex_router_test_support::{Behavior, FakeAccount, Gate};
use serde_json::json;

use crate::common::{body_json, codex_body, fake_with_account, kinds, responses};

#[tokio::test]
async fn usage_limit_has_the_observed_body_and_exhausted_headers() {
    let (fake, t) = fake_with_account().await;
    fake.script(
        "acc-a",
        Behavior::UsageLimit {
            resets_in_seconds: Some(513840),
            resets_at: Some(1789435516),
            plan_type: Some("pro".into()),
        },
    );
    let resp = responses(&fake, &t.access_token, "acc-a", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["x-codex-primary-used-percent"], "100");
    assert_eq!(resp.headers()["x-codex-primary-reset-at"], "1789435516");
    assert_eq!(resp.headers()["x-codex-active-limit"], "codex");
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert_eq!(
        resp.text().await.expect("text"),
        r#"{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","plan_type":"pro","resets_at":1789435516,"resets_in_seconds":513840}}"#
    );

    fake.script("acc-a", Behavior::usage_limit_in(90));
    let resp = responses(&fake, &t.access_token, "acc-a", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    let body = body_json(resp).await;
    assert_eq!(body["error"]["type"], "usage_limit_reached");
    assert_eq!(body["error"]["resets_in_seconds"], 90);
    assert!(body["error"]["resets_at"].is_i64());
    assert!(body["error"].get("plan_type").is_none());
}

#[tokio::test]
async fn convenience_constructors_produce_reference_shapes() {
    let (fake, t) = fake_with_account().await;
    let cases = [
        (Behavior::server_error(500), 500, json!("server_error")),
        (
            Behavior::server_error(503),
            503,
            json!("service_unavailable_error"),
        ),
        (
            Behavior::rate_limit_exceeded(Some(3)),
            429,
            json!("rate_limit_error"),
        ),
        (Behavior::usage_not_included(), 429, json!("usage_not_included")),
        (Behavior::token_invalidated(), 401, json!(null)),
    ];
    for (behavior, status, error_type) in cases {
        fake.script("acc-a", behavior);
        let resp = responses(&fake, &t.access_token, "acc-a", &codex_body(&[]))
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status(), status);
        if status == 429 && error_type == json!("rate_limit_error") {
            assert_eq!(resp.headers()["retry-after"], "3");
        }
        assert_eq!(body_json(resp).await["error"]["type"], error_type);
    }

    fake.script("acc-a", Behavior::deactivated_workspace());
    let resp = responses(&fake, &t.access_token, "acc-a", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 402);
    assert_eq!(
        body_json(resp).await,
        json!({"detail":{"code":"deactivated_workspace"}})
    );

    fake.script("acc-a", Behavior::model_not_supported("gpt-x"));
    let resp = responses(&fake, &t.access_token, "acc-a", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 400);
    assert_eq!(
        body_json(resp).await["detail"],
        "The 'gpt-x' model is not supported when using Codex with a ChatGPT account."
    );

    fake.script("acc-a", Behavior::cloudflare_403());
    let resp = responses(&fake, &t.access_token, "acc-a", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 403);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    assert!(resp.text().await.expect("text").contains("challenge-platform"));

    fake.script("acc-a", Behavior::usage_limit_in_band(60));
    let resp = responses(&fake, &t.access_token, "acc-a", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    let body = resp.bytes().await.expect("body");
    assert_eq!(kinds(&body), ["response.created", "response.failed"]);
}

#[tokio::test]
async fn one_shots_queue_before_the_persistent_script_until_cleared() {
    let (fake, t) = fake_with_account().await;
    let other = fake.add_account(FakeAccount::new("acc-b", "plus"));
    fake.script_always("acc-a", Behavior::server_error(502));
    fake.script("acc-a", Behavior::server_error(500));
    fake.script("acc-a", Behavior::server_error(504));
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let resp = responses(&fake, &t.access_token, "acc-a", &codex_body(&[]))
            .send()
            .await
            .expect("send");
        statuses.push(resp.status().as_u16());
    }
    assert_eq!(statuses, [500, 504, 502, 502]);
    // Scripts are per account.
    let b = responses(&fake, &other.access_token, "acc-b", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    assert_eq!(b.status(), 200);
    fake.clear_script("acc-a");
    let resp = responses(&fake, &t.access_token, "acc-a", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    assert_eq!(fake.responses_calls("acc-a"), 5);
    assert_eq!(fake.responses_calls("acc-b"), 1);
}

#[tokio::test]
async fn delayed_and_gated_headers() {
    let (fake, t) = fake_with_account().await;
    fake.script("acc-a", Behavior::DelayHeaders(Duration::from_millis(100)));
    let started = std::time::Instant::now();
    let resp = responses(&fake, &t.access_token, "acc-a", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(resp.status(), 200);
    resp.bytes().await.expect("body");

    let gate = Gate::new();
    fake.script("acc-a", Behavior::WaitForGate(gate.clone()));
    let pending = tokio::spawn(responses(&fake, &t.access_token, "acc-a", &codex_body(&[])).send());
    tokio::time::timeout(Duration::from_secs(10), fake.wait_for_requests(2))
        .await
        .expect("arrived");
    tokio::time::timeout(Duration::from_secs(10), fake.wait_active_responses(1))
        .await
        .expect("parked");
    assert!(!pending.is_finished());
    gate.open();
    let gated = pending.await.expect("join").expect("send");
    assert_eq!(gated.status(), 200);
    assert!(kinds(&gated.bytes().await.expect("body")).contains(&"response.completed".to_owned()));
}

#[tokio::test]
async fn parallel_requests_are_all_served_and_counted() {
    let (fake, a) = fake_with_account().await;
    let b = fake.add_account(FakeAccount::new("acc-b", "plus"));
    fake.set_stream(codex_router_test_support::StreamConfig::with_delay(
        Duration::from_millis(5),
    ));
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (token, account) = if i % 2 == 0 {
            (a.access_token.clone(), "acc-a")
        } else {
            (b.access_token.clone(), "acc-b")
        };
        let request = responses(&fake, &token, account, &codex_body(&[]));
        tasks.push(tokio::spawn(async move {
            let resp = request.send().await.expect("send");
            kinds(&resp.bytes().await.expect("body"))
        }));
    }
    for task in tasks {
        let events = task.await.expect("join");
        assert_eq!(events.last().map(String::as_str), Some("response.completed"));
    }
    assert_eq!(fake.responses_calls("acc-a"), 20);
    assert_eq!(fake.responses_calls("acc-b"), 20);
    assert_eq!(fake.requests().len(), 40);
    tokio::time::timeout(Duration::from_secs(10), fake.wait_active_responses(0))
        .await
        .expect("all done");
}

#[tokio::test]
async fn unused_local_addr_refuses_connections() {
    let addr = codex_router_test_support::unused_local_addr();
    assert!(addr.ip().is_loopback());
    let err = crate::common::client()
        .get(format!("http://{addr}/backend-api/codex/models"))
        .send()
        .await
        .expect_err("nothing listens there");
    assert!(err.is_connect(), "{err:?}");
}
