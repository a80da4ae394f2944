//! Shared helpers: a proxy-free client and a Codex-shaped request.

use codex_router_test_support::{FakeAccount, FakeBackend, IssuedTokens};
use serde_json::{Value, json};

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A fake with one `pro` account `acc-a`.
pub async fn fake_with_account() -> (FakeBackend, IssuedTokens) {
    let fake = FakeBackend::start().await;
    let tokens = fake.add_account(FakeAccount::new("acc-a", "pro"));
    (fake, tokens)
}

/// A body like Codex's (`store:false`, reasoning included), with extra input items appended.
pub fn codex_body(extra_input: &[Value]) -> Value {
    let mut input =
        vec![json!({"type":"message","role":"user","content":[{"type":"input_text","text":"say pong"}]})];
    input.extend_from_slice(extra_input);
    json!({
        "model": "gpt-test-codex",
        "stream": true,
        "store": false,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "thread-1",
        "input": input,
    })
}

pub fn responses(
    fake: &FakeBackend,
    access_token: &str,
    account: &str,
    body: &Value,
) -> reqwest::RequestBuilder {
    client()
        .post(format!("{}/codex/responses", fake.base_url()))
        .bearer_auth(access_token)
        .header("chatgpt-account-id", account)
        .header("accept", "text/event-stream")
        .json(body)
}

pub async fn body_json(resp: reqwest::Response) -> Value {
    resp.json().await.expect("JSON body")
}

/// `type` of every event in an SSE body.
pub fn kinds(body: &[u8]) -> Vec<String> {
    codex_router_test_support::parse_sse(body)
        .iter()
        .filter_map(|e| e.kind())
        .collect()
}
