//! The daemon's environment, captured once at start.
//!
//! `config show` and `config reload` must read the environment the *daemon* runs with (a
//! service does not inherit the user's shell), and nothing in the workspace reads the process
//! environment below the binaries. So `main` captures the few variables that matter through its
//! lookup closure, and tests hand in exactly the environment they mean, never mutating their own.

use std::collections::HashMap;
use std::path::PathBuf;

use codex_router_settings::{
    ENV_FETCH_TIMEOUT_MS, ENV_ISSUER, ENV_LISTEN, ENV_LOG, ENV_STREAM_STALL_TIMEOUT_MS, ENV_UPSTREAM,
};

/// The variables that override settings (SPEC §8).
const SETTINGS_VARS: [&str; 6] = [
    ENV_LISTEN,
    ENV_UPSTREAM,
    ENV_ISSUER,
    ENV_LOG,
    ENV_FETCH_TIMEOUT_MS,
    ENV_STREAM_STALL_TIMEOUT_MS,
];

#[derive(Clone, Debug, Default)]
pub struct DaemonEnv {
    vars: HashMap<&'static str, String>,
    /// `$CODEX_HOME/config.toml` (Codex's rule: else `~/.codex`); `None` when no home is known.
    codex_config: Option<PathBuf>,
}

impl DaemonEnv {
    /// Captures the settings variables and the Codex home through `env`.
    pub fn capture(env: &dyn Fn(&str) -> Option<String>) -> Self {
        let vars = SETTINGS_VARS
            .iter()
            .filter_map(|&k| env(k).map(|v| (k, v)))
            .collect();
        let codex_config = codex_router_store::codex_home(env)
            .ok()
            .map(|home| home.join("config.toml"));
        Self { vars, codex_config }
    }

    /// [`DaemonEnv::capture`] of this process's environment.
    pub fn from_process() -> Self {
        Self::capture(&|k| std::env::var(k).ok())
    }

    /// Looks a captured variable up, for `codex_router_settings::load`.
    pub fn get(&self, key: &str) -> Option<String> {
        self.vars.get(key).cloned()
    }

    pub fn codex_config(&self) -> Option<&std::path::Path> {
        self.codex_config.as_deref()
    }
}
