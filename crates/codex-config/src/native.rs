//! The read the daemon makes to know whether Codex is natively bound, and where Codex keeps
//! the login whose bearer it then accepts (SPEC §4, §7). Read-only and infallible by design:
//! anything short of a trusted native bind state means "not natively bound", so a damaged
//! `bind/` never widens what the daemon accepts.

use std::path::{Path, PathBuf};

use crate::provider::BindMode;
use crate::state_io::{BindPaths, Loaded, load};

/// Where the native binding points Codex, from a trusted `bind/state.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeBinding {
    /// The directory holding `config.toml` and `auth.json`.
    pub codex_home: PathBuf,
    /// The `config.toml` the bind wrote.
    pub config_path: PathBuf,
    /// The port written into `openai_base_url`.
    pub port: u16,
}

/// `Some` only when `bind/state.json` is valid (it parses, its port is in range, its
/// original matches its hash) and records a native binding. Takes no lock, writes nothing.
pub fn native_binding(bind_dir: &Path) -> Option<NativeBinding> {
    let Ok(Loaded::Valid { state, .. }) = load(&BindPaths::new(bind_dir)) else {
        return None;
    };
    if state.mode != BindMode::Native {
        return None;
    }
    let codex_home = state
        .config_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    Some(NativeBinding {
        codex_home,
        config_path: state.config_path,
        port: state.port,
    })
}
