//! The `binding` object of `status --json`: is Codex's `config.toml` pointed at this daemon?
//!
//! Read through `codex-config`'s read-only `status()` (no lock, no write), the same reader
//! `codexctl rotation status` and `doctor` use, so the daemon and the CLI agree. "Bound" is
//! what Codex will do: its `config.toml` selects the `codex-router` provider (`mode`
//! `"provider"`), or keeps the built-in provider with `openai_base_url` at the router (`mode`
//! `"native"`). `matches_daemon` says whether that binding reaches this daemon: the port
//! written there is the daemon's and, for the provider binding, so is the client key (compared
//! in constant time; the key never appears here). The native binding carries no key: Codex
//! sends its own bearer. The bind state in
//! `bind/` only says how unbind will undo it; a state that is unreadable, fails its hash or holds
//! a port outside 1..65535 is reported as `invalid` (review #48).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use codex_router_codex_config::{BindMode, BindStatus, Binding as Found, ConfigStatus, StateStatus, status};
use codex_router_core::Secret;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Binding {
    pub bound: bool,
    /// The binding Codex will use: `"provider"` or `"native"`; absent when not bound (so the
    /// document of an unbound daemon is unchanged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<&'static str>,
    /// The Codex `config.toml` (the one a valid bind state names, else `$CODEX_HOME`'s).
    pub config_path: Option<String>,
    /// The port written into Codex's config: the `codex-router` provider's, or natively the
    /// one in `openai_base_url`.
    pub port: Option<u16>,
    /// Bound, to this daemon's port, with this daemon's client key.
    pub matches_daemon: bool,
    /// Codex profiles (`profiles.<name>`) whose own `model_provider` bypasses the binding, the
    /// default profile first. A `-c model_provider=...` on Codex's command line cannot be seen.
    pub bypassed_by: Vec<String>,
    /// Whether the written key is this daemon's; `null` when not bound.
    pub key_matches: Option<bool>,
    /// `bind/state.json`: `valid`, `missing`, `invalid`, or `unknown` (could not be read).
    pub state: &'static str,
    pub remote_compaction: bool,
    /// Why the binding could not be read (an unreadable `config.toml`), else `null`.
    pub error: Option<String>,
}

/// Reads `bind_dir` and the Codex config and compares them with this daemon.
pub fn read(bind_dir: &Path, codex_config: Option<&Path>, daemon_port: u16, key: &Secret) -> Binding {
    let Some(path) = codex_config else {
        return unknown(None, "no Codex home: set CODEX_HOME or HOME".to_owned());
    };
    let mut found = status(path, bind_dir);
    if let Ok(BindStatus {
        state: StateStatus::Valid { config_path, .. },
        ..
    }) = &found
        && config_path != path
    {
        let other: PathBuf = config_path.clone();
        found = status(&other, bind_dir);
    }
    match found {
        Err(e) => unknown(Some(path), e.to_string()),
        Ok(found) => from_status(&found, daemon_port, key),
    }
}

fn from_status(s: &BindStatus, daemon_port: u16, key: &Secret) -> Binding {
    let state = match s.state {
        StateStatus::Valid { .. } => "valid",
        StateStatus::Missing => "missing",
        StateStatus::Invalid { .. } => "invalid",
    };
    let config_path = Some(s.config_path.display().to_string());
    let b = match &s.config {
        ConfigStatus::Read(b) => b,
        ConfigStatus::Missing => {
            return Binding {
                state,
                ..unbound(config_path)
            };
        }
        ConfigStatus::Unreadable { reason } => {
            return Binding {
                state,
                error: Some(reason.clone()),
                ..unbound(config_path)
            };
        }
    };
    let mode = b.mode();
    let key_matches = b.bound.then(|| b.key_matches(key));
    let port = b.effective_port().or(b.port);
    let port_matches = mode.is_some() && port == Some(daemon_port);
    Binding {
        bound: mode.is_some(),
        mode: mode.map(BindMode::as_str),
        config_path,
        port,
        matches_daemon: match mode {
            Some(BindMode::Native) => port_matches,
            _ => port_matches && key_matches == Some(true),
        },
        bypassed_by: bypassed_by(b),
        key_matches,
        state,
        remote_compaction: b.remote_compaction,
        error: None,
    }
}

/// The profiles that bypass the binding in use, the default profile first, as
/// `profiles.<name>`.
fn bypassed_by(b: &Found) -> Vec<String> {
    let mut names = b.bypassing_profiles(b.mode().unwrap_or_default()).to_vec();
    if let Some(active) = b.active_profile.as_ref().filter(|_| b.active_profile_bypasses()) {
        names.retain(|n| n != active);
        names.insert(0, active.clone());
    }
    names.into_iter().map(|n| format!("profiles.{n}")).collect()
}

fn unbound(config_path: Option<String>) -> Binding {
    Binding {
        bound: false,
        mode: None,
        config_path,
        port: None,
        matches_daemon: false,
        bypassed_by: Vec::new(),
        key_matches: None,
        state: "unknown",
        remote_compaction: false,
        error: None,
    }
}

pub(crate) fn unknown(path: Option<&Path>, why: String) -> Binding {
    Binding {
        error: Some(why),
        ..unbound(path.map(|p| p.display().to_string()))
    }
}

/// The last [`Binding`] read, and what the files it came from looked like.
///
/// `status --watch` asks for the binding up to ten times a second; reading means opening Codex's
/// `config.toml`, `bind/state.json` and `bind/config.toml.orig`, parsing the TOML and hashing the
/// bytes. The cache answers from memory while every one of those files has the same stamp
/// (length, modification time and, on Unix, inode and change time: an atomic replace is a new
/// inode, an in-place edit a new change time) as when it was read, and reads again otherwise.
/// Stamps are taken before the read, so a change during a read makes the next call read again.
/// The daemon's port and key never change during its life; they are part of the key anyway.
#[derive(Debug, Default)]
pub struct BindingCache {
    last: parking_lot::Mutex<Option<Cached>>,
    reads: AtomicU64,
}

#[derive(Debug)]
struct Cached {
    files: Vec<(PathBuf, Option<Stamp>)>,
    port: u16,
    key: Secret,
    binding: Binding,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    inode: (u64, u64),
    #[cfg(unix)]
    changed: (i64, i64),
}

fn stamp(path: &Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    use std::os::unix::fs::MetadataExt;
    Some(Stamp {
        len: m.len(),
        modified: m.modified().ok(),
        #[cfg(unix)]
        inode: (m.dev(), m.ino()),
        #[cfg(unix)]
        changed: (m.ctime(), m.ctime_nsec()),
    })
}

impl BindingCache {
    /// [`read`], from memory while none of the files it read has changed. Blocking: call it
    /// from the blocking pool.
    pub fn read(
        &self,
        bind_dir: &Path,
        codex_config: Option<&Path>,
        daemon_port: u16,
        key: &Secret,
    ) -> Binding {
        let Some(config) = codex_config else {
            return read(bind_dir, None, daemon_port, key);
        };
        let mut last = self.last.lock();
        if let Some(c) = last.as_ref()
            && c.port == daemon_port
            && c.key.expose() == key.expose()
            && c.files.iter().all(|(path, s)| stamp(path) == *s)
        {
            return c.binding.clone();
        }
        let mut paths = vec![
            config.to_path_buf(),
            bind_dir.join("state.json"),
            bind_dir.join("config.toml.orig"),
        ];
        // A valid bind state may name another `config.toml`; the last read said which.
        if let Some(other) = last.as_ref().and_then(|c| c.files.get(3)) {
            paths.push(other.0.clone());
        }
        let mut files: Vec<(PathBuf, Option<Stamp>)> =
            paths.into_iter().map(|p| (p.clone(), stamp(&p))).collect();
        let binding = read(bind_dir, Some(config), daemon_port, key);
        self.reads.fetch_add(1, Ordering::Relaxed);
        let other_before = files.get(3).cloned();
        files.truncate(3);
        if let Some(other) = binding.config_path.as_deref().map(PathBuf::from)
            && other != config
        {
            let s = match other_before {
                Some((p, s)) if p == other => s,
                _ => stamp(&other),
            };
            files.push((other, s));
        }
        *last = Some(Cached {
            files,
            port: daemon_port,
            key: key.clone(),
            binding: binding.clone(),
        });
        binding
    }

    /// How many times the files were actually read (not answered from memory).
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
#[path = "binding_tests.rs"]
mod tests;
