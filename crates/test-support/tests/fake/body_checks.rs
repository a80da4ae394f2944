//! The checks the backend makes on a Responses body before streaming.

use codex_router_test_support::{Behavior, FakeAccount, StreamConfig, mint_encrypted_content, parse_sse};
use serde_json::json;

use crate::common::{body_json, client, codex_body, fake_with_account, responses};

#[tokio::test]
async fn replayed_reasoning_works_on_its_own_account_only() {
    let (fake, a) = fake_with_account().await;
    let b = fake.add_account(FakeAccount::new("acc-b", "plus"));

    // Turn 1 on acc-a, then replay its reasoning item verbatim, as Codex does on resume.
    let turn1 = responses(&fake, &a.access_token, "acc-a", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    let events = parse_sse(&turn1.bytes().await.expect("body"));
    let reasoning = events[3].json().expect("json")["item"].clone();
    let turn2 = codex_body(&[reasoning, json!({"type":"message","role":"user","content":[]})]);

    let same = responses(&fake, &a.access_token, "acc-a", &turn2)
        .send()
        .await
        .expect("send");
    assert_eq!(same.status(), 200);
    same.bytes().await.expect("body");

    let moved = responses(&fake, &b.access_token, "acc-b", &turn2)
        .send()
        .await
        .expect("send");
    assert_eq!(moved.status(), 400);
    let body = body_json(moved).await;
    assert_eq!(body["error"]["code"], "invalid_encrypted_content");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.ends_with("could not be verified."))
    );
}

#[tokio::test]
async fn foreign_or_unknown_compaction_blob_is_rejected() {
    let (fake, a) = fake_with_account().await;
    for blob in [mint_encrypted_content("acc-z", 1), "gAAAAABforeign==".to_owned()] {
        let body = codex_body(&[json!({"type": "compaction", "encrypted_content": blob})]);
        let resp = responses(&fake, &a.access_token, "acc-a", &body)
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status(), 400);
        assert_eq!(
            body_json(resp).await["error"]["code"],
            "invalid_encrypted_content"
        );
    }
    // Items without a blob (stripped by the router) are fine.
    let stripped = codex_body(&[json!({"type": "reasoning", "id": "rs_1", "summary": []})]);
    let resp = responses(&fake, &a.access_token, "acc-a", &stripped)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn malformed_json_gets_the_parse_error() {
    let (fake, a) = fake_with_account().await;
    let resp = client()
        .post(format!("{}/codex/responses", fake.base_url()))
        .bearer_auth(&a.access_token)
        .header("chatgpt-account-id", "acc-a")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 400);
    assert_eq!(
        body_json(resp).await,
        json!({"error":{"message":"We could not parse the JSON body of your request.","type":"invalid_request_error","code":null,"param":null}})
    );
}

#[tokio::test]
async fn ok_with_and_compact_endpoint() {
    let (fake, a) = fake_with_account().await;
    let cfg = StreamConfig {
        deltas: 1,
        delta_text: "hi".into(),
        input_tokens: Some(200_000),
        ..Default::default()
    };
    fake.script("acc-a", Behavior::OkWith(cfg));
    let resp = responses(&fake, &a.access_token, "acc-a", &codex_body(&[]))
        .send()
        .await
        .expect("send");
    let events = parse_sse(&resp.bytes().await.expect("body"));
    assert_eq!(
        events
            .iter()
            .filter(|e| e.kind().as_deref() == Some("response.output_text.delta"))
            .count(),
        1
    );
    let done = events.last().and_then(|e| e.json()).expect("json");
    assert_eq!(done["response"]["usage"]["input_tokens"], 200_000);

    let compact = client()
        .post(format!("{}/codex/responses/compact", fake.base_url()))
        .bearer_auth(&a.access_token)
        .header("chatgpt-account-id", "acc-a")
        .json(&codex_body(&[]))
        .send()
        .await
        .expect("send");
    assert_eq!(compact.status(), 200);
    let body = body_json(compact).await;
    assert_eq!(body["output"][0]["type"], "compaction");
    assert_eq!(fake.responses_calls("acc-a"), 2);
}
