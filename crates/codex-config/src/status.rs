//! `codexctl rotation status`: the binding as found on disk. Read-only: it takes no lock and
//! writes nothing, not even a lock file.

use std::path::{Path, PathBuf};

use codex_router_core::Timestamp;

use crate::error::BindError;
use crate::fsio::read_optional;
use crate::inspect::{Binding, inspect};
use crate::provider::BindMode;
use crate::state::sha256_hex;
use crate::state_io::{BindPaths, Loaded, load};

/// Codex's `config.toml` as found.
// One value per `status` call: boxing `Binding` would buy nothing and change the API the
// daemon and `codexctl` match on.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigStatus {
    Missing,
    /// Not UTF-8 or not TOML; the reason has no file content.
    Unreadable {
        reason: String,
    },
    Read(Binding),
}

/// `bind/state.json` as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateStatus {
    Missing,
    Valid {
        /// The binding the last bind wrote.
        mode: BindMode,
        config_path: PathBuf,
        port: u16,
        bound_at: Timestamp,
        original_existed: bool,
        /// `config.toml` no longer matches what the last bind wrote: unbind will remove the
        /// binding surgically instead of restoring the original bytes.
        edited_since_bind: bool,
    },
    /// Reported; unbind falls back to the surgical removal.
    Invalid {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindStatus {
    pub config_path: PathBuf,
    pub config: ConfigStatus,
    pub state: StateStatus,
    /// The binding Codex will actually use, read from `config.toml` (not from the state):
    /// `Native` when its top-level `openai_base_url` is a router URL and the built-in
    /// provider is selected, `Provider` for the provider binding, `None` otherwise.
    pub mode: Option<BindMode>,
}

pub fn status(config_path: &Path, bind_dir: &Path) -> Result<BindStatus, BindError> {
    let current = read_optional(config_path)?;
    let config = match &current {
        None => ConfigStatus::Missing,
        Some(bytes) => match std::str::from_utf8(bytes) {
            Err(_) => ConfigStatus::Unreadable {
                reason: "not UTF-8 text".to_owned(),
            },
            Ok(text) => match inspect(text) {
                Ok(binding) => ConfigStatus::Read(binding),
                Err(err) => ConfigStatus::Unreadable {
                    reason: err.at(config_path).to_string(),
                },
            },
        },
    };
    let state = match load(&BindPaths::new(bind_dir))? {
        Loaded::Missing { .. } => StateStatus::Missing,
        Loaded::Invalid(invalid) => StateStatus::Invalid {
            reason: invalid.reason,
        },
        Loaded::Valid { state, .. } => StateStatus::Valid {
            mode: state.mode,
            edited_since_bind: current.as_deref().map(sha256_hex).as_deref() != Some(&state.bound_sha256),
            config_path: state.config_path,
            port: state.port,
            bound_at: state.bound_at,
            original_existed: state.original_existed,
        },
    };
    let mode = match &config {
        ConfigStatus::Read(binding) => binding.mode(),
        _ => None,
    };
    Ok(BindStatus {
        config_path: config_path.to_owned(),
        config,
        state,
        mode,
    })
}
