//! `codex-routerd`: the per-user daemon that owns the account pool and serves the loopback
//! proxy (SPEC §1). `main.rs` only turns [`main_with`]'s result into an exit code.
//!
//! Start-up order matters: the single-instance lock first (so a second daemon exits at once
//! with the first one's pid), then settings (a bad file is a clear error before anything is
//! touched), then the writer lock on `accounts.json`, the pool, the listener (never a fallback
//! port), and only then `daemon.json` and the control socket.

pub mod config;
pub mod lifecycle;
pub mod logging;
pub mod status;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use codex_router_core::Timestamp;
use codex_router_oauth::OAuthClient;
use codex_router_proxy::ProxyState;
use codex_router_runtime::{Runtime, RuntimeOptions, SystemClock};
use codex_router_settings::Settings;
use codex_router_store::{DaemonInfo, RouterPaths};
use tokio_util::sync::CancellationToken;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Why the daemon could not run, for the exit code.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
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
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting tokio")?;
    let shutdown = CancellationToken::new();
    lifecycle::watch_signals_on(&rt, shutdown.clone());
    let res = rt.block_on(run(paths, settings, shutdown));
    if let Err(e) = &res {
        tracing::error!(error = %format!("{e:#}"), "codex-routerd stopped");
    }
    drop(daemon_lock);
    res.map_err(StartError::Other)
}

/// Serves until `shutdown` is cancelled, then drains and flushes.
pub async fn run(paths: RouterPaths, settings: Settings, shutdown: CancellationToken) -> anyhow::Result<()> {
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
        pool_config: config::pool_config(&settings),
        oauth,
        clock: Arc::new(SystemClock),
    })
    .context("loading the account pool")?;
    let listen = settings.proxy.listen.socket_addr();
    let listener = bind(listen).await?;
    let local = listener.local_addr().context("reading the bound address")?;
    let started_at = runtime.now();
    write_daemon_info(&paths, local, started_at)?;
    let state = ProxyState::new(runtime.clone(), http, client_key, config::proxy_config(&settings));
    let tasks = CancellationToken::new();
    tokio::spawn(runtime.clone().run_state_flusher(tasks.clone()));
    tokio::spawn(runtime.clone().run_proactive_refresh(tasks.clone()));
    let n = runtime.snapshot().accounts.len();
    tracing::info!(listen = %local, accounts = n, version = VERSION, "codex-routerd ready");
    let server = tokio::spawn(codex_router_proxy::serve(listener, state, shutdown.clone()));
    shutdown.cancelled().await;
    match tokio::time::timeout(settings.proxy.drain_timeout, server).await {
        Ok(_) => tracing::info!("all streams drained"),
        Err(_) => tracing::warn!(
            timeout = ?settings.proxy.drain_timeout,
            "drain window over; closing the remaining streams"
        ),
    }
    tasks.cancel();
    runtime
        .flush_state()
        .await
        .context("writing state.json at shutdown")?;
    let _ = codex_router_store::remove_daemon_info(&paths.daemon_json);
    tracing::info!("codex-routerd stopped");
    Ok(())
}

async fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => Ok(l),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => anyhow::bail!(
            "listen address {addr} is already in use by another process; codex-routerd never falls back to another \
             port (set [proxy] listen or CODEX_ROUTER_LISTEN)"
        ),
        Err(e) => Err(e).with_context(|| format!("binding the proxy to {addr}")),
    }
}

fn write_daemon_info(paths: &RouterPaths, local: SocketAddr, started_at: Timestamp) -> anyhow::Result<()> {
    let info = DaemonInfo {
        pid: std::process::id(),
        version: VERSION.to_owned(),
        instance_id: instance_id(),
        listen: local.to_string(),
        started_at,
        socket: paths.socket.clone(),
    };
    codex_router_store::write_daemon_info(&paths.daemon_json, &info).context("writing run/daemon.json")
}

fn instance_id() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..8).map(|_| format!("{:02x}", rng.random::<u8>())).collect()
}
