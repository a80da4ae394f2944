//! Asking `/wham/usage` when a usage limit named no reset (SPEC §4.2 429 row).

use std::time::Duration;

use codex_router_core::Timestamp;
use codex_router_core::quota::from_usage_body;
use codex_router_runtime::Credentials;

use crate::{ProxyConfig, ProxyState};

/// Bound on the one usage probe a usage limit may trigger; the request is waiting on it.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// The reset of the tightest exhausted window according to `/wham/usage`, if it says.
pub async fn probe_reset(state: &ProxyState, cfg: &ProxyConfig, creds: &Credentials) -> Option<Timestamp> {
    let url = format!("{}/wham/usage", cfg.upstream_base);
    let mut req = state.http.get(url).bearer_auth(creds.access_token.expose());
    if let Some(id) = &creds.chatgpt_account_id {
        req = req.header("chatgpt-account-id", id);
    }
    let resp = tokio::time::timeout(PROBE_TIMEOUT, req.send()).await.ok()?.ok()?;
    if !resp.status().is_success() {
        return None;
    }
    let body: serde_json::Value = tokio::time::timeout(PROBE_TIMEOUT, resp.json())
        .await
        .ok()?
        .ok()?;
    let now = state.runtime.now();
    let reading = from_usage_body(&body, now)?;
    // Only an exhausted window names "the window's reset" (SPEC §4.2). A reading where no
    // window is at 100 % dates nothing: taking the fullest window anyway cooled an account for
    // up to a week (the weekly window's reset) on a reading of a few percent. `None` lets the
    // caller fall back to 60 s doubling. When several windows are exhausted the account is
    // blocked until the last of them resets.
    reading.blocked_until(100.0, now).flatten().filter(|r| *r > now)
}
