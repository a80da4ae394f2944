//! A real daemon, in process: `codex_routerd::run_with` on a temporary router home, its
//! upstream and issuer a [`FakeBackend`], its proxy on `127.0.0.1:0`. Readiness comes from the
//! `ready` signal (then `daemon.json` is on disk and both sockets accept), never from a sleep.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use codex_router_core::Secret;
use codex_router_ipc::{IpcClient, IpcError};
use codex_router_store::{AccountsFile, RouterPaths, StoredAccount, StoredTokens};
use codex_router_test_support::{FakeAccount, FakeBackend, SseEvent};
use codex_routerd::{DaemonEnv, RunOptions};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// What to start: accounts (`chatgpt_account_id`, plan; the label is the id) and extra
/// `config.toml` lines per table.
#[derive(Clone, Default)]
pub struct Setup {
    pub accounts: Vec<(String, String)>,
    pub proxy: Vec<String>,
    pub rotation: Vec<String>,
    /// Written as `accounts.json` instead of the accounts above.
    pub accounts_file: Option<String>,
    /// The daemon's environment, besides `CODEX_HOME`.
    pub env: Vec<(String, String)>,
    /// Extra `config.toml` text after `[rotation]` (whole tables, e.g. `[quota]`).
    pub extra: Vec<String>,
    /// `[upstream] base_url` instead of the fake's.
    pub upstream: Option<String>,
    /// A manual clock for the daemon's runtime; `None`: the wall clock.
    pub clock: Option<Arc<codex_router_test_support::ManualClock>>,
}

impl Setup {
    pub fn accounts(ids: &[&str]) -> Self {
        Self {
            accounts: ids
                .iter()
                .map(|id| ((*id).to_owned(), "pro".to_owned()))
                .collect(),
            ..Self::default()
        }
    }

    pub fn rotation(mut self, line: &str) -> Self {
        self.rotation.push(line.to_owned());
        self
    }

    pub fn proxy(mut self, line: &str) -> Self {
        self.proxy.push(line.to_owned());
        self
    }

    pub fn extra(mut self, text: &str) -> Self {
        self.extra.push(text.to_owned());
        self
    }
}

pub struct Daemon {
    pub fake: FakeBackend,
    pub home: tempfile::TempDir,
    pub paths: RouterPaths,
    pub codex_home: PathBuf,
    pub listen: SocketAddr,
    pub key: String,
    pub http: reqwest::Client,
    pub shutdown: CancellationToken,
    pub task: JoinHandle<anyhow::Result<()>>,
    pub setup: Setup,
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn account(&self) -> Option<&str> {
        self.headers
            .get("x-codex-router-account")
            .and_then(|v| v.to_str().ok())
    }

    pub fn attempts(&self) -> Option<u32> {
        self.headers
            .get("x-codex-router-attempts")?
            .to_str()
            .ok()?
            .parse()
            .ok()
    }

    pub fn completed(&self) -> bool {
        codex_router_test_support::parse_sse(self.body.as_bytes())
            .iter()
            .any(|e: &SseEvent| {
                e.event.as_deref() == Some("response.completed") || e.data.contains("\"response.completed\"")
            })
    }
}

pub fn stored(tokens: &codex_router_test_support::IssuedTokens, label: &str) -> StoredAccount {
    let mut a = StoredAccount::with_tokens(StoredTokens {
        access_token: Secret::new(tokens.access_token.clone()),
        refresh_token: Secret::new(tokens.refresh_token.clone()),
        id_token: Some(Secret::new(tokens.id_token.clone())),
        expires_at: None,
    });
    a.label = Some(label.to_owned());
    a
}

impl Daemon {
    pub async fn start(setup: Setup) -> Daemon {
        let fake = FakeBackend::start().await;
        let home = tempfile::tempdir().unwrap();
        let paths = RouterPaths::from_home(home.path().join("router"));
        paths.ensure_dirs().unwrap();
        let codex_home = home.path().join("codex");
        match &setup.accounts_file {
            Some(text) => std::fs::write(&paths.accounts, text).unwrap(),
            None if setup.accounts.is_empty() => {}
            None => {
                let mut file = AccountsFile::default();
                for (id, plan) in &setup.accounts {
                    let tokens = fake.add_account(FakeAccount::new(id, plan));
                    file.accounts.push(stored(&tokens, id));
                }
                codex_router_store::save_accounts(&paths.accounts, &file).unwrap();
            }
        }
        Self::launch(fake, home, paths, codex_home, setup).await
    }

    /// Stops the daemon (`state.json` is written), runs `between` on the stopped home, then
    /// starts another daemon on the same home and fake with `setup`'s config and environment
    /// (its accounts are not written again).
    pub async fn restart(self, setup: Setup, between: impl FnOnce(&RouterPaths)) -> Daemon {
        self.shutdown.cancel();
        self.task.await.unwrap().unwrap();
        between(&self.paths);
        Self::launch(self.fake, self.home, self.paths, self.codex_home, setup).await
    }

    async fn launch(
        fake: FakeBackend,
        home: tempfile::TempDir,
        paths: RouterPaths,
        codex_home: PathBuf,
        setup: Setup,
    ) -> Daemon {
        let mut text = config_text(&fake, "127.0.0.1:0", &setup.proxy, &setup.rotation);
        if let Some(upstream) = &setup.upstream {
            text = text.replace(&fake.base_url(), upstream);
        }
        for extra in &setup.extra {
            text.push_str(&format!("\n{extra}\n"));
        }
        std::fs::write(&paths.config, &text).unwrap();
        let mut vars = setup.env.clone();
        vars.push(("CODEX_HOME".into(), codex_home.display().to_string()));
        let lookup = |k: &str| vars.iter().find(|(name, _)| name == k).map(|(_, v)| v.clone());
        let settings = codex_router_settings::load(Some(&text), &lookup).unwrap();
        let env = DaemonEnv::capture(&lookup);
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let shutdown = CancellationToken::new();
        let opts = RunOptions {
            env: Some(env),
            ready: Some(ready_tx),
            clock: setup
                .clock
                .clone()
                .map(|c| c as Arc<dyn codex_router_runtime::Clock>),
        };
        let task = tokio::spawn(codex_routerd::run_with(
            paths.clone(),
            settings,
            shutdown.clone(),
            opts,
        ));
        let ready = match ready_rx.await {
            Ok(ready) => ready,
            Err(_) => panic!("daemon did not start: {:?}", task.await),
        };
        let key = std::fs::read_to_string(&paths.client_key)
            .unwrap()
            .trim()
            .to_owned();
        let http = codex_router_oauth::client_builder(Duration::from_secs(5))
            .no_proxy()
            .build()
            .unwrap();
        Daemon {
            fake,
            home,
            paths,
            codex_home,
            listen: ready.listen,
            key,
            http,
            shutdown,
            task,
            setup,
        }
    }

    /// Rewrites the router's `config.toml` with this listen address and these `[rotation]` lines.
    pub fn write_config(&self, listen: &str, rotation: &[&str]) {
        let rotation: Vec<String> = rotation.iter().map(|l| (*l).to_owned()).collect();
        std::fs::write(
            &self.paths.config,
            config_text(&self.fake, listen, &self.setup.proxy, &rotation),
        )
        .unwrap();
    }

    pub async fn client(&self) -> IpcClient {
        IpcClient::connect(&self.paths.socket).await.unwrap()
    }

    /// One call on a fresh connection.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, IpcError> {
        self.client().await.call(method, params).await
    }

    pub async fn status(&self) -> Value {
        self.call("status", json!({})).await.unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.listen)
    }

    /// Starts a Codex-shaped streaming request (without a session key) and returns the response
    /// once its head has arrived.
    pub async fn send(&self) -> reqwest::Response {
        let body = json!({"model": "gpt-test", "stream": true, "store": false,
                          "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}]});
        self.http
            .post(self.url("/backend-api/codex/responses"))
            .bearer_auth(&self.key)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn request(&self) -> Reply {
        read(self.send().await).await
    }

    /// Stops the daemon and returns what `run` returned.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.task.await.unwrap()
    }
}

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

pub fn config_text(fake: &FakeBackend, listen: &str, proxy: &[String], rotation: &[String]) -> String {
    format!(
        "[proxy]\nlisten = \"{listen}\"\n{}\n[upstream]\nbase_url = \"{}\"\n\n[oauth]\nissuer = \"{}\"\n\n[rotation]\n{}\n",
        proxy.join("\n"),
        fake.base_url(),
        fake.issuer_url(),
        rotation.join("\n"),
    )
}

/// Finds an account row by label.
pub fn row<'a>(doc: &'a Value, label: &str) -> &'a Value {
    doc["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["label"] == label)
        .unwrap_or_else(|| panic!("no row {label}"))
}
