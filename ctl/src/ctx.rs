//! What every command gets: the resolved router paths, the output mode, and the environment.
//!
//! The environment is read through a closure (like the store and settings crates do) so the
//! same code computes `config show` for the shell's environment and tests can pass their own.

use std::time::Duration;

use anyhow::Context;
use codex_router_store::RouterPaths;

pub type Env = dyn Fn(&str) -> Option<String>;

/// Which service manager `codexctl` drives: `--service-manager`, a flag for tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ServiceManagerChoice {
    /// The platform's own: systemd, launchd, Task Scheduler.
    #[default]
    System,
    /// None, as on a machine without one: nothing is installed and `rotation enable` starts the
    /// daemon detached. The end-to-end tests use it so they never reach the machine's manager.
    None,
}

pub struct Ctx<'e> {
    pub paths: RouterPaths,
    /// `--json`: print one JSON document instead of tables.
    pub json: bool,
    pub service_manager: ServiceManagerChoice,
    env: &'e Env,
}

impl<'e> Ctx<'e> {
    pub fn new(json: bool, env: &'e Env) -> anyhow::Result<Self> {
        let paths = RouterPaths::resolve(env).context("finding the router home")?;
        Ok(Self {
            paths,
            json,
            service_manager: ServiceManagerChoice::System,
            env,
        })
    }

    pub fn with_service_manager(self, service_manager: ServiceManagerChoice) -> Self {
        Self {
            service_manager,
            ..self
        }
    }

    pub fn env(&self, key: &str) -> Option<String> {
        (self.env)(key)
    }

    /// `$CODEX_HOME/config.toml` (Codex's rule for its home), if a home can be found.
    pub fn codex_config(&self) -> Option<std::path::PathBuf> {
        codex_router_store::codex_home(self.env)
            .ok()
            .map(|h| h.join("config.toml"))
    }

    pub fn env_fn(&self) -> &'e Env {
        self.env
    }

    /// A duration in milliseconds from an environment variable (test hooks such as
    /// `CODEXCTL_STOP_GRACE_MS`); `None` when unset or not a number.
    pub fn env_ms(&self, key: &str) -> Option<Duration> {
        self.env(key)?
            .trim()
            .parse::<u64>()
            .ok()
            .map(Duration::from_millis)
    }
}
