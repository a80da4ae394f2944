//! What the binding writes: the provider id, the spec it is made from, and the provider table.

use codex_router_core::Secret;
use serde::{Deserialize, Serialize};
use toml_edit::{Item, Table, value};

use crate::error::BindError;

/// The provider id the binding registers, and its `name` (Codex 0.169 keeps remote compaction
/// off for any name but `OpenAI`; see `reference/codex-client.md` §2).
pub const PROVIDER_ID: &str = "codex-router";

/// The provider id of the TypeScript ancestor (codex-multi-auth). A config carrying it is
/// a foreign binding: it is removed, never kept next to ours (SPEC §7).
pub const ANCESTOR_PROVIDER_ID: &str = "codex-multi-auth-runtime-proxy";

/// The top-level key naming the provider Codex uses.
pub const MODEL_PROVIDER_KEY: &str = "model_provider";

/// The table holding every provider definition.
pub const MODEL_PROVIDERS_KEY: &str = "model_providers";

/// The top-level key the native binding writes: the base URL of Codex's built-in `openai`
/// provider, for its model traffic only (`reference/codex-client.md` §8).
pub const OPENAI_BASE_URL_KEY: &str = "openai_base_url";

/// The provider ids a binding can be made of, ours first.
pub(crate) const BINDING_IDS: [&str; 2] = [PROVIDER_ID, ANCESTOR_PROVIDER_ID];

/// Which of the two bindings (SPEC §7). One config holds at most one of them: binding in one
/// mode removes every trace of the other.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BindMode {
    /// The `codex-router` provider with the router's client key: Codex's own login is unused.
    #[default]
    Provider,
    /// Only the top-level `openai_base_url`: Codex keeps its built-in provider, its ChatGPT
    /// login, model picker and WebSocket, and sends its own bearer to the router.
    Native,
}

impl BindMode {
    /// As written in `bind/state.json` and `status --json`.
    pub fn as_str(self) -> &'static str {
        match self {
            BindMode::Provider => "provider",
            BindMode::Native => "native",
        }
    }
}

impl std::fmt::Display for BindMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything [`crate::bind`] needs to know. `Debug` shows the key as `<redacted>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindSpec {
    /// The daemon's loopback port. Never 0.
    pub port: u16,
    /// Written as `experimental_bearer_token`: Codex sends it as its bearer to the daemon.
    pub client_key: Secret,
    /// Opt in to Codex's remote compaction (`capabilities.remote_compaction = "v2"`). Off by
    /// default because its result is readable by one account only (SPEC §7).
    /// Ignored by the native binding: the built-in provider compacts remotely whatever the
    /// config says (docs/decisions.md, "Native binding: keyring and compaction").
    pub remote_compaction: bool,
    /// Provider or native binding.
    pub mode: BindMode,
}

impl BindSpec {
    /// Refuse a spec that would write a binding no request can get through. The native
    /// binding writes no key, so only the provider binding needs one.
    pub fn check(&self) -> Result<(), BindError> {
        if self.port == 0 {
            return Err(BindError::PortZero);
        }
        if self.mode == BindMode::Provider && self.client_key.is_empty() {
            return Err(BindError::EmptyClientKey);
        }
        Ok(())
    }
}

/// The base URL Codex is given. Always `127.0.0.1`, never `localhost`: the daemon listens on
/// IPv4 loopback and `localhost` may resolve to `::1` first.
pub fn base_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/backend-api/codex")
}

/// The port of `url` if it is exactly a URL [`base_url`] writes, whatever the port: how a
/// native binding is recognised, also without bind state (lost-state adoption).
pub fn router_url_port(url: &str) -> Option<u16> {
    let port = url
        .strip_prefix("http://127.0.0.1:")?
        .strip_suffix("/backend-api/codex")?;
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) || port.starts_with('0') {
        return None;
    }
    port.parse::<u16>().ok()
}

/// The `[model_providers.codex-router]` table (with its `.capabilities` sub-table when remote
/// compaction is on), keys in the order SPEC §7 lists them. Decor and position are the
/// caller's to set.
pub(crate) fn provider_table(spec: &BindSpec) -> Table {
    let mut table = Table::new();
    table.insert("name", value(PROVIDER_ID));
    table.insert("base_url", value(base_url(spec.port)));
    table.insert("wire_api", value("responses"));
    // Codex then sends the client key as its bearer and never its own ChatGPT tokens.
    table.insert("requires_openai_auth", value(false));
    table.insert("experimental_bearer_token", value(spec.client_key.expose()));
    // Without it Codex drops its web search tool for any provider not named `OpenAI`.
    table.insert("supports_standalone_web_search", value(true));
    // Codex then speaks the Responses WebSocket to the router (SPEC §4.4): one connection per
    // conversation, only the new items of each step instead of the whole history.
    table.insert("supports_websockets", value(true));
    if spec.remote_compaction {
        let mut capabilities = Table::new();
        capabilities.decor_mut().set_prefix("\n");
        capabilities.insert("remote_compaction", value("v2"));
        table.insert("capabilities", Item::Table(capabilities));
    }
    table
}
