//! The Codex binding as `codexctl` reports it (SPEC §7, §9): `rotation status`, `status` with
//! the daemon down, `daemon stop`, `service uninstall` and `doctor` all read it here, through
//! `codex-config`'s read-only [`read_binding`] (no lock, no write), the reader behind the
//! daemon's `status` document too, so they all agree.
//!
//! "Bound" means what Codex will do: `config.toml` selects the `codex-router` provider (the
//! provider binding), or keeps the built-in provider with `openai_base_url` at the router (the
//! native binding); `mode` says which. The bind state in `bind/` only says how unbind will undo
//! it, so it is reported next to it.

use std::path::Path;

use codex_router_codex_config::login::{auth_path, login_state};
use codex_router_codex_config::{
    BindMode, Binding, BindingRead, BindingView, ConfigStatus, LoginState, StateStatus, base_url,
    read_binding,
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

impl DaemonSide {
    fn up(&self) -> Option<(u16, &Secret)> {
        match self {
            Self::Up { port, key } => Some((*port, key)),
            Self::Down => None,
        }
    }
}

/// The binding as found on disk.
#[derive(Debug)]
pub struct View {
    /// `codex-config`'s read (the `config.toml` read and what it says), shared with the
    /// daemon's `status`.
    pub read: BindingRead,
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
        let read = read_binding(codex_config, bind_dir);
        View {
            login: read
                .config_path
                .as_deref()
                .map_or(LoginState::Missing, read_login),
            read,
        }
    }

    /// What `config.toml` says, when it could be read and parsed.
    pub fn binding(&self) -> Option<&Binding> {
        self.read.binding()
    }

    /// New Codex sessions send their requests to the router, in either mode.
    pub fn bound(&self) -> bool {
        self.mode().is_some()
    }

    /// The binding Codex will actually use.
    pub fn mode(&self) -> Option<BindMode> {
        self.read.mode()
    }

    /// The `binding` object of `status`, compared with `daemon` when it is up.
    pub fn view(&self, daemon: &DaemonSide) -> BindingView {
        self.read.view(daemon.up())
    }

    /// The JSON object of `rotation status` (and of `status` with the daemon down): the
    /// `binding` object's facts, with what only the CLI shows.
    pub fn to_json(&self, daemon: Option<&DaemonSide>) -> Value {
        let b = self.binding();
        let up = daemon.and_then(DaemonSide::up);
        let view = self.read.view(up);
        json!({
            "bound": self.read.error().is_none().then_some(view.bound),
            "config_path": self.read.config_path,
            "config": self.config_json(),
            "mode": view.mode,
            "provider": b.and_then(|b| b.model_provider.clone()),
            "port": view.port,
            "remote_compaction": view.remote_compaction,
            "foreign_binding": b.is_some_and(|b| b.ancestor_binding),
            "daemon_port": up.map(|(port, _)| port),
            "matches_daemon": up.filter(|_| view.bound).map(|_| view.matches_daemon),
            "key_matches": view.key_matches,
            "active_profile": b.and_then(|b| b.active_profile.clone()),
            "bypassed_by": view.bypassed_by,
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
        match &self.read.status {
            Err(reason) => json!({"state": "error", "reason": reason}),
            Ok(s) => match &s.config {
                ConfigStatus::Missing => json!({"state": "missing"}),
                ConfigStatus::Unreadable { reason } => json!({"state": "unreadable", "reason": reason}),
                ConfigStatus::Read(_) => json!({"state": "ok"}),
            },
        }
    }

    fn state_json(&self) -> Value {
        let Ok(s) = &self.read.status else {
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

/// One line for the human `status` and `rotation status`. `compared`: the view was compared
/// with a running daemon, so a mismatch is worth a hint.
pub fn describe(binding: &BindingView, compared: bool) -> String {
    if !binding.bound {
        return match &binding.error {
            Some(why) => format!("unknown: {why}"),
            None => {
                "not bound: Codex talks to OpenAI directly (`codexctl rotation enable` binds it)".to_owned()
            }
        };
    }
    let config = binding.config_path.as_deref().unwrap_or("Codex's config.toml");
    let port = binding.port.map_or_else(|| "?".to_owned(), |p| p.to_string());
    let mut text = if binding.is_native() {
        format!(
            "bound natively: Codex sends its model traffic to port {port} with its own ChatGPT login \
             ({config})"
        )
    } else {
        format!("bound: Codex sends its requests to port {port} ({config})")
    };
    if binding.key_matches == Some(false) {
        text.push_str("; the key written there is not the daemon's: run `codexctl rotation bind-app`");
    } else if compared && !binding.matches_daemon {
        text.push_str("; the daemon listens on another port: run `codexctl rotation bind-app`");
    }
    if !binding.bypassed_by.is_empty() {
        text.push_str(&format!("; bypassed by {}", binding.bypassed_by.join(", ")));
    }
    text
}

/// [`describe`] while the daemon is down, with the SPEC §7 warning when Codex is bound.
pub fn describe_down(binding: &BindingView) -> String {
    let text = describe(binding, false);
    if binding.bound {
        format!("{text}\n          {DOWN_WARNING}")
    } else {
        text
    }
}

#[cfg(test)]
#[path = "binding_tests.rs"]
mod tests;
