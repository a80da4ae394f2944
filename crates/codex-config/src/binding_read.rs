//! The binding as every reporter sees it: the daemon's `status` document, `codexctl status`
//! with the daemon down, `rotation status` and `doctor` all read it here, so they agree.
//!
//! "Bound" is what Codex will do: its `config.toml` selects the `codex-router` provider, or
//! keeps the built-in provider with `openai_base_url` at the router (the native binding). The
//! bind state in `bind/` only says how unbind will undo it. When `CODEX_HOME` changed since the
//! bind, the binding is in the file a valid bind state names, so that is the one read.

use std::path::{Path, PathBuf};

use codex_router_core::Secret;
use codex_router_protocol::status::BindingView;

use crate::inspect::Binding;
use crate::provider::BindMode;
use crate::status::{BindStatus, ConfigStatus, StateStatus, status};

/// Said when neither `CODEX_HOME` nor `HOME` names a Codex home.
pub const NO_CODEX_HOME: &str = "cannot find Codex's home: set CODEX_HOME or HOME";

/// Codex's config and the bind state, as found. Read-only: no lock, no write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingRead {
    /// The `config.toml` read; `None` when no Codex home can be found.
    pub config_path: Option<PathBuf>,
    /// `Err`: no Codex home, or `bind/` or the file could not be read at all (permissions).
    pub status: Result<BindStatus, String>,
}

/// Reads `codex_config` (`$CODEX_HOME/config.toml`), or the file a valid bind state in
/// `bind_dir` names when that is another one.
pub fn read_binding(codex_config: Option<&Path>, bind_dir: &Path) -> BindingRead {
    let Some(path) = codex_config else {
        return BindingRead {
            config_path: None,
            status: Err(NO_CODEX_HOME.to_owned()),
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
        return BindingRead {
            status: status(&other, bind_dir).map_err(|e| e.to_string()),
            config_path: Some(other),
        };
    }
    BindingRead {
        config_path: Some(path.to_owned()),
        status: first,
    }
}

impl BindingRead {
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

    /// The binding Codex will actually use.
    pub fn mode(&self) -> Option<BindMode> {
        self.binding().and_then(Binding::mode)
    }

    /// Why the binding could not be read at all, if it could not.
    pub fn error(&self) -> Option<&str> {
        match &self.status {
            Err(reason) => Some(reason),
            Ok(BindStatus {
                config: ConfigStatus::Unreadable { reason },
                ..
            }) => Some(reason),
            Ok(_) => None,
        }
    }

    /// The `binding` object, compared with the daemon listening on `port` with client key
    /// `key` (the key is compared in constant time and never shown); `None` when no daemon
    /// was asked, so nothing matches it.
    pub fn view(&self, daemon: Option<(u16, &Secret)>) -> BindingView {
        let state = match &self.status {
            Err(_) => "unknown",
            Ok(s) => match s.state {
                StateStatus::Valid { .. } => "valid",
                StateStatus::Missing => "missing",
                StateStatus::Invalid { .. } => "invalid",
            },
        };
        let mut view = BindingView {
            config_path: self.config_path.as_ref().map(|p| p.display().to_string()),
            state: state.to_owned(),
            error: self.error().map(str::to_owned),
            ..BindingView::default()
        };
        let Some(b) = self.binding() else {
            return view;
        };
        let mode = b.mode();
        view.key_matches = daemon.filter(|_| b.bound).map(|(_, key)| b.key_matches(key));
        view.port = b.effective_port().or(b.port);
        let port_matches = mode.is_some() && daemon.is_some_and(|(port, _)| view.port == Some(port));
        // The native binding carries no key: the daemon accepts Codex's own bearer.
        view.matches_daemon = match mode {
            Some(BindMode::Native) => port_matches,
            _ => port_matches && view.key_matches == Some(true),
        };
        view.bound = mode.is_some();
        view.mode = mode.map(|m| m.as_str().to_owned());
        view.bypassed_by = bypassed_by(b);
        view.remote_compaction = b.remote_compaction;
        view
    }
}

/// The profiles that bypass the binding in use, as TOML paths (`profiles.work`), the default
/// one first.
fn bypassed_by(b: &Binding) -> Vec<String> {
    let mut names = b.bypassing_profiles(b.mode().unwrap_or_default()).to_vec();
    if let Some(active) = b.active_profile.as_ref().filter(|_| b.active_profile_bypasses()) {
        names.retain(|n| n != active);
        names.insert(0, active.clone());
    }
    names.into_iter().map(|n| format!("profiles.{n}")).collect()
}

#[cfg(test)]
#[path = "binding_read_tests.rs"]
mod tests;
