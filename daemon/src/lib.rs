//! `codex-routerd`: the per-user daemon that owns the account pool and serves the loopback
//! proxy (SPEC §1) and the control socket `codexctl` talks to (SPEC §9). `main.rs` only turns
//! [`main_with`]'s result into an exit code.
//!
//! # Start-up order
//! It matters, and each step says why it comes where it does:
//! 1. `run/daemon.lock` (in [`main_with`]): a second daemon exits at once with the first one's pid.
//! 2. Settings: a bad file is a clear error before anything is touched.
//! 3. `run/accounts.lock`, held for the daemon's life: it is the only writer of `accounts.json`.
//! 4. The pool (`accounts.json`, `state.json`).
//! 5. The proxy listener, on exactly the configured address (never a fallback port).
//! 6. The control socket. A live daemon answering on it means another daemon owns this home:
//!    exit non-zero without touching anything of its.
//! 7. `run/daemon.json`, only now: whoever reads it can reach both sockets at once.
//! 8. Serving; [`RunOptions::ready`] is told.
//!
//! # Shut-down order
//! `daemon.stop` or SIGTERM cancel one token. Both servers stop accepting; in-flight streams get
//! up to `[proxy] drain_timeout` to finish; then background tasks stop, `state.json` is written
//! once, and `daemon.json` and the socket are removed.
//!
//! # Layout
//! [`status`] builds `status --json`; [`ipc`] answers the control methods; [`binding`] reads
//! the bind state; [`env`] is the captured environment; [`config`] maps settings onto the
//! runtime's and proxy's types; [`lifecycle`] has the locks and signals; [`logging`] the logger;
//! [`port_owner`] names the process holding a listen address that is in use.

pub mod binding;
pub mod config;
pub mod env;
pub mod ipc;
pub mod lifecycle;
pub mod logging;
pub mod memory;
pub mod native;
pub mod port_owner;
pub mod status;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use codex_router_ipc::IpcError;
use codex_router_oauth::OAuthClient;
use codex_router_proxy::ProxyState;
use codex_router_runtime::{Runtime, RuntimeOptions, SystemClock};
use codex_router_settings::Settings;
use codex_router_store::{DaemonInfo, RouterPaths};
use tokio_util::sync::CancellationToken;

pub use env::DaemonEnv;

use crate::ipc::Control;
use crate::status::DaemonFacts;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Why the daemon could not run, for the exit code.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Optional inputs of [`run_with`].
#[derive(Default)]
pub struct RunOptions {
    /// The environment `config show`/`config reload` read and the Codex home comes from;
    /// `None`: this process's.
    pub env: Option<DaemonEnv>,
    /// Told where the daemon listens once both sockets accept and `daemon.json` is written.
    pub ready: Option<tokio::sync::oneshot::Sender<Ready>>,
    /// Where "now" comes from; `None`: the wall clock. Tests move a manual one.
    pub clock: Option<Arc<dyn codex_router_runtime::Clock>>,
}

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("env", &self.env)
            .field("ready", &self.ready)
            .field("clock", &self.clock.as_ref().map(|_| "manual"))
            .finish()
    }
}

/// Where a started daemon can be reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ready {
    pub listen: SocketAddr,
    pub socket: PathBuf,
}

/// Everything `main` does, with the environment passed in.
pub fn main_with(env: &dyn Fn(&str) -> Option<String>) -> Result<(), StartError> {
    let paths = RouterPaths::resolve(env).context("finding the router home")?;
    paths.ensure_dirs().context("creating the router home")?;
    let daemon_lock = lifecycle::take_daemon_lock(&paths)?;
    let text =
        codex_router_settings::read_file(&paths.config).map_err(|e| StartError::Config(e.to_string()))?;
    let settings = codex_router_settings::load(text.as_deref(), env)
        .map_err(|e| StartError::Config(format!("{}: {e}", paths.config.display())))?;
    let _log_guard = logging::init(&paths.logs_dir, settings.log_filter.as_deref())?;
    let rt = runtime_builder().enable_all().build().context("starting tokio")?;
    let shutdown = CancellationToken::new();
    lifecycle::watch_signals_on(&rt, shutdown.clone());
    let opts = RunOptions {
        env: Some(DaemonEnv::capture(env)),
        ready: None,
        clock: None,
    };
    let res = rt.block_on(run_with(paths, settings, shutdown, opts));
    if let Err(e) = &res {
        tracing::error!(error = %format!("{e:#}"), "codex-routerd stopped");
    }
    drop(daemon_lock);
    res.map_err(StartError::Other)
}

/// Serves until `shutdown` is cancelled, then drains and flushes. The caller holds
/// `run/daemon.lock` ([`lifecycle::take_daemon_lock`]).
pub async fn run(paths: RouterPaths, settings: Settings, shutdown: CancellationToken) -> anyhow::Result<()> {
    run_with(paths, settings, shutdown, RunOptions::default()).await
}

/// [`run`] with an explicit environment and a readiness signal.
pub async fn run_with(
    paths: RouterPaths,
    settings: Settings,
    shutdown: CancellationToken,
    opts: RunOptions,
) -> anyhow::Result<()> {
    let env = opts.env.unwrap_or_else(DaemonEnv::from_process);
    let _accounts_lock = lifecycle::take_accounts_lock(&paths)?;
    let stale = codex_router_store::remove_stale_tmp(&paths.home, Duration::from_secs(60))
        + codex_router_store::remove_stale_tmp(&paths.run_dir, Duration::from_secs(60));
    if stale > 0 {
        tracing::info!(count = stale, "removed temp files left by an earlier crash");
    }
    lifecycle::raise_nofile_limit();
    let client_key =
        codex_router_store::load_or_create_client_key(&paths.client_key).context("loading client.key")?;
    let http = codex_router_oauth::client_builder(settings.upstream.connect_timeout)
        .build()
        .context("building the HTTP client")?;
    let oauth = OAuthClient::new(
        http.clone(),
        settings.oauth.issuer.clone(),
        settings.oauth.client_id.clone(),
    );
    let runtime = Runtime::open(RuntimeOptions {
        paths: paths.clone(),
        pool_config: settings.rotation.pool.clone(),
        oauth,
        clock: opts.clock.clone().unwrap_or_else(|| Arc::new(SystemClock)),
    })
    .context("loading the account pool")?;
    let listener = bind(settings.proxy.listen.socket_addr()).await?;
    let local = listener.local_addr().context("reading the bound address")?;
    let control_socket = codex_router_ipc::bind(&paths.socket).map_err(|e| control_bind_error(e, &paths))?;
    let facts = DaemonFacts {
        pid: std::process::id(),
        version: VERSION,
        instance_id: instance_id(),
        started_at: runtime.now(),
        listen: local,
        socket: paths.socket.clone(),
        bind_dir: paths.bind_dir.clone(),
        codex_config: env.codex_config().map(PathBuf::from),
    };
    write_daemon_info(&paths, &facts)?;
    let proxy = ProxyState::new(
        runtime.clone(),
        http,
        client_key.clone(),
        config::proxy_config(&settings),
    );
    let control = Arc::new(Control::new(
        runtime.clone(),
        proxy.clone(),
        paths.clone(),
        env,
        facts,
        client_key,
        settings,
        shutdown.clone(),
    ));
    let serving = lifecycle::Serving::spawn(control, listener, control_socket);
    let n = runtime.snapshot().accounts.len();
    tracing::info!(listen = %local, accounts = n, version = VERSION, "codex-routerd ready");
    if n == 0 {
        tracing::warn!(
            "the pool has no account yet: add one with `codexctl accounts login` or `codexctl accounts import`"
        );
    }
    if let Some(ready) = opts.ready {
        let _ = ready.send(Ready {
            listen: local,
            socket: paths.socket.clone(),
        });
    }
    shutdown.cancelled().await;
    serving.stop().await
}

/// Connections a burst may queue before the daemon accepts them (a thousand Codex streams can
/// open at once; the kernel caps this at `net.core.somaxconn`).
const LISTEN_BACKLOG: u32 = 4096;

async fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    let listen = || -> std::io::Result<tokio::net::TcpListener> {
        let socket = if addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        #[cfg(unix)]
        socket.set_reuseaddr(true)?;
        socket.bind(addr)?;
        socket.listen(LISTEN_BACKLOG)
    };
    match listen() {
        Ok(l) => Ok(l),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            anyhow::bail!(port_owner::in_use_message(addr))
        }
        Err(e) => Err(e).with_context(|| format!("binding the proxy to {addr}")),
    }
}

fn control_bind_error(e: IpcError, paths: &RouterPaths) -> anyhow::Error {
    match e {
        IpcError::AlreadyInUse { endpoint } => {
            let pid = codex_router_store::read_daemon_info(&paths.daemon_json)
                .ok()
                .flatten()
                .map(|i| i.pid);
            let who = pid.map_or_else(String::new, |p| format!(" (pid {p})"));
            anyhow::anyhow!("another codex-routerd{who} already answers on {endpoint}; stop it first")
        }
        other => anyhow::Error::new(other).context("binding the control socket"),
    }
}

fn write_daemon_info(paths: &RouterPaths, facts: &DaemonFacts) -> anyhow::Result<()> {
    let info = DaemonInfo {
        pid: facts.pid,
        version: VERSION.to_owned(),
        instance_id: facts.instance_id.clone(),
        listen: facts.listen.to_string(),
        started_at: facts.started_at,
        socket: paths.socket.clone(),
    };
    codex_router_store::write_daemon_info(&paths.daemon_json, &info).context("writing run/daemon.json")
}

fn instance_id() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..8).map(|_| format!("{:02x}", rng.random::<u8>())).collect()
}

/// One worker thread unless `TOKIO_WORKER_THREADS` says otherwise: the daemon spends a tenth of a
/// core on a thousand streams, and a single worker saves the cross-thread wake-ups that cost
/// latency on every relayed event (measured in docs/benchmarks.md). File IO runs on the
/// blocking pool either way.
fn runtime_builder() -> tokio::runtime::Builder {
    let mut b = tokio::runtime::Builder::new_multi_thread();
    if std::env::var_os("TOKIO_WORKER_THREADS").is_none() {
        b.worker_threads(1);
    }
    b
}
