//! `accounts.json`, the pool with its secrets (SPEC §5), schema version 1.
//!
//! Only `version` and each account's `tokens.access_token` / `tokens.refresh_token` are
//! required, so a hand-written file works; everything else has a default and is derived by
//! the daemon and written back complete. Unknown fields are ignored so an older build can read
//! a newer build's file of the same version.

use std::fmt;
use std::path::{Path, PathBuf};

use codex_router_core::{Secret, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::state::{JsonLoad, load_json_checked, save_json};

/// The schema version this build reads and writes.
pub const ACCOUNTS_VERSION: u32 = 1;

/// What [`load_accounts`] found.
pub type AccountsLoad = JsonLoad<AccountsFile>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountsFile {
    pub version: u32,
    #[serde(default)]
    pub accounts: Vec<StoredAccount>,
}

impl Default for AccountsFile {
    fn default() -> Self {
        Self {
            version: ACCOUNTS_VERSION,
            accounts: Vec::new(),
        }
    }
}

/// One account as stored. `Debug` leaves out the email (and the tokens redact themselves),
/// because pool dumps end up in logs.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAccount {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub chatgpt_account_id: Option<String>,
    #[serde(default)]
    pub chatgpt_user_id: Option<String>,
    #[serde(default)]
    pub plan_type: Option<String>,
    pub tokens: StoredTokens,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    #[serde(default)]
    pub status: StoredStatus,
    #[serde(default)]
    pub status_reason: Option<String>,
    /// Set, and durably written, before a refresh token is presented: after a crash the daemon
    /// knows the token may already be spent.
    #[serde(default)]
    pub refresh_in_flight_since: Option<Timestamp>,
    #[serde(default)]
    pub added_at: Option<Timestamp>,
    #[serde(default)]
    pub last_refresh: Option<Timestamp>,
    /// `login`, `import:codex-auth`, `import:multi-auth` or `manual`.
    #[serde(default)]
    pub source: Option<String>,
    /// The Codex `auth.json` this account's refreshed tokens are written back to.
    #[serde(default)]
    pub linked_auth_json: Option<PathBuf>,
}

fn enabled_by_default() -> bool {
    true
}

impl StoredAccount {
    /// A new account holding just its tokens, every other field at its default.
    pub fn with_tokens(tokens: StoredTokens) -> Self {
        Self {
            id: None,
            label: None,
            email: None,
            chatgpt_account_id: None,
            chatgpt_user_id: None,
            plan_type: None,
            tokens,
            enabled: true,
            status: StoredStatus::Ok,
            status_reason: None,
            refresh_in_flight_since: None,
            added_at: None,
            last_refresh: None,
            source: None,
            linked_auth_json: None,
        }
    }
}

impl fmt::Debug for StoredAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredAccount")
            .field("id", &self.id)
            .field("label", &self.label)
            .field("chatgpt_account_id", &self.chatgpt_account_id)
            .field("chatgpt_user_id", &self.chatgpt_user_id)
            .field("plan_type", &self.plan_type)
            .field("tokens", &self.tokens)
            .field("enabled", &self.enabled)
            .field("status", &self.status)
            .field("status_reason", &self.status_reason)
            .field("refresh_in_flight_since", &self.refresh_in_flight_since)
            .field("added_at", &self.added_at)
            .field("last_refresh", &self.last_refresh)
            .field("source", &self.source)
            .field("linked_auth_json", &self.linked_auth_json)
            .finish_non_exhaustive()
    }
}

/// The token set; `Secret` keeps the values out of `Debug` and `Display`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredTokens {
    pub access_token: Secret,
    pub refresh_token: Secret,
    #[serde(default)]
    pub id_token: Option<Secret>,
    /// From the access token's `exp` claim when not stored.
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
}

/// Persisted account status: what must survive a restart (a cooldown does not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoredStatus {
    #[default]
    Ok,
    /// The refresh token was refused for good; the user must log in again.
    NeedsLogin,
    /// The backend reported the workspace or account deactivated, repeatedly.
    DisabledByUpstream,
    /// The plan does not include Codex.
    NotEntitled,
}

/// Read `accounts.json`. A file that is not valid JSON, has another `version`, or holds a
/// value of the wrong type is moved aside (see [`JsonLoad::Corrupt`]) and never overwritten.
pub fn load_accounts(path: &Path) -> Result<AccountsLoad, StoreError> {
    load_json_checked(path, check_version)
}

/// Write `accounts.json` atomically, mode `0600`, as pretty JSON with every field present.
pub fn save_accounts(path: &Path, file: &AccountsFile) -> Result<(), StoreError> {
    save_json(path, file, 0o600)
}

/// Check `version` before the full parse, so a file of another version is reported as such
/// rather than by the first field whose shape changed.
fn check_version(bytes: &[u8]) -> Result<(), String> {
    #[derive(Deserialize)]
    struct Probe {
        version: Option<serde_json::Value>,
    }
    let probe: Probe = serde_json::from_slice(bytes).map_err(|e| crate::json_error::describe(&e))?;
    match probe.version {
        None => Err("missing field `version` (this build reads version 1)".to_owned()),
        Some(serde_json::Value::Number(n)) if n.as_u64() == Some(u64::from(ACCOUNTS_VERSION)) => Ok(()),
        Some(serde_json::Value::Number(n)) => Err(format!(
            "unsupported version {n} (this build reads version {ACCOUNTS_VERSION})"
        )),
        Some(_) => Err(format!("`version` must be the number {ACCOUNTS_VERSION}")),
    }
}

#[cfg(test)]
#[path = "accounts_tests.rs"]
mod tests;
