//! Start-up and shut-down mechanics: the single-instance lock, the writer lock, signals, and
//! [`Serving`], which starts the servers and stops them in order.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use codex_router_ipc::IpcListener;
use codex_router_store::{FileLock, RouterPaths, lock_with_timeout, read_lock_pid, try_lock};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::ipc::{Control, ControlHandler};

/// How long shut-down waits for control connections to finish their current request.
const IPC_DRAIN: Duration = Duration::from_secs(5);

/// How long a starting daemon waits for a `codexctl` that is writing `accounts.json`.
const ACCOUNTS_LOCK_WAIT: Duration = Duration::from_secs(30);

/// Takes `run/daemon.lock` for the daemon's life, or says who holds it.
pub fn take_daemon_lock(paths: &RouterPaths) -> anyhow::Result<FileLock> {
    match try_lock(&paths.daemon_lock).context("taking run/daemon.lock")? {
        Some(mut lock) => {
            lock.write_pid()
                .context("recording the daemon pid in run/daemon.lock")?;
            Ok(lock)
        }
        None => match read_lock_pid(&paths.daemon_lock) {
            Some(pid) => bail!(
                "already running (pid {pid}) for router home {}",
                paths.home.display()
            ),
            None => bail!(
                "already running (another process holds {})",
                paths.daemon_lock.display()
            ),
        },
    }
}

/// Takes `run/accounts.lock`, waiting for a `codexctl` that holds it for one change.
pub fn take_accounts_lock(paths: &RouterPaths) -> anyhow::Result<FileLock> {
    lock_with_timeout(&paths.accounts_lock, ACCOUNTS_LOCK_WAIT)
        .context("taking run/accounts.lock")?
        .with_context(|| {
            format!(
                "another process kept {} locked for {}s; is a codexctl command stuck?",
                paths.accounts_lock.display(),
                ACCOUNTS_LOCK_WAIT.as_secs()
            )
        })
}

/// Raises the open-files soft limit to the hard limit: thousands of streams need more than 1024.
pub fn raise_nofile_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => tracing::debug!(limit = n, "open-files limit"),
        Err(e) => tracing::warn!(error = %e, "could not raise the open-files limit"),
    }
}

/// Cancels `shutdown` on the first SIGTERM / Ctrl-C; a second one ends the process at once.
pub fn watch_signals_on(rt: &tokio::runtime::Runtime, shutdown: CancellationToken) {
    rt.spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down: draining in-flight streams (signal again to stop at once)");
        shutdown.cancel();
        wait_for_signal().await;
        tracing::warn!("second signal: stopping now");
        std::process::exit(130);
    });
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

/// The proxy, the control socket and the background tasks of a running daemon.
pub struct Serving {
    control: Arc<Control>,
    /// Both servers stop accepting when `control.shutdown` is cancelled, then finish what runs.
    proxy: JoinHandle<std::io::Result<()>>,
    ipc: JoinHandle<Result<(), codex_router_ipc::IpcError>>,
    /// Stops the state flusher and the proactive refresh; cancelled only after the drain, so
    /// streams that finish during it still have their state written.
    tasks: CancellationToken,
    flusher: JoinHandle<()>,
}

impl Serving {
    pub fn spawn(control: Arc<Control>, listener: tokio::net::TcpListener, socket: IpcListener) -> Self {
        let runtime = &control.runtime;
        let shutdown = control.shutdown.clone();
        let tasks = CancellationToken::new();
        let flusher = tokio::spawn(runtime.clone().run_state_flusher(tasks.clone()));
        tokio::spawn(crate::memory::run_trimmer(runtime.clone(), tasks.clone()));
        tokio::spawn(runtime.clone().run_proactive_refresh(tasks.clone()));
        let settings_of = control.clone();
        let poll = move || {
            let s = settings_of.settings.lock();
            codex_router_runtime::usage::PollConfig {
                base_url: s.upstream.base_url.trim_end_matches('/').to_owned(),
                interval: s.quota.poll_interval,
            }
        };
        tokio::spawn(
            runtime
                .clone()
                .run_usage_poller(control.proxy.http.clone(), poll, tasks.clone()),
        );
        tokio::spawn(crate::status::pace::run_sampler(
            runtime.clone(),
            control.pace.clone(),
            tasks.clone(),
        ));
        let proxy = tokio::spawn(codex_router_proxy::serve(
            listener,
            control.proxy.clone(),
            shutdown.clone(),
        ));
        let handler = Arc::new(ControlHandler::new(control.clone()));
        let ipc = tokio::spawn(codex_router_ipc::serve(socket, handler, shutdown));
        Self {
            control,
            proxy,
            ipc,
            tasks,
            flusher,
        }
    }

    /// After the shutdown token fired: drain the proxy (up to `[proxy] drain_timeout`, read now
    /// so a reload applies) and the control socket, stop the background tasks, write
    /// `state.json` once, remove `daemon.json`. The socket file goes with its listener.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let drain_timeout = self.control.settings.lock().proxy.drain_timeout;
        tokio::join!(
            drain("proxy", &mut self.proxy, drain_timeout),
            drain("control socket", &mut self.ipc, IPC_DRAIN)
        );
        self.tasks.cancel();
        // The flusher writes state.json once more as it stops: that is the one shut-down flush.
        if self.flusher.await.is_err() {
            self.control
                .runtime
                .flush_state()
                .await
                .context("writing state.json at shutdown")?;
        }
        let _ = codex_router_store::remove_daemon_info(&self.control.paths.daemon_json);
        tracing::info!("codex-routerd stopped");
        Ok(())
    }
}

/// Waits up to `limit` for a server task to finish its graceful stop, then ends it.
async fn drain<T>(what: &str, task: &mut JoinHandle<T>, limit: Duration) {
    match tokio::time::timeout(limit, &mut *task).await {
        Ok(_) => tracing::info!("{what}: drained"),
        Err(_) => {
            tracing::warn!(timeout = ?limit, "{what}: drain window over; closing what is left");
            task.abort();
        }
    }
}
