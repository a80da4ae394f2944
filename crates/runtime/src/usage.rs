//! Usage polling (docs/quota.md): reading every account's windows from `GET {base}/wham/usage`.
//!
//! One poll per account at a time, on the schedule the core decides (`Pool::next_usage_poll`:
//! the regular interval, plus probes for early resets of rate-limited accounts), jittered so
//! accounts do not poll in lockstep, backed off on errors, and once right after an account's
//! token changes. A poll only ever presents an access token; an expired one goes through the
//! normal single-flight refresh first.

use std::collections::HashMap;
use std::time::Duration;

use codex_router_core::Timestamp;
use codex_router_core::quota::{QuotaReading, from_usage_body};
use codex_router_core::usage::Applied;
use rand::Rng;
use tokio_util::sync::CancellationToken;

use crate::runtime::Runtime;

/// Bound on one usage call.
const POLL_TIMEOUT: Duration = Duration::from_secs(15);
/// Longest wait between two scheduler passes (picks up new accounts and config changes).
const MAX_IDLE: Duration = Duration::from_secs(30);
const CHANGE_DEBOUNCE: Duration = Duration::from_secs(1);

#[derive(Clone, Debug)]
pub struct PollConfig {
    /// `https://chatgpt.com/backend-api`, no trailing slash.
    pub base_url: String,
    pub interval: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error("the account needs a login or is unknown")]
    NoCredentials,
    #[error("usage request failed: {0}")]
    Http(String),
    #[error("usage answer had status {0}")]
    Status(u16),
    #[error("usage answer had no rate-limit windows")]
    NoReading,
}

/// Per-account poll bookkeeping, owned by the poller task.
#[derive(Default)]
struct Track {
    last: Option<Timestamp>,
    errors: u32,
    token_seen: Option<String>,
}

impl Runtime {
    /// One poll of `id`, applied to the pool.
    pub async fn poll_usage(
        &self,
        http: &reqwest::Client,
        base_url: &str,
        id: &str,
    ) -> Result<Applied, PollError> {
        let mut creds = self
            .fresh_credentials(id)
            .await
            .map_err(|_| PollError::NoCredentials)?;
        let mut refreshed = false;
        loop {
            let mut req = http
                .get(format!("{base_url}/wham/usage"))
                .bearer_auth(creds.access_token.expose());
            if let Some(acct) = &creds.chatgpt_account_id {
                req = req.header("chatgpt-account-id", acct);
            }
            let resp = tokio::time::timeout(POLL_TIMEOUT, req.send())
                .await
                .map_err(|_| PollError::Http("timed out".into()))?
                .map_err(|e| PollError::Http(e.without_url().to_string()))?;
            let status = resp.status().as_u16();
            if status == 401 && !refreshed {
                self.refresh(id, Some(&creds.access_token))
                    .await
                    .map_err(|_| PollError::NoCredentials)?;
                creds = self.credentials(id).ok_or(PollError::NoCredentials)?;
                refreshed = true;
                continue;
            }
            if !(200..300).contains(&status) {
                return Err(PollError::Status(status));
            }
            let body: serde_json::Value = tokio::time::timeout(POLL_TIMEOUT, resp.json())
                .await
                .map_err(|_| PollError::Http("timed out reading".into()))?
                .map_err(|e| PollError::Http(e.without_url().to_string()))?;
            let now = self.now();
            let reading: QuotaReading = from_usage_body(&body, now).ok_or(PollError::NoReading)?;
            let applied = self.with_pool(|p| p.apply_usage(id, reading, now));
            if applied == Applied::ResetEarly {
                tracing::info!(account = %self.label_of(id), "usage window reset early; the account is usable again");
            }
            return Ok(applied);
        }
    }

    /// Polls every account on its schedule until `shutdown`.
    ///
    /// `config` is asked on every pass, so a `config reload` of the interval or the upstream
    /// applies without restarting the poller.
    pub async fn run_usage_poller(
        self,
        http: reqwest::Client,
        config: impl Fn() -> PollConfig + Send + 'static,
        shutdown: CancellationToken,
    ) {
        let mut tracks: HashMap<String, Track> = HashMap::new();
        let mut changes = self.subscribe_changes();
        loop {
            let cfg = config();
            let now = self.now();
            let mut next_wake = now.plus(MAX_IDLE);
            for (id, token) in self.poll_candidates() {
                let t = tracks.entry(id.clone()).or_default();
                let token_changed = t.token_seen.as_deref() != Some(token.as_str());
                let due = if token_changed {
                    Some(now)
                } else {
                    self.with_pool_read(|p| {
                        p.next_usage_poll(&id, t.last, backoff(cfg.interval, t.errors), now)
                    })
                };
                let Some(due) = due else { continue };
                if due > now {
                    next_wake = next_wake.min(due);
                    continue;
                }
                let result = self.poll_usage(&http, &cfg.base_url, &id).await;
                t.last = Some(self.now().plus(jitter(cfg.interval)));
                t.token_seen = Some(token);
                match result {
                    Ok(_) => t.errors = 0,
                    Err(e) => {
                        t.errors = t.errors.saturating_add(1);
                        self.with_pool(|p| p.note_usage_poll_failure());
                        tracing::debug!(account = %self.label_of(&id), error = %e, "usage poll failed");
                    }
                }
            }
            let wait = self.now().until(next_wake).max(Duration::from_millis(200));
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
                _ = changes.changed() => {
                    // Pool changes come with every request: look at most once a second.
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(CHANGE_DEBOUNCE) => {}
                    }
                    changes.borrow_and_update();
                }
            }
        }
    }

    /// Accounts that may be polled, with a fingerprint of their current access token (so a
    /// refresh or a new login triggers an immediate poll). The fingerprint is a hash: the token
    /// itself never leaves the document lock.
    fn poll_candidates(&self) -> Vec<(String, String)> {
        use sha2::{Digest, Sha256};
        let usable: Vec<String> = self.with_pool_read(|p| {
            p.accounts()
                .iter()
                .filter(|a| a.enabled && a.status == codex_router_core::account::AccountStatus::Ok)
                .map(|a| a.id.clone())
                .collect()
        });
        let doc = self.inner.doc.lock();
        doc.accounts
            .iter()
            .filter_map(|a| {
                let id = a.id.clone()?;
                usable.contains(&id).then(|| {
                    let d = Sha256::digest(a.tokens.access_token.expose().as_bytes());
                    (id, d[..8].iter().map(|b| format!("{b:02x}")).collect())
                })
            })
            .collect()
    }
}

/// The interval, doubled per consecutive error (capped at 8×).
fn backoff(interval: Duration, errors: u32) -> Duration {
    interval.saturating_mul(1 << errors.min(3))
}

/// Up to ±10 % of the interval, folded into the recorded poll time.
fn jitter(interval: Duration) -> Duration {
    let tenth = interval.as_millis() / 10;
    let ms = rand::rng().random_range(0..=u64::try_from(tenth).unwrap_or(u64::MAX));
    Duration::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_back_off_doubling_up_to_eight_times_the_interval() {
        let iv = Duration::from_secs(300);
        let got: Vec<u64> = (0..6).map(|e| backoff(iv, e).as_secs()).collect();
        assert_eq!(got, [300, 600, 1200, 2400, 2400, 2400]);
    }

    #[test]
    fn jitter_stays_within_a_tenth_of_the_interval_and_varies() {
        let iv = Duration::from_secs(300);
        let samples: Vec<Duration> = (0..200).map(|_| jitter(iv)).collect();
        assert!(samples.iter().all(|j| *j <= Duration::from_secs(30)));
        let distinct: std::collections::HashSet<_> = samples.iter().collect();
        assert!(distinct.len() > 10, "accounts must not poll in lockstep");
    }
}
