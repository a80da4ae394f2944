//! Method names and the typed params/results of every control-plane method (`docs/ipc.md` has
//! an example exchange for each).
//!
//! Params structs reject unknown fields: a newer `codexctl` sending an option an older daemon
//! does not understand gets `invalid_params` instead of having it silently ignored. Result
//! structs accept unknown fields, so a daemon may add to its answers without breaking older
//! clients. `status` and `status.subscribe` events are [`crate::status::StatusDoc`]s
//! (`docs/status-schema.md`); `config.show` is an opaque [`Value`] here.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use codex_router_core::Timestamp;

use crate::status::{AccountRow, QuotaView};

pub const PING: &str = "ping";
pub const STATUS: &str = "status";
pub const STATUS_SUBSCRIBE: &str = "status.subscribe";
pub const ACCOUNTS_LIST: &str = "accounts.list";
pub const ACCOUNTS_ADD: &str = "accounts.add";
pub const ACCOUNTS_REMOVE: &str = "accounts.remove";
pub const ACCOUNTS_ENABLE: &str = "accounts.enable";
pub const ACCOUNTS_DISABLE: &str = "accounts.disable";
pub const ACCOUNTS_LABEL: &str = "accounts.label";
pub const ACCOUNTS_REFRESH: &str = "accounts.refresh";
pub const ACCOUNTS_CHECK: &str = "accounts.check";
pub const CONFIG_SHOW: &str = "config.show";
pub const CONFIG_RELOAD: &str = "config.reload";
pub const DAEMON_STOP: &str = "daemon.stop";
pub const PROXY_INFO: &str = "proxy.info";

/// Every method of this protocol version, for exhaustive dispatch in the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Ping,
    Status,
    StatusSubscribe,
    AccountsList,
    AccountsAdd,
    AccountsRemove,
    AccountsEnable,
    AccountsDisable,
    AccountsLabel,
    AccountsRefresh,
    ConfigShow,
    ConfigReload,
    DaemonStop,
    ProxyInfo,
    /// Added after the first fourteen: an older daemon answers `unknown_method`.
    AccountsCheck,
}

impl Method {
    pub const ALL: [Method; 15] = [
        Self::Ping,
        Self::Status,
        Self::StatusSubscribe,
        Self::AccountsList,
        Self::AccountsAdd,
        Self::AccountsRemove,
        Self::AccountsEnable,
        Self::AccountsDisable,
        Self::AccountsLabel,
        Self::AccountsRefresh,
        Self::ConfigShow,
        Self::ConfigReload,
        Self::DaemonStop,
        Self::ProxyInfo,
        Self::AccountsCheck,
    ];

    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ping => PING,
            Self::Status => STATUS,
            Self::StatusSubscribe => STATUS_SUBSCRIBE,
            Self::AccountsList => ACCOUNTS_LIST,
            Self::AccountsAdd => ACCOUNTS_ADD,
            Self::AccountsRemove => ACCOUNTS_REMOVE,
            Self::AccountsEnable => ACCOUNTS_ENABLE,
            Self::AccountsDisable => ACCOUNTS_DISABLE,
            Self::AccountsLabel => ACCOUNTS_LABEL,
            Self::AccountsRefresh => ACCOUNTS_REFRESH,
            Self::ConfigShow => CONFIG_SHOW,
            Self::ConfigReload => CONFIG_RELOAD,
            Self::DaemonStop => DAEMON_STOP,
            Self::ProxyInfo => PROXY_INFO,
            Self::AccountsCheck => ACCOUNTS_CHECK,
        }
    }

    /// `None` for a name this version does not know (the daemon answers `unknown_method`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|method| method.name() == name)
    }

    /// Subscription methods answer with a stream of `event` frames instead of one result.
    pub fn is_subscription(self) -> bool {
        matches!(self, Self::StatusSubscribe)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Params that fail to decode; the daemon answers `invalid_params` with this message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid params for `{method}`: {reason}")]
pub struct InvalidParams {
    pub method: String,
    pub reason: String,
}

/// Decodes `params` into a method's params type.
pub fn decode_params<T: DeserializeOwned>(method: &str, params: Value) -> Result<T, InvalidParams> {
    serde_json::from_value(params).map_err(|err| InvalidParams {
        method: method.to_owned(),
        reason: err.to_string(),
    })
}

/// `ping` result: enough for `codexctl` to tell which daemon it reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PingResult {
    /// The daemon's release version (`CARGO_PKG_VERSION`), not the protocol version.
    pub version: String,
    pub pid: u32,
    /// Random per daemon start; tells a restarted daemon from the one seen before.
    pub instance_id: String,
}

/// Params of `accounts.remove`, `accounts.enable` and `accounts.disable`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountParams {
    /// An account id, a label or a 1-based index (as text), resolved by the daemon in that
    /// order so that what `codexctl` shows is what it accepts.
    pub account: String,
}

/// Params of `accounts.label`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelParams {
    pub account: String,
    pub label: String,
}

/// Params of `accounts.refresh` and `accounts.check`: `{"account": "..."}` or `{"all": true}`,
/// exactly one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all: bool,
}

/// Params of `accounts.refresh`.
pub type RefreshParams = TargetParams;

/// Params of `accounts.check`.
pub type CheckParams = TargetParams;

/// What `accounts.refresh` or `accounts.check` should act on, once validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshTarget {
    Account(String),
    All,
}

impl TargetParams {
    pub fn account(account: impl Into<String>) -> Self {
        Self {
            account: Some(account.into()),
            all: false,
        }
    }

    pub fn all() -> Self {
        Self {
            account: None,
            all: true,
        }
    }

    /// Exactly one of `account` and `all` must be given; an error names `method`.
    pub fn target(self, method: &str) -> Result<RefreshTarget, InvalidParams> {
        match (self.account, self.all) {
            (Some(account), false) => Ok(RefreshTarget::Account(account)),
            (None, true) => Ok(RefreshTarget::All),
            _ => Err(InvalidParams {
                method: method.to_owned(),
                reason: "give exactly one of `account` and `all: true`".to_owned(),
            }),
        }
    }
}

/// Params of `accounts.add`: one account record in the `accounts.json` shape (SPEC §5), opaque
/// here because the store crate owns that schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddAccountParams {
    pub account: Value,
}

/// Result of `accounts.remove`, `accounts.enable`, `accounts.disable` and `accounts.label`:
/// the account the daemon resolved, so `codexctl` can confirm what changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountResult {
    pub id: String,
    pub label: String,
}

/// Result of `accounts.add`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddAccountResult {
    pub id: String,
    pub label: String,
    /// `false` when the record replaced an existing account with the same identity.
    pub created: bool,
}

/// Result of `accounts.refresh`: one outcome per account tried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshResult {
    pub accounts: Vec<RefreshOutcome>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshOutcome {
    pub id: String,
    pub label: String,
    pub ok: bool,
    /// Why the refresh failed; never contains a token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Result of `accounts.check`: one outcome per account, in pool order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub accounts: Vec<CheckOutcome>,
}

/// One account's usage poll. Every member is always present (`null` when not applicable).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckOutcome {
    pub id: String,
    pub label: String,
    /// The poll produced a reading.
    pub ok: bool,
    /// Why it did not (or why no poll was made); never contains a token.
    #[serde(default)]
    pub error: Option<String>,
    /// The account's reading after the check, the status `quota` object. On failure, the
    /// older reading if there is one, so its age shows how old it is.
    #[serde(default)]
    pub quota: Option<QuotaView>,
    /// This reading ended a usage-limit cooldown early: the account is usable again.
    #[serde(default)]
    pub reset_early: bool,
}

/// Result of `accounts.list`: one row per account, in pool order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountsList {
    pub accounts: Vec<AccountListRow>,
}

/// An `accounts.list` row: the `status` row plus what only the account's owner may see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountListRow {
    #[serde(flatten)]
    pub row: AccountRow,
    /// SPEC §5: emails appear only in `codexctl accounts list` (local, same user).
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default = "enabled")]
    pub enabled: bool,
    #[serde(default)]
    pub added_at: Option<Timestamp>,
    #[serde(default)]
    pub linked_auth_json: Option<String>,
}

fn enabled() -> bool {
    true
}

/// Result of `config.reload` (SPEC §8: apply what can be applied live, name the rest).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReloadResult {
    /// Keys whose new value is in effect.
    pub applied: Vec<String>,
    /// Keys that changed but take effect only after a restart (e.g. `proxy.listen`).
    pub needs_restart: Vec<String>,
}

/// Result of `daemon.stop`, sent before the drain starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopResult {
    /// The pid that is stopping, so `codexctl daemon stop` can wait for exactly that process.
    pub pid: u32,
}

/// Result of `proxy.info`: where Codex should send its requests and with which key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyInfo {
    /// The real bound address (never port 0), e.g. `127.0.0.1:2456`.
    pub listen: String,
    /// The local client key; a secret, hence the redacting `Debug`.
    pub client_key: String,
}

impl fmt::Debug for ProxyInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyInfo")
            .field("listen", &self.listen)
            .field("client_key", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
#[path = "methods_tests.rs"]
mod tests;
