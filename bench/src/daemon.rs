//! A real `codex-routerd` process on a throwaway router home, pointed at the fake upstream.
//!
//! The environment is cleared before the daemon starts, so nothing of the user's own router or Codex
//! setup (`CODEX_ROUTER_*`, `CODEX_HOME`, timeouts) leaks into a measurement or gets touched by it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use codex_router_core::Secret;
use codex_router_store::{AccountsFile, RouterPaths, StoredAccount, StoredTokens, read_daemon_info};
use tempfile::TempDir;
use tokio::process::{Child, Command};

use crate::client;
use crate::wire::Hello;

/// A daemon that is not answering `/healthz` by then has failed to start.
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// Readiness is polled (daemon.json, then /healthz) at this interval: the resolution of the measured
/// start-up time. There is no fixed sleep anywhere.
const POLL: Duration = Duration::from_millis(1);

/// How long a `--daemon-wrapper` tool gets to write its output after the daemon ends.
const WRAPPER_EXIT: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub struct Daemon {
    child: Child,
    pub pid: u32,
    /// Started under `--daemon-wrapper`: stopped with SIGTERM so the tool can finish.
    wrapped: bool,
    pub listen: SocketAddr,
    pub key: String,
    /// From spawn to the first `200` from `/healthz`.
    pub startup: Duration,
    pub paths: RouterPaths,
    pub codex_home: PathBuf,
    /// Deleted on drop, after the child is killed (fields drop in order).
    _home: TempDir,
}

impl Daemon {
    /// Writes `accounts.json` (labels = the fake's account ids) and `config.toml` if given, starts the
    /// daemon and waits until it serves.
    pub async fn start(
        exe: &Path,
        hello: &Hello,
        config_toml: Option<&str>,
        sessions: usize,
        extra_env: &[(String, String)],
        wrapper: &[String],
    ) -> anyhow::Result<Self> {
        let home = tempfile::Builder::new()
            .prefix("codex-router-bench-")
            .tempdir()
            .context("creating a temporary router home")?;
        let paths = RouterPaths::from_home(home.path().join("router"));
        paths.ensure_dirs().context("creating the router home")?;
        let codex_home = home.path().join("codex");
        std::fs::create_dir_all(&codex_home).context("creating a temporary Codex home")?;
        write_accounts(&paths, hello, sessions > 0)?;
        if sessions > 0 {
            write_sessions(&paths, hello, sessions)?;
        }
        if let Some(text) = config_toml {
            std::fs::write(&paths.config, text).context("writing config.toml")?;
        }
        let stderr = std::fs::File::create(home.path().join("daemon-stderr.log"))
            .context("creating the stderr log")?;
        let t0 = Instant::now();
        let mut command = match wrapper.split_first() {
            Some((tool, args)) => {
                let mut c = Command::new(tool);
                c.args(args).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        let mut child = command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", home.path())
            .env("CODEX_ROUTER_HOME", &paths.home)
            .env("CODEX_HOME", &codex_home)
            .env("CODEX_ROUTER_LISTEN", "127.0.0.1:0")
            .env("CODEX_ROUTER_UPSTREAM", &hello.base_url)
            .env("CODEX_ROUTER_ISSUER", &hello.issuer_url)
            .envs(extra_env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", exe.display()))?;
        let child_pid = child.id().context("the daemon exited at once")?;
        // Under a wrapper the daemon is the wrapper's descendant: its own pid comes from daemon.json.
        let expect_pid = wrapper.is_empty().then_some(child_pid);
        let (listen, pid) = match wait_ready(&mut child, expect_pid, &paths).await {
            Ok(ready) => ready,
            Err(e) => {
                let log = std::fs::read_to_string(home.path().join("daemon-stderr.log")).unwrap_or_default();
                return Err(e.context(format!("codex-routerd did not become ready; its stderr:\n{log}")));
            }
        };
        let startup = t0.elapsed();
        let key = codex_router_store::read_client_key(&paths.client_key)
            .context("reading client.key")?
            .context("the daemon wrote no client.key")?;
        Ok(Self {
            child,
            pid,
            wrapped: !wrapper.is_empty(),
            listen,
            key: key.expose().to_owned(),
            startup,
            paths,
            codex_home,
            _home: home,
        })
    }

    pub fn home(&self) -> &Path {
        &self.paths.home
    }

    pub fn socket(&self) -> PathBuf {
        self.paths.socket.clone()
    }

    /// Kills the daemon (its home is thrown away, so there is nothing to drain or flush). A log
    /// that recorded failed upstream attempts, warnings or errors is kept first, under
    /// `target/codex-router-bench/daemon-logs/`: a failed check is explained by it.
    pub async fn stop(mut self) {
        if self.wrapped {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &self.pid.to_string()])
                .status();
            if tokio::time::timeout(WRAPPER_EXIT, self.child.wait())
                .await
                .is_err()
            {
                eprintln!("codex-router-bench: the daemon's wrapper did not exit; killing it");
            }
        }
        let _ = self.child.kill().await;
        let log = self._home.path().join("daemon-stderr.log");
        if let Ok(text) = std::fs::read_to_string(&log)
            && text.lines().any(worth_keeping)
        {
            let dir = crate::repo_root()
                .join("target")
                .join("codex-router-bench")
                .join("daemon-logs");
            let kept = dir.join(format!("daemon-{}.log", self.pid));
            match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&kept, &text)) {
                Ok(()) => eprintln!(
                    "codex-router-bench: kept the daemon log (it records failed attempts or warnings): {}",
                    kept.display()
                ),
                Err(e) => eprintln!("codex-router-bench: could not keep the daemon log: {e}"),
            }
        }
    }
}

/// A `state.json` holding `n` live sessions spread over the accounts (their ids are the fake's,
/// see [`write_accounts`]), as if the daemon had served that many conversations a moment ago.
fn write_sessions(paths: &RouterPaths, hello: &Hello, n: usize) -> anyhow::Result<()> {
    use codex_router_core::persist::{PoolState, STATE_VERSION};
    use codex_router_core::session::{SessionEntry, SessionHash};
    let now = codex_router_core::Timestamp::now_from(std::time::SystemTime::now());
    let ids: Vec<std::sync::Arc<str>> = hello.accounts.iter().map(|a| a.id.as_str().into()).collect();
    anyhow::ensure!(!ids.is_empty(), "the fake has no accounts");
    let sessions = (0..n)
        .map(|i| {
            let entry = SessionEntry {
                account_id: ids[i % ids.len()].clone(),
                last_used: now,
                compaction: false,
                foreign_history: false,
            };
            (SessionHash::of(&format!("bench-prefill-{i}")), entry)
        })
        .collect();
    let state = PoolState {
        version: STATE_VERSION,
        saved_at: Some(now),
        sessions,
        ..PoolState::default()
    };
    codex_router_store::save_json(&paths.state, &state, 0o600).context("writing state.json")
}

/// `with_ids`: give every account its fake's id as its router id too, so a prefilled
/// `state.json` can name them (other cells let the daemon derive ids, as a real pool does).
fn write_accounts(paths: &RouterPaths, hello: &Hello, with_ids: bool) -> anyhow::Result<()> {
    let accounts = hello
        .accounts
        .iter()
        .map(|a| {
            let mut stored = StoredAccount::with_tokens(StoredTokens {
                access_token: Secret::new(a.access_token.clone()),
                refresh_token: Secret::new(a.refresh_token.clone()),
                id_token: Some(Secret::new(a.id_token.clone())),
                expires_at: None,
            });
            stored.label = Some(a.id.clone());
            if with_ids {
                stored.id = Some(a.id.clone());
            }
            stored.source = Some("manual".to_owned());
            stored
        })
        .collect();
    let file = AccountsFile {
        accounts,
        ..AccountsFile::default()
    };
    codex_router_store::save_accounts(&paths.accounts, &file).context("writing accounts.json")
}

/// Polls for a `daemon.json` written by this pid, then for `/healthz` answering 200 on its address.
/// Waits for `daemon.json` (from `expect_pid`, when known) and a 200 from `/healthz`; returns the
/// listen address and the daemon's pid.
async fn wait_ready(
    child: &mut Child,
    expect_pid: Option<u32>,
    paths: &RouterPaths,
) -> anyhow::Result<(SocketAddr, u32)> {
    let deadline = Instant::now() + READY_TIMEOUT;
    let mut listen: Option<(SocketAddr, u32)> = None;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().context("checking on the daemon")? {
            bail!("codex-routerd exited with {status}");
        }
        if listen.is_none()
            && let Ok(Some(info)) = read_daemon_info(&paths.daemon_json)
            && expect_pid.is_none_or(|pid| info.pid == pid)
        {
            let addr = info
                .listen
                .parse()
                .with_context(|| format!("daemon.json listen {:?}", info.listen))?;
            listen = Some((addr, info.pid));
        }
        if let Some((addr, pid)) = listen
            && let Ok((200, _)) = client::get(addr, "/healthz", None).await
        {
            return Ok((addr, pid));
        }
        tokio::time::sleep(POLL).await;
    }
    bail!("not ready within {READY_TIMEOUT:?}")
}

/// Lines that make a daemon log worth keeping after the run.
fn worth_keeping(line: &str) -> bool {
    line.contains(" WARN ") || line.contains(" ERROR ") || line.contains("upstream attempt failed")
}
