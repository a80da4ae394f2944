//! The daemon's background work: coalesced `state.json` writes and proactive token refresh.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use codex_router_core::Timestamp;
use codex_router_core::account::AccountStatus;
use tokio_util::sync::CancellationToken;

use crate::refresh::RefreshFailure;
use crate::runtime::{Credentials, Runtime};

/// Refresh this long before an access token expires (SPEC §6).
pub const PROACTIVE_WINDOW: Duration = Duration::from_secs(300);
/// A token this close to expiry is refreshed before a request uses it, saving a 401 round trip.
pub const INLINE_WINDOW: Duration = Duration::from_secs(30);
/// At most one `state.json` write per this interval (SPEC §3).
const STATE_COALESCE: Duration = Duration::from_secs(1);
/// ...and at least this many times the last write's duration apart, so the writer's share of the
/// machine stays under 1/20 however large the state grows (with 100 000 live sessions one write
/// encodes ~18 MB of JSON).
const STATE_WRITE_SHARE: u32 = 20;

/// How long the writer waits after a change before writing again, given how long the last write
/// took.
pub(crate) fn state_gap(last_write: Duration) -> Duration {
    STATE_COALESCE.max(last_write.saturating_mul(STATE_WRITE_SHARE))
}
const REFRESH_SCAN: Duration = Duration::from_secs(30);
/// Gap between proactive refreshes of different accounts, so they do not all hit the issuer at once.
/// Pause between two proactive refreshes, so a pool whose tokens expire together does not
/// refresh them all at once (SPEC §6 "staggered").
pub const STAGGER: Duration = Duration::from_secs(2);

impl Runtime {
    /// Credentials for a request, refreshing first (single flight) if the token is about to expire.
    pub async fn fresh_credentials(&self, id: &str) -> Result<Credentials, RefreshFailure> {
        let creds = self.credentials(id).ok_or(RefreshFailure::UnknownAccount)?;
        let expiring = creds
            .expires_at
            .is_some_and(|e| e <= self.now().plus(INLINE_WINDOW));
        if !expiring {
            return Ok(creds);
        }
        self.refresh(id, Some(&creds.access_token)).await?;
        self.credentials(id).ok_or(RefreshFailure::UnknownAccount)
    }

    /// Writes `state.json` at most once per second while the pool changes (less often when one
    /// write takes more than a twentieth of that, see [`STATE_WRITE_SHARE`]), and once more on
    /// shutdown.
    pub async fn run_state_flusher(self, shutdown: CancellationToken) {
        let mut gap = STATE_COALESCE;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.inner.state_notify.notified() => {}
            }
            if !self.inner.state_dirty.load(Ordering::Acquire) {
                continue;
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(gap) => {}
            }
            let started = std::time::Instant::now();
            if let Err(e) = self.flush_state().await {
                tracing::warn!(error = %e, "could not write state.json");
            }
            gap = state_gap(started.elapsed());
        }
        if let Err(e) = self.flush_state().await {
            tracing::warn!(error = %e, "could not write state.json at shutdown");
        }
    }

    /// Accounts whose token expires within [`PROACTIVE_WINDOW`], or whose last refresh was
    /// interrupted by a crash, in pool order.
    pub fn refresh_due(&self, now: Timestamp) -> Vec<String> {
        let usable: Vec<String> = self.with_pool_read(|p| {
            p.accounts()
                .iter()
                // `not_entitled` accounts too: a refreshed token may show another plan, the
                // only way that state clears by itself (SPEC §4.2).
                .filter(|a| a.enabled && matches!(a.status, AccountStatus::Ok | AccountStatus::NotEntitled))
                .map(|a| a.id.clone())
                .collect()
        });
        let doc = self.inner.doc.lock();
        doc.accounts
            .iter()
            .filter(|a| a.id.as_ref().is_some_and(|id| usable.contains(id)))
            .filter(|a| {
                a.refresh_in_flight_since.is_some()
                    || a.tokens
                        .expires_at
                        .is_some_and(|e| e <= now.plus(PROACTIVE_WINDOW))
            })
            .filter_map(|a| a.id.clone())
            .collect()
    }

    /// Refreshes tokens before they expire, staggered, retrying transient failures with backoff.
    pub async fn run_proactive_refresh(self, shutdown: CancellationToken) {
        self.run_proactive_refresh_every(shutdown, STAGGER).await;
    }

    /// [`Self::run_proactive_refresh`] with another pause between refreshes (tests).
    pub async fn run_proactive_refresh_every(self, shutdown: CancellationToken, stagger: Duration) {
        let mut backoff: HashMap<String, (Timestamp, Duration)> = HashMap::new();
        loop {
            let now = self.now();
            for id in self.refresh_due(now) {
                if backoff.get(&id).is_some_and(|(next, _)| *next > now) {
                    continue;
                }
                // The list was taken before the stagger: a request may have refreshed this
                // account meanwhile, and its fresh token must not be refreshed again.
                if !self.refresh_due(self.now()).contains(&id) {
                    continue;
                }
                let observed = self.credentials(&id).map(|c| c.access_token);
                match self.refresh(&id, observed.as_ref()).await {
                    Err(RefreshFailure::Transient(_)) => {
                        let prev = backoff.get(&id).map_or(Duration::from_secs(5), |(_, d)| *d * 2);
                        let wait = prev.min(PROACTIVE_WINDOW);
                        backoff.insert(id, (self.now().plus(wait), wait));
                    }
                    _ => {
                        backoff.remove(&id);
                    }
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(stagger) => {}
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(REFRESH_SCAN) => {}
            }
        }
    }

    /// Reads the pool without signalling a change.
    pub fn with_pool_read<R>(&self, f: impl FnOnce(&codex_router_core::pool::Pool) -> R) -> R {
        f(&self.inner.pool.lock())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_writer_spaces_slow_writes_to_bound_its_share() {
        assert_eq!(state_gap(Duration::ZERO), STATE_COALESCE);
        assert_eq!(
            state_gap(Duration::from_millis(7)),
            STATE_COALESCE,
            "10 000 sessions"
        );
        assert_eq!(
            state_gap(Duration::from_millis(150)),
            Duration::from_secs(3),
            "100 000 sessions"
        );
    }
}
