//! An in-process router (runtime + proxy on `127.0.0.1:0`) in front of a [`FakeBackend`], on a
//! temporary router home, with a manual clock.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use codex_router_core::pool::{PoolConfig, Strategy};
use codex_router_core::{Secret, Timestamp};
use codex_router_oauth::OAuthClient;
use codex_router_proxy::{ProxyConfig, ProxyState};
use codex_router_runtime::{Runtime, RuntimeOptions};
use codex_router_store::{AccountsFile, RouterPaths, StoredAccount, StoredTokens};
use codex_router_test_support::ManualClock;
use codex_router_test_support::{FakeAccount, FakeBackend, IssuedTokens};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

pub const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

pub struct Router {
    pub fake: FakeBackend,
    pub runtime: Runtime,
    pub clock: Arc<ManualClock>,
    pub addr: SocketAddr,
    pub home: tempfile::TempDir,
    pub paths: RouterPaths,
    pub client: reqwest::Client,
    pub state: Arc<ProxyState>,
    pub setup: Setup,
    shutdown: CancellationToken,
}

#[derive(Clone)]
pub struct Setup {
    pub accounts: Vec<(String, String)>,
    pub pool: PoolConfig,
    pub proxy: ProxyConfig,
    /// Access-token lifetime of every account, in seconds.
    pub ttl: i64,
    /// Upstream base URL to use instead of the fake's (e.g. a dead address).
    pub upstream: Option<String>,
}

impl Setup {
    pub fn new(n: usize) -> Self {
        Self {
            accounts: (0..n).map(|i| (format!("acct-{i}"), "pro".to_owned())).collect(),
            pool: PoolConfig::default(),
            proxy: ProxyConfig {
                upstream_base: String::new(),
                max_body_bytes: 64 << 20,
                hold_events: 16,
                hold_timeout: Duration::from_secs(2),
                headers_timeout: Duration::from_secs(60),
                idle_timeout: Duration::from_secs(300),
                connect_timeout: Duration::from_secs(10),
                websocket: true,
                ws_context_max_bytes: 64 << 20,
            },
            ttl: 3600,
            upstream: None,
        }
    }

    /// One plan per account, in pool order (`acct-0` gets `plans[0]`, ...).
    pub fn plans(mut self, plans: &[&str]) -> Self {
        for (acct, plan) in self.accounts.iter_mut().zip(plans) {
            acct.1 = (*plan).to_owned();
        }
        self
    }

    pub fn max_attempts(mut self, n: u32) -> Self {
        self.pool.max_attempts = n;
        self
    }

    pub fn strategy(mut self, s: Strategy) -> Self {
        self.pool.strategy = s;
        self
    }
}

pub fn stored(t: &IssuedTokens, label: &str) -> StoredAccount {
    let mut a = StoredAccount::with_tokens(StoredTokens {
        access_token: Secret::new(t.access_token.clone()),
        refresh_token: Secret::new(t.refresh_token.clone()),
        id_token: Some(Secret::new(t.id_token.clone())),
        expires_at: None,
    });
    a.label = Some(label.to_owned());
    a
}

pub fn http_client() -> reqwest::Client {
    codex_router_oauth::client_builder(Duration::from_secs(5))
        .no_proxy()
        .build()
        .unwrap()
}

impl Router {
    pub async fn start(setup: Setup) -> Router {
        let fake = FakeBackend::start().await;
        let home = tempfile::tempdir().unwrap();
        let paths = RouterPaths::from_home(home.path().to_path_buf());
        paths.ensure_dirs().unwrap();
        let mut file = AccountsFile::default();
        for (id, plan) in &setup.accounts {
            let tokens = fake.add_account(FakeAccount::new(id, plan).with_ttl(setup.ttl));
            file.accounts.push(stored(&tokens, id));
        }
        codex_router_store::save_accounts(&paths.accounts, &file).unwrap();
        Self::start_on(fake, home, setup).await
    }

    /// Starts (or restarts) a router on an existing home and fake.
    pub async fn start_on(fake: FakeBackend, home: tempfile::TempDir, setup: Setup) -> Router {
        let clock = Arc::new(ManualClock::starting_now());
        Self::start_with_clock(fake, home, setup, clock).await
    }

    pub async fn start_with_clock(
        fake: FakeBackend,
        home: tempfile::TempDir,
        mut setup: Setup,
        clock: Arc<ManualClock>,
    ) -> Router {
        let paths = RouterPaths::from_home(home.path().to_path_buf());
        let http = http_client();
        let oauth = OAuthClient::new(http.clone(), fake.issuer_url(), "app_EMoamEEZ73f0CkXaXp7hrann");
        let runtime = Runtime::open(RuntimeOptions {
            paths: paths.clone(),
            pool_config: setup.pool.clone(),
            oauth,
            clock: clock.clone(),
        })
        .unwrap();
        setup.proxy.upstream_base = setup.upstream.clone().unwrap_or_else(|| fake.base_url());
        let state = ProxyState::new(
            runtime.clone(),
            http.clone(),
            Secret::new(KEY),
            setup.proxy.clone(),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        tokio::spawn(codex_router_proxy::serve(
            listener,
            state.clone(),
            shutdown.clone(),
        ));
        Router {
            fake,
            runtime,
            clock,
            addr,
            home,
            paths,
            client: http,
            state,
            setup,
            shutdown,
        }
    }

    /// Starts the drain: no new connections; in-flight responses finish, then connections close.
    pub fn begin_shutdown(&self) {
        self.shutdown.cancel();
    }

    /// Stops serving, flushes state, and hands back the fake and the home for a restart.
    pub async fn stop(self) -> (FakeBackend, tempfile::TempDir) {
        self.shutdown.cancel();
        self.runtime.flush_state().await.unwrap();
        (self.fake, self.home)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn post(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.client.post(self.url(path)).bearer_auth(KEY).json(body)
    }

    /// A Codex-shaped turn: prompt_cache_key and session headers set to `session`.
    pub async fn turn(&self, session: &str, input: Vec<Value>) -> Reply {
        let body = json!({"model": "gpt-test", "stream": true, "store": false, "prompt_cache_key": session,
                          "include": ["reasoning.encrypted_content"], "input": input});
        let resp = self
            .post("/backend-api/codex/responses", &body)
            .header("session-id", session)
            .send()
            .await
            .unwrap();
        Reply::read(resp).await
    }

    /// [`Router::turn`] as an owned future (for `join_all`).
    pub async fn turn_owned(&self, session: String) -> Reply {
        self.turn(&session, vec![user("hi")]).await
    }

    pub fn now(&self) -> Timestamp {
        self.runtime.now()
    }

    pub fn status(&self) -> codex_router_core::pool::Snapshot {
        self.runtime.snapshot()
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub async fn read(resp: reqwest::Response) -> Reply {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().await.unwrap_or_default();
        Reply {
            status,
            headers,
            body,
        }
    }

    pub fn account(&self) -> Option<&str> {
        self.headers
            .get("x-codex-router-account")
            .and_then(|v| v.to_str().ok())
    }

    pub fn attempts(&self) -> Option<u32> {
        self.headers
            .get("x-codex-router-attempts")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    pub fn events(&self) -> Vec<codex_router_test_support::SseEvent> {
        codex_router_test_support::parse_sse(self.body.as_bytes())
    }

    pub fn event_types(&self) -> Vec<String> {
        self.events().iter().filter_map(|e| e.event.clone()).collect()
    }

    /// Output items of the completed response (to replay in the next turn).
    pub fn output_items(&self) -> Vec<Value> {
        self.events()
            .iter()
            .filter_map(|e| serde_json::from_str::<Value>(&e.data).ok())
            .filter(|v| v["type"] == "response.output_item.done")
            .map(|v| v["item"].clone())
            .collect()
    }
}

pub fn user(text: &str) -> Value {
    json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]})
}

// ---- Additions for the restart, refresh and failover tests. ----

impl Router {
    /// A clean restart on the same home and fake, keeping the same manual clock so cooldowns
    /// computed before the restart mean the same after it.
    pub async fn restart(self) -> Router {
        let clock = self.clock.clone();
        let setup = self.setup.clone();
        let (fake, home) = self.stop().await;
        Router::start_with_clock(fake, home, setup, clock).await
    }

    /// The snapshot row of the account with this label.
    pub fn view(&self, label: &str) -> codex_router_core::pool::AccountView {
        self.status()
            .accounts
            .into_iter()
            .find(|a| a.label == label)
            .unwrap_or_else(|| panic!("no account labelled {label}"))
    }

    /// `(state, state_reason)` of the account with this label, as `status` shows them.
    pub fn state_of(&self, label: &str) -> (&'static str, Option<&'static str>) {
        let v = self.view(label);
        (v.state.as_str(), v.state_reason)
    }

    /// `accounts.json` as it is on disk now.
    pub fn stored_accounts(&self) -> AccountsFile {
        match codex_router_store::load_accounts(&self.paths.accounts).unwrap() {
            codex_router_store::JsonLoad::Loaded(f) => f,
            _ => panic!("accounts.json is not loadable"),
        }
    }

    /// The stored account with this label.
    pub fn stored_account(&self, label: &str) -> StoredAccount {
        self.stored_accounts()
            .accounts
            .into_iter()
            .find(|a| a.label.as_deref() == Some(label))
            .unwrap_or_else(|| panic!("no stored account labelled {label}"))
    }

    /// A Codex-shaped turn with extra request headers.
    pub async fn turn_with(&self, session: &str, input: Vec<Value>, headers: &[(&str, &str)]) -> Reply {
        let body = json!({"model": "gpt-test", "stream": true, "store": false, "prompt_cache_key": session,
                          "include": ["reasoning.encrypted_content"], "input": input});
        let mut req = self
            .post("/backend-api/codex/responses", &body)
            .header("session-id", session);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        Reply::read(req.send().await.unwrap()).await
    }

    /// A request without any session key: the strategy chooses every time.
    pub async fn anonymous(&self) -> Reply {
        let body = json!({"model": "gpt-test", "stream": true, "store": false, "input": [user("hi")]});
        Reply::read(
            self.post("/backend-api/codex/responses", &body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Starts a turn and returns the response with its body still streaming.
    pub async fn open_turn(&self, session: &str, input: Vec<Value>) -> reqwest::Response {
        let body = json!({"model": "gpt-test", "stream": true, "store": false, "prompt_cache_key": session,
                          "include": ["reasoning.encrypted_content"], "input": input});
        self.post("/backend-api/codex/responses", &body)
            .header("session-id", session)
            .send()
            .await
            .unwrap()
    }

    /// Milliseconds from the router's clock to `t`.
    pub fn ms_until(&self, t: Timestamp) -> i64 {
        t.as_unix_ms() - self.now().as_unix_ms()
    }
}

/// Waits until `cond` holds, re-checking whenever the runtime reports a change (for effects the
/// router applies on a spawned task, such as the `accounts.json` write of a status change). No
/// polling: the runtime signals pool changes and finished `accounts.json` writes. Fails after 5 s.
pub async fn eventually(runtime: &Runtime, what: &str, mut cond: impl FnMut() -> bool) {
    // Subscribed before the first check, so a change between the check and the wait is not lost.
    let mut changes = runtime.subscribe_changes();
    within(what, 5, async {
        while !cond() {
            changes.changed().await.expect("the runtime outlives the test");
        }
    })
    .await;
}

/// Bounds a wait that should finish promptly, so a regression fails instead of hanging.
pub async fn within<T>(what: &str, secs: u64, fut: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(secs), fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {secs}s: {what}"),
    }
}

/// A body read chunk by chunk until it ends or breaks.
pub struct Streamed {
    pub bytes: Vec<u8>,
    /// The body ended with an error (aborted without a terminating chunk).
    pub broken: bool,
}

impl Streamed {
    pub async fn read(mut resp: reqwest::Response) -> Streamed {
        let mut bytes = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(c)) => bytes.extend_from_slice(&c),
                Ok(None) => return Streamed { bytes, broken: false },
                Err(_) => return Streamed { bytes, broken: true },
            }
        }
    }

    pub fn kinds(&self) -> Vec<String> {
        codex_router_test_support::parse_sse(&self.bytes)
            .iter()
            .filter_map(|e| e.kind())
            .collect()
    }
}

/// The `type`s of a reply's events, from their data (what Codex dispatches on).
pub fn kinds(reply: &Reply) -> Vec<String> {
    reply.events().iter().filter_map(|e| e.kind()).collect()
}

/// The event types of one complete normal stream of the fake (3 deltas).
pub fn normal_kinds() -> Vec<String> {
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
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

/// `encrypted_content` values found anywhere in a request body's input items.
pub fn blobs_in(body: &[u8]) -> Vec<String> {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    v["input"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| {
                    i.get("encrypted_content")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default()
}
