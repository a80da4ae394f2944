//! Router settings (SPEC §8): `$CODEX_ROUTER_HOME/config.toml` plus environment overrides,
//! validated into [`Settings`].
//!
//! # Layout
//! - `raw` — the file's shape (`#[serde(deny_unknown_fields)]`, every leaf a `toml::Value`).
//! - `build` — the typed layer: conversion, validation, precedence (env > file > default) and
//!   the [`SettingEntry`] list behind `codexctl config show`.
//! - `convert` — one converter per kind of value, shared by file and environment.
//! - [`model`] — the validated types and their defaults.
//! - [`listen`] — the loopback-only [`ListenAddr`].
//! - [`duration`] — `"45s"`-style durations.
//!
//! Nothing here reads the process environment or the clock: the caller passes the file text and
//! an environment lookup, so tests and `codexctl` (which validates before the daemon reloads)
//! run the exact code the daemon runs. See `docs/settings.md` for every key.

mod build;
mod convert;
pub mod duration;
mod error;
pub mod listen;
pub mod model;
mod raw;

use std::io;
use std::path::Path;

pub use build::{
    ENV_FETCH_TIMEOUT_MS, ENV_ISSUER, ENV_LISTEN, ENV_LOG, ENV_STREAM_STALL_TIMEOUT_MS, ENV_UPSTREAM,
    SettingEntry, Source,
};
pub use duration::{format_duration, parse_duration};
pub use error::SettingsError;
pub use listen::{ListenAddr, ListenAddrError, ListenHost};
pub use model::{
    OAuthSettings, PoolConfig, ProxySettings, QuotaSettings, RotationSettings, Settings, Strategy,
    UpstreamSettings, WebsocketMode,
};

/// Validated settings from the file's text (`None`: no file) and the environment.
pub fn load(
    file_text: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, SettingsError> {
    load_with_sources(file_text, env).map(|(settings, _)| settings)
}

/// [`load`], plus every key's effective value and where it came from, in file order
/// (`proxy.*`, `upstream.*`, `oauth.*`, `rotation.*`, `quota.*`, `log.*`).
pub fn load_with_sources(
    file_text: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Settings, Vec<SettingEntry>), SettingsError> {
    let raw = match file_text {
        Some(text) => raw::parse(text)?,
        None => raw::RawFile::default(),
    };
    build::build(&raw, env)
}

/// The keys whose change only takes effect after a daemon restart; `config reload` applies
/// everything else live. Only the listen address: rebinding would drop open connections.
pub fn restart_required(old: &Settings, new: &Settings) -> Vec<&'static str> {
    let mut keys = Vec::new();
    // `localhost:2456` and `127.0.0.1:2456` bind the same socket.
    if old.proxy.listen.socket_addr() != new.proxy.listen.socket_addr() {
        keys.push("proxy.listen");
    }
    keys
}

/// The keys whose value differs between `old` and `new`, by their `config.toml` name, in file
/// order.
pub fn changed_keys(old: &Settings, new: &Settings) -> Vec<&'static str> {
    build::entries(old)
        .into_iter()
        .zip(build::entries(new))
        .filter(|(a, b)| a.value != b.value)
        .map(|(a, _)| a.key)
        .collect()
}

/// The text of `config.toml`, `None` if there is no such file (defaults apply).
pub fn read_file(path: &Path) -> Result<Option<String>, SettingsError> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| SettingsError::NotUtf8 {
                path: path.to_owned(),
            }),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(SettingsError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
#[cfg(test)]
#[path = "validation_tests.rs"]
mod validation_tests;
