//! The normal stream and the ways streams break.

use std::time::{Duration, Instant};

use codex_router_test_support::{
    Behavior, FakeAccount, Gate, StreamConfig, encrypted_content_owner, parse_sse,
};
use futures_util::StreamExt as _;
use serde_json::json;

use crate::common::{codex_body, fake_with_account, kinds, responses};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn normal_stream_has_headers_events_and_account_bound_reasoning() {
    let (fake, t) = fake_with_account().await;
    let resp = responses(&fake, &t.access_token, "acc-a", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    let h = resp.headers().clone();
    assert_eq!(h["content-type"], "text/event-stream");
    assert_eq!(h["x-codex-primary-used-percent"], "0");
    assert_eq!(h["x-codex-primary-window-minutes"], "300");
    assert_eq!(h["x-codex-secondary-window-minutes"], "10080");
    assert!(h.contains_key("x-codex-primary-reset-at"));
    assert!(h.contains_key("x-request-id"));
    let body = resp.bytes().await.expect("body");
    let events = parse_sse(&body);
    assert_eq!(
        kinds(&body),
        [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.output_item.done",
            "response.output_item.added",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_item.done",
            "response.completed",
        ]
    );
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.json().expect("json")["sequence_number"], i);
        assert_eq!(e.event, e.kind(), "event: line matches data.type");
    }
    let reasoning = &events[3].json().expect("json")["item"];
    assert_eq!(reasoning["type"], "reasoning");
    let blob = reasoning["encrypted_content"].as_str().expect("blob");
    assert_eq!(encrypted_content_owner(blob).as_deref(), Some("acc-a"));
    let done = events[9].json().expect("json");
    assert_eq!(done["response"]["model"], "gpt-test-codex");
    assert_eq!(
        done["response"]["output"][1]["content"][0]["text"],
        "pong pong pong "
    );
    assert!(
        done["response"]["usage"]["input_tokens"]
            .as_u64()
            .is_some_and(|n| n > 0)
    );
    assert_eq!(fake.responses_calls("acc-a"), 1);
}

#[tokio::test]
async fn events_arrive_as_separate_paced_chunks() {
    let (fake, t) = fake_with_account().await;
    let delay = Duration::from_millis(40);
    fake.set_stream(StreamConfig::with_delay(delay));
    let resp = responses(&fake, &t.access_token, "acc-a", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    let mut stream = resp.bytes_stream();
    let first = stream.next().await.expect("first chunk").expect("ok chunk");
    let first_at = Instant::now();
    assert_eq!(
        kinds(&first),
        ["response.created"],
        "the first chunk is exactly the first event"
    );
    let mut chunks = vec![first];
    while let Some(chunk) = stream.next().await {
        chunks.push(chunk.expect("ok chunk"));
    }
    // Nine more events, each after its own delay: the first was seen well before the last was written.
    assert!(
        first_at.elapsed() >= delay * 8,
        "stream finished too soon: {:?}",
        first_at.elapsed()
    );
    assert_eq!(chunks.len(), 10, "one chunk per event");
    for chunk in &chunks {
        assert_eq!(parse_sse(chunk).len(), 1);
    }
}

#[tokio::test]
async fn pause_after_events_holds_the_rest_until_the_gate_opens() {
    let (fake, t) = fake_with_account().await;
    let gate = Gate::new();
    fake.script("acc-a", Behavior::PauseAfterEvents(2, gate.clone()));
    let resp = responses(&fake, &t.access_token, "acc-a", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    let mut stream = resp.bytes_stream();
    let mut seen = Vec::new();
    while parse_sse(&seen).len() < 2 {
        seen.extend_from_slice(&stream.next().await.expect("chunk").expect("ok"));
    }
    assert_eq!(kinds(&seen), ["response.created", "response.in_progress"]);
    assert_eq!(fake.active_responses(), 1);
    gate.open();
    while let Some(chunk) = stream.next().await {
        seen.extend_from_slice(&chunk.expect("ok"));
    }
    assert_eq!(
        kinds(&seen).last().map(String::as_str),
        Some("response.completed")
    );
    tokio::time::timeout(WAIT, fake.wait_active_responses(0))
        .await
        .expect("body released");
}

#[tokio::test]
async fn compaction_trigger_yields_exactly_one_compaction_item() {
    let (fake, t) = fake_with_account().await;
    let body = codex_body(&[json!({"type": "compaction_trigger"})]);
    let resp = responses(&fake, &t.access_token, "acc-a", &body)
        .send()
        .await
        .expect("send");
    let events = parse_sse(&resp.bytes().await.expect("body"));
    let done = events.last().and_then(|e| e.json()).expect("completed");
    assert_eq!(done["type"], "response.completed");
    let output = done["response"]["output"].as_array().expect("output");
    assert_eq!(output.len(), 1);
    assert_eq!(output[0]["type"], "compaction");
    let blob = output[0]["encrypted_content"].as_str().expect("blob");
    assert_eq!(encrypted_content_owner(blob).as_deref(), Some("acc-a"));
}

#[tokio::test]
async fn drop_after_events_breaks_the_body() {
    let (fake, t) = fake_with_account().await;
    fake.script("acc-a", Behavior::DropAfterEvents(3));
    let resp = responses(&fake, &t.access_token, "acc-a", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    let mut stream = resp.bytes_stream();
    let mut seen = Vec::new();
    let mut error = None;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => seen.extend_from_slice(&bytes),
            Err(err) => {
                error = Some(err);
                break;
            }
        }
    }
    assert!(
        error.is_some(),
        "the client must see a broken body, not a clean end"
    );
    assert_eq!(parse_sse(&seen).len(), 3);
    assert!(!kinds(&seen).contains(&"response.completed".to_owned()));
}

#[tokio::test]
async fn stall_before_headers_blocks_nothing_else_and_ends_with_the_client() {
    let (fake, t) = fake_with_account().await;
    let other = fake.add_account(FakeAccount::new("acc-b", "plus"));
    fake.script("acc-a", Behavior::StallBeforeHeaders);
    let stalled = tokio::spawn(responses(&fake, &t.access_token, "acc-a", &codex_body(&[])).send());
    tokio::time::timeout(WAIT, fake.wait_for_requests(1))
        .await
        .expect("stalled request arrived");
    tokio::time::timeout(WAIT, fake.wait_active_responses(1))
        .await
        .expect("stall parked");

    // Same account and another account are both served while the first request hangs.
    let same = responses(&fake, &t.access_token, "acc-a", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    assert_eq!(kinds(&same.bytes().await.expect("body")).len(), 10);
    let b = responses(&fake, &other.access_token, "acc-b", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    assert_eq!(b.status(), 200);
    b.bytes().await.expect("body");
    assert!(!stalled.is_finished());

    stalled.abort();
    let _ = stalled.await;
    tokio::time::timeout(WAIT, fake.wait_active_responses(0))
        .await
        .expect("stall ended with the client");
}

#[tokio::test]
async fn stall_after_events_goes_silent_and_ends_with_the_client() {
    let (fake, t) = fake_with_account().await;
    fake.script("acc-a", Behavior::StallAfterEvents(2));
    let resp = responses(&fake, &t.access_token, "acc-a", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    let mut stream = resp.bytes_stream();
    let mut seen = Vec::new();
    while parse_sse(&seen).len() < 2 {
        seen.extend_from_slice(&stream.next().await.expect("chunk").expect("ok"));
    }
    let silent = tokio::time::timeout(Duration::from_millis(200), stream.next()).await;
    assert!(silent.is_err(), "no more bytes after the stall point");
    drop(stream);
    tokio::time::timeout(WAIT, fake.wait_active_responses(0))
        .await
        .expect("stall ended with the client");
}

#[tokio::test]
async fn dropping_the_fake_ends_parked_streams() {
    let (fake, t) = fake_with_account().await;
    fake.script("acc-a", Behavior::StallAfterEvents(1));
    let resp = responses(&fake, &t.access_token, "acc-a", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    drop(fake);
    let rest = tokio::time::timeout(WAIT, resp.bytes())
        .await
        .expect("body ended");
    assert!(rest.is_err(), "a stream cut by shutdown is broken, not complete");
}

#[tokio::test]
async fn in_band_failure_and_error_event() {
    let (fake, t) = fake_with_account().await;
    fake.script("acc-a", Behavior::overloaded_in_band());
    fake.script(
        "acc-a",
        Behavior::ErrorEvent {
            before: vec!["response.created".into()],
            error: json!({"type":"rate_limit_error","code":"rate_limit_exceeded","message":"Rate limit reached."}),
        },
    );
    let failed = responses(&fake, &t.access_token, "acc-a", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    assert_eq!(failed.status(), 200);
    let events = parse_sse(&failed.bytes().await.expect("body"));
    let names: Vec<_> = events.iter().filter_map(|e| e.kind()).collect();
    assert_eq!(
        names,
        ["response.created", "response.in_progress", "response.failed"]
    );
    let last = events[2].json().expect("json");
    assert_eq!(last["sequence_number"], 2);
    assert_eq!(last["response"]["status"], "failed");
    assert_eq!(last["response"]["error"]["code"], "server_is_overloaded");

    let errored = responses(&fake, &t.access_token, "acc-a", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    let events = parse_sse(&errored.bytes().await.expect("body"));
    let last = events.last().and_then(|e| e.json()).expect("json");
    assert_eq!(last["type"], "error");
    assert_eq!(last["error"]["code"], "rate_limit_exceeded");

    // Both one-shots consumed: back to normal.
    let ok = responses(&fake, &t.access_token, "acc-a", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    assert!(kinds(&ok.bytes().await.expect("body")).contains(&"response.completed".to_owned()));
}

#[tokio::test]
async fn garbage_sse_is_not_an_event_stream() {
    let (fake, t) = fake_with_account().await;
    fake.script("acc-a", Behavior::GarbageSse);
    let resp = responses(&fake, &t.access_token, "acc-a", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let body = resp.bytes().await.expect("clean close");
    assert!(!body.is_empty());
    assert!(parse_sse(&body).is_empty());
}
