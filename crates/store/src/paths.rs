//! Where the router keeps its files (SPEC §3), resolved once at startup.
//!
//! Environment variables are read through a closure, never from the process directly, so tests
//! and the service installer can resolve paths for any environment. The platform choice is a
//! pure function of [`Platform`] and that environment, tested for every OS on every OS; the
//! `directories` crate is the fallback when the environment names no home at all.

use std::path::{Path, PathBuf};

use crate::error::StoreError;

const APP_DIR: &str = "codex-router";

/// Every path under the router home. Built once and passed down; nothing below reads the
/// environment again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterPaths {
    pub home: PathBuf,
    /// `config.toml`: router settings.
    pub config: PathBuf,
    /// `accounts.json`: the pool, with secrets.
    pub accounts: PathBuf,
    /// `state.json`: cooldowns, quota readings, sessions, counters.
    pub state: PathBuf,
    /// `client.key`: the key Codex presents to the proxy.
    pub client_key: PathBuf,
    /// `run/`: socket, locks, `daemon.json`.
    pub run_dir: PathBuf,
    pub socket: PathBuf,
    pub daemon_lock: PathBuf,
    pub accounts_lock: PathBuf,
    pub daemon_json: PathBuf,
    pub logs_dir: PathBuf,
    /// `bind/`: the original Codex `config.toml` and the bind state.
    pub bind_dir: PathBuf,
}

impl RouterPaths {
    pub fn from_home(home: PathBuf) -> Self {
        let run_dir = home.join("run");
        Self {
            config: home.join("config.toml"),
            accounts: home.join("accounts.json"),
            state: home.join("state.json"),
            client_key: home.join("client.key"),
            socket: run_dir.join("codexctl.sock"),
            daemon_lock: run_dir.join("daemon.lock"),
            accounts_lock: run_dir.join("accounts.lock"),
            daemon_json: run_dir.join("daemon.json"),
            logs_dir: home.join("logs"),
            bind_dir: home.join("bind"),
            run_dir,
            home,
        }
    }

    /// `$CODEX_ROUTER_HOME` if set and non-empty (made absolute), else the platform data
    /// directory joined with `codex-router`.
    pub fn resolve(env: &dyn Fn(&str) -> Option<String>) -> Result<Self, StoreError> {
        if let Some(home) = non_empty(env, "CODEX_ROUTER_HOME") {
            return Ok(Self::from_home(absolute(PathBuf::from(home))));
        }
        let data_dir = platform_data_dir(Platform::current(), env)
            .or_else(|| directories::BaseDirs::new().map(|b| b.data_local_dir().to_owned()))
            .ok_or(StoreError::NoRouterHome)?;
        Ok(Self::from_home(data_dir.join(APP_DIR)))
    }

    /// Create the home, `run/`, `logs/` and `bind/` as `0700`, tightening existing ones on Unix
    /// (the home holds tokens; the run directory holds the control socket).
    pub fn ensure_dirs(&self) -> Result<(), StoreError> {
        for dir in [&self.home, &self.run_dir, &self.logs_dir, &self.bind_dir] {
            create_private_dir(dir)?;
        }
        Ok(())
    }
}

/// Codex's own home: `$CODEX_HOME` if set and non-empty, else `~/.codex` (Codex's rule).
pub fn codex_home(env: &dyn Fn(&str) -> Option<String>) -> Result<PathBuf, StoreError> {
    if let Some(home) = non_empty(env, "CODEX_HOME") {
        return Ok(absolute(PathBuf::from(home)));
    }
    home_dir(Platform::current(), env)
        .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().to_owned()))
        .map(|home| home.join(".codex"))
        .ok_or(StoreError::NoCodexHome)
}

/// The OS families whose data directory conventions differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// Linux and the other Unixes: XDG.
    Linux,
    MacOs,
    Windows,
}

impl Platform {
    pub fn current() -> Self {
        if cfg!(windows) {
            Platform::Windows
        } else if cfg!(target_os = "macos") {
            Platform::MacOs
        } else {
            Platform::Linux
        }
    }
}

/// The per-user data directory, as the `directories` crate's `data_local_dir` computes it,
/// from the environment alone: `$XDG_DATA_HOME` (if absolute) or `~/.local/share`;
/// `~/Library/Application Support`; `%LOCALAPPDATA%`.
pub fn platform_data_dir(platform: Platform, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    match platform {
        Platform::Linux => non_empty(env, "XDG_DATA_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute() || p.has_root())
            .or_else(|| home_dir(platform, env).map(|h| h.join(".local").join("share"))),
        Platform::MacOs => home_dir(platform, env).map(|h| h.join("Library").join("Application Support")),
        Platform::Windows => non_empty(env, "LOCALAPPDATA").map(PathBuf::from),
    }
}

fn home_dir(platform: Platform, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let var = if platform == Platform::Windows {
        "USERPROFILE"
    } else {
        "HOME"
    };
    non_empty(env, var).map(PathBuf::from)
}

fn non_empty(env: &dyn Fn(&str) -> Option<String>, key: &str) -> Option<String> {
    env(key).filter(|v| !v.trim().is_empty())
}

/// A relative override is taken relative to the current directory, once, so a later `chdir`
/// (or a service with another working directory) cannot change what it means.
fn absolute(path: PathBuf) -> PathBuf {
    std::path::absolute(&path).unwrap_or(path)
}

fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    crate::dirs::create_private_dir(dir).map_err(|source| StoreError::CreateDir {
        path: dir.to_owned(),
        source,
    })
}

#[cfg(test)]
#[path = "paths_tests.rs"]
mod tests;
