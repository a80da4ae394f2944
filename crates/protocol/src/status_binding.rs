//! The `binding` object: is Codex's `config.toml` pointed at this daemon? Built by
//! `codex-config` (`BindingRead::view`), the one reader the daemon and `codexctl` share.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BindingView {
    /// Codex's `config.toml` sends new sessions to the router, in either mode.
    pub bound: bool,
    /// The binding Codex will use: `"provider"` or `"native"`; absent when not bound, so the
    /// document of an unbound daemon keeps its first shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// The Codex `config.toml` (the one a valid bind state names, else `$CODEX_HOME`'s).
    pub config_path: Option<String>,
    /// The port written into Codex's config: the `codex-router` provider's, or natively the
    /// one in `openai_base_url`.
    pub port: Option<u16>,
    /// Bound, to the daemon's port and, for the provider binding, with its client key.
    pub matches_daemon: bool,
    /// Codex profiles (`profiles.<name>`) whose own settings bypass the binding, the default
    /// profile first. A `-c model_provider=...` on Codex's command line cannot be seen.
    pub bypassed_by: Vec<String>,
    /// Whether the written key is the daemon's; `null` when not bound with a key or when no
    /// daemon was asked.
    #[serde(default)]
    pub key_matches: Option<bool>,
    /// `bind/state.json`: `valid`, `missing`, `invalid`, or `unknown` (could not be read).
    #[serde(default = "unknown")]
    pub state: String,
    #[serde(default)]
    pub remote_compaction: bool,
    /// Why the binding could not be read (no Codex home, an unreadable `config.toml`), else
    /// `null`.
    #[serde(default)]
    pub error: Option<String>,
}

fn unknown() -> String {
    "unknown".to_owned()
}

/// Not bound, nothing known: what a reader that could not look starts from.
impl Default for BindingView {
    fn default() -> Self {
        Self {
            bound: false,
            mode: None,
            config_path: None,
            port: None,
            matches_daemon: false,
            bypassed_by: Vec::new(),
            key_matches: None,
            state: unknown(),
            remote_compaction: false,
            error: None,
        }
    }
}

impl BindingView {
    /// Why nothing could be read.
    pub fn unknown(why: impl Into<String>) -> Self {
        Self {
            error: Some(why.into()),
            ..Self::default()
        }
    }

    /// The binding Codex uses is the native one (Codex keeps its own login).
    pub fn is_native(&self) -> bool {
        self.mode.as_deref() == Some("native")
    }
}
