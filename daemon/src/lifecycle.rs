//! Start-up and shut-down mechanics: the single-instance lock, the writer lock, signals.

use std::time::Duration;

use anyhow::{Context, bail};
use codex_router_store::{FileLock, RouterPaths, lock_with_timeout, read_lock_pid, try_lock};
use tokio_util::sync::CancellationToken;

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
