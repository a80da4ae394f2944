//! Reading a Codex config for `codexctl rotation status` and `doctor`: is it bound, in which
//! mode, to which port, with which key, and would a Codex profile bypass the binding.

use codex_router_core::Secret;
use subtle::ConstantTimeEq;
use toml_edit::{DocumentMut, Item, TableLike};

use crate::error::BindError;
use crate::provider::{
    ANCESTOR_PROVIDER_ID, BindMode, MODEL_PROVIDER_KEY, MODEL_PROVIDERS_KEY, OPENAI_BASE_URL_KEY,
    PROVIDER_ID, router_url_port,
};

/// The id of Codex's built-in provider, the one the native binding redirects.
const OPENAI_PROVIDER_ID: &str = "openai";
use crate::text::{normalize, parse};

/// What a Codex config says about the binding. `Debug` never shows the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// Top-level `model_provider = "codex-router"` and a `[model_providers.codex-router]`
    /// table: new Codex sessions go through the router unless a profile or a `-c` overrides it.
    pub bound: bool,
    /// The top-level `model_provider`, if it is a string.
    pub model_provider: Option<String>,
    /// A `codex-router` provider is defined.
    pub provider_table: bool,
    /// Its `base_url`.
    pub base_url: Option<String>,
    /// The port in that `base_url`, to compare with the daemon's.
    pub port: Option<u16>,
    /// `capabilities.remote_compaction = "v2"` is set on it.
    pub remote_compaction: bool,
    /// The ancestor's (codex-multi-auth) provider is defined or selected: a foreign binding.
    pub ancestor_binding: bool,
    /// The top-level `profile`: the profile Codex uses when none is given on its command line.
    pub active_profile: Option<String>,
    /// Profiles (`[profiles.X]`) that set a `model_provider` of their own other than the
    /// router's: Codex run with `--profile X` bypasses the binding.
    pub has_profiles_overriding: Vec<String>,
    /// The top-level `openai_base_url`, if it is a string.
    pub openai_base_url: Option<String>,
    /// The port of that URL when it is a router URL (`http://127.0.0.1:<port>/backend-api/codex`).
    pub native_port: Option<u16>,
    /// The top-level `chatgpt_base_url`: must stay the real backend (an HTTPS origin).
    pub chatgpt_base_url: Option<String>,
    /// The top-level `cli_auth_credentials_store` (`file`, `keyring`, `auto`, `ephemeral`).
    pub auth_credentials_store: Option<String>,
    /// Profiles that bypass a native binding: their own `openai_base_url` (not a router URL)
    /// or a `model_provider` other than the built-in `openai`.
    pub profiles_bypassing_native: Vec<String>,
    bearer: Option<Secret>,
}

impl Binding {
    /// Whether the written `experimental_bearer_token` is `key`; compared in constant time.
    pub fn key_matches(&self, key: &Secret) -> bool {
        self.bearer
            .as_ref()
            .is_some_and(|b| bool::from(b.expose().as_bytes().ct_eq(key.expose().as_bytes())))
    }

    /// Any trace of a binding, ours (either mode) or the ancestor's, complete or not.
    pub fn carries_binding(&self) -> bool {
        self.provider_table
            || self.ancestor_binding
            || self.model_provider.as_deref() == Some(PROVIDER_ID)
            || self.native_port.is_some()
    }

    /// The binding Codex will actually use for a session started without `--profile`/`-c`:
    /// the provider binding when the root selects `codex-router`, the native one when the
    /// built-in provider is selected (explicitly or by default) and `openai_base_url` is a
    /// router URL; `None` otherwise.
    pub fn mode(&self) -> Option<BindMode> {
        if self.bound {
            return Some(BindMode::Provider);
        }
        let builtin = self
            .model_provider
            .as_deref()
            .is_none_or(|p| p == OPENAI_PROVIDER_ID);
        (builtin && self.native_port.is_some()).then_some(BindMode::Native)
    }

    /// The port Codex sends its requests to, in the mode it uses.
    pub fn effective_port(&self) -> Option<u16> {
        match self.mode()? {
            BindMode::Provider => self.port,
            BindMode::Native => self.native_port,
        }
    }

    /// The profiles that bypass a binding in `mode`.
    pub fn bypassing_profiles(&self, mode: BindMode) -> &[String] {
        match mode {
            BindMode::Provider => &self.has_profiles_overriding,
            BindMode::Native => &self.profiles_bypassing_native,
        }
    }

    /// The active profile is one of those that bypass the binding in use.
    pub fn active_profile_bypasses(&self) -> bool {
        let mode = self.mode().unwrap_or_default();
        self.active_profile
            .as_ref()
            .is_some_and(|p| self.bypassing_profiles(mode).contains(p))
    }
}

/// Read `text` as a Codex config. Only malformed TOML is an error; keys of an unexpected type
/// read as absent.
pub fn inspect(text: &str) -> Result<Binding, BindError> {
    let (_, body) = normalize(text);
    let doc = parse(&body)?;
    let model_provider = doc
        .get(MODEL_PROVIDER_KEY)
        .and_then(Item::as_str)
        .map(str::to_owned);
    let providers = doc.get(MODEL_PROVIDERS_KEY).and_then(Item::as_table_like);
    let ours = providers
        .and_then(|p| p.get(PROVIDER_ID))
        .and_then(Item::as_table_like);
    let ancestor_binding = providers.is_some_and(|p| p.contains_key(ANCESTOR_PROVIDER_ID))
        || model_provider.as_deref() == Some(ANCESTOR_PROVIDER_ID);
    let base_url = ours
        .and_then(|t| t.get("base_url"))
        .and_then(Item::as_str)
        .map(str::to_owned);
    let remote_compaction = ours
        .and_then(|t| t.get("capabilities"))
        .and_then(Item::as_table_like)
        .and_then(|c| c.get("remote_compaction"))
        .and_then(Item::as_str)
        == Some("v2");
    let bearer = ours
        .and_then(|t| t.get("experimental_bearer_token"))
        .and_then(Item::as_str)
        .map(Secret::new);
    let root_str = |key: &str| doc.get(key).and_then(Item::as_str).map(str::to_owned);
    let openai_base_url = root_str(OPENAI_BASE_URL_KEY);
    Ok(Binding {
        native_port: openai_base_url.as_deref().and_then(router_url_port),
        openai_base_url,
        chatgpt_base_url: root_str("chatgpt_base_url"),
        auth_credentials_store: root_str("cli_auth_credentials_store"),
        profiles_bypassing_native: profiles_matching(&doc, bypasses_native),
        bound: ours.is_some() && model_provider.as_deref() == Some(PROVIDER_ID),
        provider_table: ours.is_some(),
        port: base_url.as_deref().and_then(port_of),
        base_url,
        remote_compaction,
        ancestor_binding,
        active_profile: doc.get("profile").and_then(Item::as_str).map(str::to_owned),
        has_profiles_overriding: profiles_matching(&doc, overrides_provider),
        model_provider,
        bearer,
    })
}

/// A profile's own `model_provider` is not the router's.
fn overrides_provider(t: &dyn TableLike) -> bool {
    t.get(MODEL_PROVIDER_KEY)
        .and_then(Item::as_str)
        .is_some_and(|p| p != PROVIDER_ID)
}

/// A profile leaves the built-in provider, or points it elsewhere than the router.
fn bypasses_native(t: &dyn TableLike) -> bool {
    let provider = t
        .get(MODEL_PROVIDER_KEY)
        .and_then(Item::as_str)
        .is_some_and(|p| p != OPENAI_PROVIDER_ID);
    let url = t
        .get(OPENAI_BASE_URL_KEY)
        .and_then(Item::as_str)
        .is_some_and(|u| router_url_port(u).is_none());
    provider || url
}

/// Profiles for which `overrides` holds, in file order. A profile written as an array of
/// tables (`[[profiles.x]]`) counts if any entry does.
fn profiles_matching(doc: &DocumentMut, overrides: fn(&dyn TableLike) -> bool) -> Vec<String> {
    let Some(profiles) = doc.get("profiles").and_then(Item::as_table_like) else {
        return Vec::new();
    };
    profiles
        .iter()
        .filter(|(_, item)| match item {
            Item::ArrayOfTables(array) => array.iter().any(|t| overrides(t)),
            other => other.as_table_like().is_some_and(overrides),
        })
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// The port of an `http(s)://host:port/...` URL; `None` without an explicit valid port.
pub(crate) fn port_of(url: &str) -> Option<u16> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let (host, port) = host_port.rsplit_once(':')?;
    if host.starts_with('[') && !host.ends_with(']') {
        return None;
    }
    port.parse::<u16>().ok().filter(|p| *p != 0)
}

#[cfg(test)]
#[path = "inspect_tests.rs"]
mod tests;
