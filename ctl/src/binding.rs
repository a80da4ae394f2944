//! The Codex binding as `codexctl` reports it (SPEC §7, §9): `rotation status`, `status` with
//! the daemon down, `daemon stop`, `service uninstall` and `doctor` all read it here, through
//! `codex-config`'s read-only [`status`] (no lock, no write: review #7), so they agree with each
//! other and with the daemon's `status` document (`daemon/src/binding.rs`).
//!
//! "Bound" means what Codex will do: `config.toml` selects the `codex-router` provider (the
//! provider binding), or keeps the built-in provider with `openai_base_url` at the router (the
//! native binding); `mode` says which. The bind state in `bind/` only says how unbind will undo
//! it, so it is reported next to it.

use std::path::{Path, PathBuf};

use codex_router_codex_config::login::{auth_path, login_state};
use codex_router_codex_config::{
    BindMode, BindStatus, Binding, ConfigStatus, LoginState, StateStatus, base_url, status,
};
use codex_router_core::Secret;
use serde_json::{Value, json};

use crate::ctx::Ctx;

/// What every command says while Codex is bound and the daemon is down (SPEC §7).
pub const DOWN_WARNING: &str = "Codex is bound to the router, and the daemon is not running: Codex requests fail \
     until `codexctl daemon start` or `codexctl rotation disable`";

/// What the running daemon says about itself, to compare with the binding.
#[derive(Debug)]
pub enum DaemonSide {
    Up { port: u16, key: Secret },
    Down,
}

/// The binding as found on disk.
#[derive(Debug)]
pub struct View {
    /// The `config.toml` read; `None` when no Codex home can be found.
    pub config_path: Option<PathBuf>,
    /// `Err`: `bind/` or the file could not be read at all (permissions).
    pub status: Result<BindStatus, String>,
    /// Codex's own login (`auth.json` next to the config), which the native binding needs.
    pub login: LoginState,
}

impl View {
    /// `$CODEX_HOME/config.toml`, or the file a valid bind state names when `CODEX_HOME`
    /// changed since the bind (that is where the binding is).
    pub fn read(ctx: &Ctx<'_>) -> View {
        Self::read_at(ctx.codex_config().as_deref(), &ctx.paths.bind_dir)
    }

    pub fn read_at(codex_config: Option<&Path>, bind_dir: &Path) -> View {
        let Some(path) = codex_config else {
            return View {
                config_path: None,
                status: Err("cannot find Codex's home: set CODEX_HOME or HOME".to_owned()),
                login: LoginState::Missing,
            };
        };
        let first = status(path, bind_dir).map_err(|e| e.to_string());
        if let Ok(BindStatus {
            state: StateStatus::Valid { config_path, .. },
            ..
        }) = &first
            && config_path != path
        {
            let other = config_path.clone();
            return View {
                status: status(&other, bind_dir).map_err(|e| e.to_string()),
                login: read_login(&other),
                config_path: Some(other),
            };
        }
        View {
            config_path: Some(path.to_owned()),
            status: first,
            login: read_login(path),
        }
    }

    /// What `config.toml` says, when it could be read and parsed.
    pub fn binding(&self) -> Option<&Binding> {
        match &self.status {
            Ok(BindStatus {
                config: ConfigStatus::Read(binding),
                ..
            }) => Some(binding),
            _ => None,
        }
    }

    /// New Codex sessions send their requests to the router, in either mode.
    pub fn bound(&self) -> bool {
        self.mode().is_some()
    }

    /// The binding Codex will actually use.
    pub fn mode(&self) -> Option<BindMode> {
        self.binding().and_then(Binding::mode)
    }

    /// The JSON object of `rotation status` (and of `status` with the daemon down).
    pub fn to_json(&self, daemon: Option<&DaemonSide>) -> Value {
        let b = self.binding();
        let mode = self.mode();
        let (daemon_port, key_matches) = match (daemon, b.filter(|b| b.bound)) {
            (Some(DaemonSide::Up { port, key }), Some(b)) => (Some(*port), Some(b.key_matches(key))),
            (Some(DaemonSide::Up { port, .. }), None) => (Some(*port), None),
            _ => (None, None),
        };
        let port_matches = daemon_port
            .zip(b.filter(|_| mode.is_some()))
            .map(|(d, b)| b.effective_port() == Some(d));
        // The native binding carries no key: the daemon accepts Codex's own bearer.
        let matches_daemon = match mode {
            Some(BindMode::Native) => port_matches,
            _ => port_matches.zip(key_matches).map(|(p, k)| p && k),
        };
        json!({
            "bound": match &self.status {
                Ok(BindStatus { config: ConfigStatus::Unreadable { .. }, .. }) | Err(_) => Value::Null,
                Ok(_) => json!(self.bound()),
            },
            "config_path": self.config_path,
            "config": self.config_json(),
            "mode": mode.map(BindMode::as_str),
            "provider": b.and_then(|b| b.model_provider.clone()),
            "port": b.and_then(|b| b.effective_port().or(b.port)),
            "remote_compaction": b.is_some_and(|b| b.remote_compaction),
            "foreign_binding": b.is_some_and(|b| b.ancestor_binding),
            "daemon_port": daemon_port,
            "matches_daemon": matches_daemon,
            "key_matches": key_matches,
            "active_profile": b.and_then(|b| b.active_profile.clone()),
            "bypassed_by": b.map_or_else(Vec::new, bypassed_by),
            "native": self.native_json(),
            "bind_state": self.state_json(),
        })
    }

    /// For the native binding: what Codex will do, and what it needs. `null` otherwise.
    fn native_json(&self) -> Value {
        let Some(b) = self.binding().filter(|_| self.mode() == Some(BindMode::Native)) else {
            return Value::Null;
        };
        json!({
            "openai_base_url": b.openai_base_url,
            "login": login_name(&self.login),
            "signed_in": self.login == LoginState::ChatGpt,
            "chatgpt_base_url": b.chatgpt_base_url,
            "credentials_store": b.auth_credentials_store,
            "codex_will": native_summary(b.native_port.unwrap_or_default()),
        })
    }

    fn config_json(&self) -> Value {
        match &self.status {
            Err(reason) => json!({"state": "error", "reason": reason}),
            Ok(s) => match &s.config {
                ConfigStatus::Missing => json!({"state": "missing"}),
                ConfigStatus::Unreadable { reason } => json!({"state": "unreadable", "reason": reason}),
                ConfigStatus::Read(_) => json!({"state": "ok"}),
            },
        }
    }

    fn state_json(&self) -> Value {
        let Ok(s) = &self.status else {
            return Value::Null;
        };
        match &s.state {
            StateStatus::Missing => json!({"state": "missing"}),
            StateStatus::Invalid { reason } => json!({"state": "invalid", "reason": reason}),
            StateStatus::Valid {
                mode,
                port,
                bound_at,
                original_existed,
                edited_since_bind,
                ..
            } => json!({
                "state": "valid", "mode": mode.as_str(), "port": port, "bound_at": bound_at,
                "original_existed": original_existed, "edited_since_bind": edited_since_bind,
            }),
        }
    }
}

/// `auth.json` next to `config`, never more than its verdict.
fn read_login(config: &Path) -> LoginState {
    match std::fs::read(auth_path(config)) {
        Ok(bytes) => login_state(Some(&bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => LoginState::Missing,
        Err(e) => LoginState::Unreadable(format!("auth.json cannot be read: {}", e.kind())),
    }
}

/// The login as a word for `--json`.
pub fn login_name(login: &LoginState) -> &'static str {
    match login {
        LoginState::ChatGpt => "chatgpt",
        LoginState::ApiKey => "api_key",
        LoginState::Missing => "missing",
        LoginState::Unreadable(_) => "unreadable",
        LoginState::NoToken => "no_token",
    }
}

/// What Codex does while natively bound (SPEC §7), in one sentence.
pub fn native_summary(port: u16) -> String {
    format!(
        "Codex keeps its built-in provider, its own ChatGPT login, model picker and WebSocket; it sends \
         its model traffic (/models, /responses over WebSocket or HTTP) to {} with its own bearer, and \
         login, workspace discovery, plugins and usage to chatgpt.com",
        base_url(port)
    )
}

/// The profiles that bypass the binding in use, as TOML paths (`profiles.work`), the default
/// one first.
pub fn bypassed_by(b: &Binding) -> Vec<String> {
    let mut names = b.bypassing_profiles(b.mode().unwrap_or_default()).to_vec();
    if let Some(active) = b.active_profile.as_ref().filter(|_| b.active_profile_bypasses()) {
        names.retain(|n| n != active);
        names.insert(0, active.clone());
    }
    names.into_iter().map(|n| format!("profiles.{n}")).collect()
}

/// One line for the human `status`, from a `binding` object (the daemon's or [`View::to_json`]).
/// `daemon_up: false` adds the SPEC §7 warning.
pub fn describe(binding: &Value, daemon_up: bool) -> String {
    let config = binding
        .get("config_path")
        .and_then(Value::as_str)
        .unwrap_or("Codex's config.toml");
    match binding.get("bound").and_then(Value::as_bool) {
        Some(true) => {
            let port = binding.get("port").map_or_else(|| "?".to_owned(), show);
            let mut text = if binding.get("mode").and_then(Value::as_str) == Some("native") {
                format!(
                    "bound natively: Codex sends its model traffic to port {port} with its own ChatGPT login \
                     ({config})"
                )
            } else {
                format!("bound: Codex sends its requests to port {port} ({config})")
            };
            if binding.get("key_matches").and_then(Value::as_bool) == Some(false) {
                text.push_str(
                    "; the key written there is not the daemon's: run `codexctl rotation bind-app`",
                );
            } else if binding.get("matches_daemon").and_then(Value::as_bool) == Some(false) {
                text.push_str("; the daemon listens on another port: run `codexctl rotation bind-app`");
            }
            if let Some(by) = binding
                .get("bypassed_by")
                .and_then(Value::as_array)
                .filter(|a| !a.is_empty())
            {
                let names: Vec<String> = by.iter().map(show).collect();
                text.push_str(&format!("; bypassed by {}", names.join(", ")));
            }
            if !daemon_up {
                text.push_str(&format!("\n          {DOWN_WARNING}"));
            }
            text
        }
        Some(false) => {
            "not bound: Codex talks to OpenAI directly (`codexctl rotation enable` binds it)".to_owned()
        }
        None => {
            let why = binding
                .get("config")
                .and_then(|c| c.get("reason"))
                .or_else(|| binding.get("error"))
                .map_or_else(|| "unknown".to_owned(), show);
            format!("unknown: {why}")
        }
    }
}

/// A JSON scalar without quotes.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
#[path = "binding_tests.rs"]
mod tests;
