//! The demo's stand-in for Codex: one conversation turn through the router's proxy, shaped like
//! the real client's (`POST /backend-api/codex/responses`, SSE, `store: false`, the session in
//! `prompt_cache_key` and `session_id`, earlier turns replayed with their encrypted reasoning).

use std::time::Duration;

use codex_router_protocol::methods::ProxyInfo;
use codex_router_test_support::parse_sse;
use serde_json::{Value, json};

use crate::DemoError;

/// Longer than any scripted answer; keeps a wedged demo well under its 30 s promise.
const TURN_TIMEOUT: Duration = Duration::from_secs(8);

/// One Codex session: its key and the history it replays.
#[derive(Debug)]
pub struct Session {
    pub name: &'static str,
    key: String,
    history: Vec<Value>,
    pub turns: usize,
}

/// What one turn showed: which account served it and after how many upstream calls.
#[derive(Debug)]
pub struct Turn {
    pub account: String,
    pub attempts: u32,
}

impl Session {
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            // Each demo has its own daemon and state: no other run's sessions to collide with.
            key: format!("codexctl-demo-{name}"),
            history: Vec::new(),
            turns: 0,
        }
    }
}

/// The loopback client: never through a proxy, whatever the user's environment says.
pub fn http() -> Result<reqwest::Client, DemoError> {
    codex_router_oauth::client_builder(Duration::from_secs(5))
        .no_proxy()
        .build()
        .map_err(|source| DemoError::Http {
            what: "building the demo's HTTP client",
            source,
        })
}

/// Sends the session's next turn and reads the stream to its end.
pub async fn turn(
    http: &reqwest::Client,
    proxy: &ProxyInfo,
    session: &mut Session,
) -> Result<Turn, DemoError> {
    let timeout = |what| move |source| DemoError::Timeout { what, source };
    let http_error = |what| move |source| DemoError::Http { what, source };
    session.turns += 1;
    let prompt = format!("{}: step {} of the plan", session.name, session.turns);
    session.history.push(json!({
        "type": "message", "role": "user",
        "content": [{"type": "input_text", "text": prompt}],
    }));
    let body = json!({
        "model": "gpt-5-codex",
        "instructions": "You are Codex, in a codex-router demo.",
        "input": session.history,
        "stream": true,
        "store": false,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": session.key,
    });
    let url = format!("http://{}/backend-api/codex/responses", proxy.listen);
    let send = http
        .post(url)
        .bearer_auth(&proxy.client_key)
        .header("session_id", &session.key)
        .header("accept", "text/event-stream")
        .json(&body)
        .send();
    let response = tokio::time::timeout(TURN_TIMEOUT, send)
        .await
        .map_err(timeout("the router did not answer in time"))?
        .map_err(http_error("sending a request to the demo router"))?;
    let status = response.status();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let account = header("x-codex-router-account").unwrap_or_else(|| "?".to_owned());
    let attempts = header("x-codex-router-attempts")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let bytes = tokio::time::timeout(TURN_TIMEOUT, response.bytes())
        .await
        .map_err(timeout("the stream did not end in time"))?
        .map_err(http_error("reading the stream"))?;
    if !status.is_success() {
        return Err(DemoError::Refused {
            status,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        });
    }
    let completed = parse_sse(&bytes)
        .iter()
        .filter_map(|e| e.json())
        .find(|e| e["type"] == "response.completed")
        .ok_or(DemoError::Incomplete)?;
    if let Some(output) = completed["response"]["output"].as_array() {
        session.history.extend(output.iter().cloned());
    }
    Ok(Turn { account, attempts })
}
