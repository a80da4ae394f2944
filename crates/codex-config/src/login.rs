//! Is Codex signed in with ChatGPT? The native binding needs it (SPEC §7): Codex then sends
//! its own access token to the router, which the daemon accepts only while it can read the
//! same token from `$CODEX_HOME/auth.json` (SPEC §4).
//!
//! Pure [`login_state`] over the file's bytes, plus [`check_native_login`], the thin read the
//! bind does before it writes anything. Codex can keep its login in the OS keyring instead
//! (`cli_auth_credentials_store = "keyring"` or `"auto"`); the router does not read the
//! keyring (docs/decisions.md, "Native binding: keyring and compaction"), so such a login
//! is refused with a message naming that setting.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::BindError;
use crate::fsio::{read_optional, write_target};
use crate::inspect::inspect;

/// What `auth.json` says about Codex's login. Never holds a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginState {
    /// ChatGPT tokens with an access token: what the native binding needs.
    ChatGpt,
    /// An API-key login (`OPENAI_API_KEY`, no tokens).
    ApiKey,
    /// No `auth.json`.
    Missing,
    /// Present but not the shape Codex writes; the reason has no file content.
    Unreadable(String),
    /// Present, parsed, but no access token (signed out, or tokens removed).
    NoToken,
}

impl LoginState {
    /// Why this state is not a ChatGPT login, for messages.
    pub fn describe(&self) -> &str {
        match self {
            LoginState::ChatGpt => "signed in with ChatGPT",
            LoginState::ApiKey => "signed in with an API key, not ChatGPT",
            LoginState::Missing => "no auth.json",
            LoginState::Unreadable(reason) => reason,
            LoginState::NoToken => "auth.json holds no ChatGPT access token",
        }
    }
}

/// Read `auth.json`'s bytes (`None`: no file).
pub fn login_state(auth_json: Option<&[u8]>) -> LoginState {
    let Some(bytes) = auth_json else {
        return LoginState::Missing;
    };
    let Ok(doc) = serde_json::from_slice::<Value>(bytes) else {
        return LoginState::Unreadable("auth.json is not JSON".to_owned());
    };
    if !doc.is_object() {
        return LoginState::Unreadable("auth.json is not a JSON object".to_owned());
    }
    let token = doc
        .get("tokens")
        .and_then(|t| t.get("access_token"))
        .and_then(Value::as_str)
        .is_some_and(|t| !t.is_empty());
    if token {
        return LoginState::ChatGpt;
    }
    let api_key = doc
        .get("OPENAI_API_KEY")
        .and_then(Value::as_str)
        .is_some_and(|k| !k.is_empty());
    if api_key {
        LoginState::ApiKey
    } else {
        LoginState::NoToken
    }
}

/// The keyring setting worth naming: Codex may keep its login in the OS keyring, where
/// `auth.json` cannot show it.
pub fn keyring_store(store: Option<&str>) -> Option<&str> {
    store.filter(|s| matches!(*s, "keyring" | "auto"))
}

/// Refuse unless `state` is a ChatGPT login. `store`: Codex's `cli_auth_credentials_store`.
pub fn require_chatgpt(state: &LoginState, auth_path: &Path, store: Option<&str>) -> Result<(), BindError> {
    if *state == LoginState::ChatGpt {
        return Ok(());
    }
    Err(BindError::NotSignedIn {
        auth_path: auth_path.to_owned(),
        why: state.describe().to_owned(),
        keyring: keyring_store(store).map(str::to_owned),
    })
}

/// `$CODEX_HOME/auth.json` for `config_path` (`$CODEX_HOME/config.toml`). The path as
/// given, not a symlink's target: a `config.toml` linked from a dotfiles repository still
/// has Codex's login next to the link.
pub fn auth_path(config_path: &Path) -> PathBuf {
    config_path
        .parent()
        .map_or_else(|| PathBuf::from("auth.json"), |home| home.join("auth.json"))
}

/// The check `bind --native` runs before writing: `auth.json` next to `config_path` holds a
/// ChatGPT access token. Codex's config is read only for its keyring setting; an unreadable
/// one is the bind's to report.
pub fn check_native_login(config_path: &Path) -> Result<(), BindError> {
    let auth = auth_path(config_path);
    let state = login_state(read_optional(&auth)?.as_deref());
    let store = read_optional(&write_target(config_path))?
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| inspect(&text).ok())
        .and_then(|b| b.auth_credentials_store);
    require_chatgpt(&state, &auth, store.as_deref())
}

#[cfg(test)]
#[path = "login_tests.rs"]
mod tests;
