//! The demo's throwaway world: a temporary directory holding a router home and a Codex home, the
//! fake ChatGPT backend and OAuth issuer running inside this process with three demo accounts,
//! and a real `codex-routerd` (the caller finds it, like `daemon start` does) serving that home.
//!
//! The daemon gets an explicit environment, built here and nowhere else: the temporary homes,
//! `127.0.0.1:0`, and the fake as upstream and issuer. On Unix the inherited environment is
//! cleared first, so no `CODEX_ROUTER_*`, `XDG_*` or proxy variable of the user's shell can point
//! it at their real home or the network. It stays in this process's process group, so a closed
//! terminal takes it down with the demo.
//!
//! Cleanup: [`Rig::shutdown`] stops the daemon through its socket and removes the directory. If
//! the demo is abandoned instead (an error, Ctrl-C dropping the future), [`DaemonChild`]'s `Drop`
//! stops the process and `TempDir`'s removes the directory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use codex_router_core::Secret;
use codex_router_ipc::{IpcClient, decode_reply};
use codex_router_protocol::methods::{self, ProxyInfo};
use codex_router_protocol::status::StatusDoc;
use codex_router_store::{AccountsFile, RouterPaths, StoredAccount, StoredTokens, save_accounts};
use codex_router_test_support::{FakeAccount, FakeBackend, UsageState};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::DemoError;

/// One demo account: its label in the pool, its workspace id at the fake, its plan.
#[derive(Debug, Clone, Copy)]
pub struct DemoAccount {
    pub label: &'static str,
    pub workspace: &'static str,
    pub plan: &'static str,
}

pub const ACCOUNTS: [DemoAccount; 3] = [
    DemoAccount {
        label: "personal",
        workspace: "demo-personal",
        plan: "pro",
    },
    DemoAccount {
        label: "team",
        workspace: "demo-team",
        plan: "team",
    },
    DemoAccount {
        label: "spare",
        workspace: "demo-spare",
        plan: "plus",
    },
];

/// Where every demo account's 5-hour window starts, in percent.
pub const START_USED: f64 = 12.0;
const READY_TIMEOUT: Duration = Duration::from_secs(10);
const STOP_TIMEOUT: Duration = Duration::from_secs(8);
/// A healthy daemon answers `ping` in microseconds; a wedged one must not hold up the wait.
const PING_TIMEOUT: Duration = Duration::from_secs(3);
/// Short drains: nothing the demo leaves in flight is worth waiting for.
const DEMO_CONFIG: &str = "[proxy]\ndrain_timeout = \"2s\"\n";

/// Asks a process to shut down gracefully (the caller's SIGTERM; a no-op where there is none).
pub type Terminate = fn(u32) -> std::io::Result<()>;

/// The running demo. Field order is drop order: the daemon goes before its directory.
pub struct Rig {
    daemon: IpcClient,
    pub proxy: ProxyInfo,
    pub fake: FakeBackend,
    child: DaemonChild,
    dir: TempDir,
}

impl Rig {
    /// Starts the daemon at `exe`; `terminate` stops it at teardown when asking nicely failed.
    pub async fn start(exe: &Path, terminate: Terminate) -> Result<Rig, DemoError> {
        let dir = tempfile::Builder::new()
            .prefix("codexctl-demo-")
            .tempdir()
            .map_err(DemoError::io("creating the demo's temporary directory"))?;
        let store = |what| move |source| DemoError::Store { what, source };
        let paths = RouterPaths::from_home(dir.path().join("router"));
        paths
            .ensure_dirs()
            .map_err(store("creating the demo router home"))?;
        std::fs::write(&paths.config, DEMO_CONFIG).map_err(DemoError::io("writing the demo config.toml"))?;
        let fake = FakeBackend::try_start()
            .await
            .map_err(DemoError::io("starting the fake backend"))?;
        save_accounts(&paths.accounts, &demo_pool(&fake)).map_err(store("writing the demo accounts"))?;
        let log = paths.logs_dir.join("daemon-stderr.log");
        let mut child = DaemonChild::spawn(exe, &daemon_env(dir.path(), &fake), &log, terminate)?;
        let mut rig_daemon = wait_ready(&paths, &mut child, &log).await?;
        let raw = call(&mut rig_daemon, methods::PROXY_INFO).await?;
        let proxy: ProxyInfo = decode_reply(raw)?;
        Ok(Rig {
            daemon: rig_daemon,
            proxy,
            fake,
            child,
            dir,
        })
    }

    /// The daemon's `status` document.
    pub async fn status(&mut self) -> Result<StatusDoc, DemoError> {
        let raw = call(&mut self.daemon, methods::STATUS).await?;
        decode_reply(raw).map_err(|mut e| {
            e.reason = format!("not a status document: {}", e.reason);
            DemoError::Reply(e)
        })
    }

    /// The temporary directory (for the goodbye message).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Stops the daemon (gracefully, forced after a grace period) and removes the directory.
    pub async fn shutdown(mut self) -> Result<PathBuf, DemoError> {
        let _ = call(&mut self.daemon, methods::DAEMON_STOP).await;
        let deadline = Instant::now() + STOP_TIMEOUT;
        while !self.child.exited() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.child.stop_now();
        let path = self.dir.path().to_owned();
        self.dir
            .close()
            .map_err(DemoError::io(format!("removing {}", path.display())))?;
        Ok(path)
    }
}

/// The three accounts, registered with the fake (which issues their first tokens) and as the
/// pool's `accounts.json`. All windows start equal so new sessions spread over the accounts.
fn demo_pool(fake: &FakeBackend) -> AccountsFile {
    let mut file = AccountsFile::default();
    for a in ACCOUNTS {
        let issued = fake.add_account(FakeAccount::new(a.workspace, a.plan));
        fake.set_usage(
            a.workspace,
            UsageState::used(a.plan, START_USED, START_USED / 3.0),
        );
        let mut account = StoredAccount::with_tokens(StoredTokens {
            access_token: Secret::new(issued.access_token),
            refresh_token: Secret::new(issued.refresh_token),
            id_token: Some(Secret::new(issued.id_token)),
            expires_at: None,
        });
        account.label = Some(a.label.to_owned());
        account.source = Some("manual".to_owned());
        file.accounts.push(account);
    }
    file
}

/// Everything the daemon may see of an environment.
fn daemon_env(root: &Path, fake: &FakeBackend) -> Vec<(&'static str, String)> {
    let path = |p: PathBuf| p.to_string_lossy().into_owned();
    vec![
        ("CODEX_ROUTER_HOME", path(root.join("router"))),
        ("CODEX_HOME", path(root.join("codex"))),
        ("HOME", path(root.to_owned())),
        ("CODEX_ROUTER_LISTEN", "127.0.0.1:0".to_owned()),
        ("CODEX_ROUTER_UPSTREAM", fake.base_url()),
        ("CODEX_ROUTER_ISSUER", fake.issuer_url()),
        ("CODEX_ROUTER_LOG", "info".to_owned()),
        ("NO_PROXY", "127.0.0.1,localhost".to_owned()),
    ]
}

/// `method` without parameters; the daemon's error answer becomes an error naming the method.
async fn call(daemon: &mut IpcClient, method: &str) -> Result<Value, DemoError> {
    daemon
        .call_with_timeout(method, json!({}), Some(codex_router_ipc::DEFAULT_CALL_TIMEOUT))
        .await
        .map_err(|source| DemoError::Daemon {
            method: method.to_owned(),
            source: Box::new(source),
        })
}

/// A connection to the demo's daemon once it answers `ping`. The lock-holder checks of
/// `codexctl`'s own probe are not needed: this daemon is our child, in a directory only we know.
async fn answers_ping(paths: &RouterPaths) -> Option<IpcClient> {
    let mut client = IpcClient::connect(&paths.socket).await.ok()?;
    client
        .call_with_timeout(methods::PING, json!({}), Some(PING_TIMEOUT))
        .await
        .ok()?;
    Some(client)
}

/// Waits for the daemon to answer `ping`; its early exit ends the wait with its last log lines.
async fn wait_ready(
    paths: &RouterPaths,
    child: &mut DaemonChild,
    log: &Path,
) -> Result<IpcClient, DemoError> {
    let deadline = Instant::now() + READY_TIMEOUT;
    let mut pause = Duration::from_millis(10);
    loop {
        if let Some(daemon) = answers_ping(paths).await {
            return Ok(daemon);
        }
        if child.exited() || Instant::now() >= deadline {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(10).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(DemoError::NotReady(tail.join("\n")));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// The daemon process, stopped on drop if nobody stopped it before.
struct DaemonChild {
    child: Option<Child>,
    terminate: Terminate,
}

/// Variables scrubbed where the environment cannot be cleared (Windows needs its system ones).
#[cfg(not(unix))]
const SCRUBBED: &[&str] = &[
    "CODEX_AUTH_FETCH_TIMEOUT_MS",
    "CODEX_AUTH_STREAM_STALL_TIMEOUT_MS",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "ALL_PROXY",
];

impl DaemonChild {
    fn spawn(
        exe: &Path,
        env: &[(&'static str, String)],
        log_path: &Path,
        terminate: Terminate,
    ) -> Result<Self, DemoError> {
        let log = std::fs::File::create(log_path)
            .map_err(DemoError::io(format!("creating {}", log_path.display())))?;
        let mut cmd = Command::new(exe);
        #[cfg(unix)]
        cmd.env_clear();
        #[cfg(not(unix))]
        for key in SCRUBBED {
            cmd.env_remove(key);
        }
        cmd.envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let child = cmd
            .spawn()
            .map_err(DemoError::io(format!("starting {}", exe.display())))?;
        Ok(Self {
            child: Some(child),
            terminate,
        })
    }

    fn exited(&mut self) -> bool {
        self.child
            .as_mut()
            .is_none_or(|c| !matches!(c.try_wait(), Ok(None)))
    }

    /// SIGTERM, a short wait, then SIGKILL; always reaps. Blocking, but only at teardown.
    fn stop_now(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        let _ = (self.terminate)(child.id());
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for DaemonChild {
    fn drop(&mut self) {
        self.stop_now();
    }
}
