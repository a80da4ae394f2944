//! The `binding` object of `status --json`: is Codex's `config.toml` pointed at this daemon?
//!
//! Read through `codex-config`'s [`read_binding`], the same reader `codexctl` uses, so the
//! daemon and the CLI agree; this module only remembers the last answer (see [`BindingCache`]).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use codex_router_codex_config::read_binding;
use codex_router_core::Secret;

pub use codex_router_codex_config::BindingView as Binding;

/// Reads `bind_dir` and the Codex config and compares them with this daemon.
pub fn read(bind_dir: &Path, codex_config: Option<&Path>, daemon_port: u16, key: &Secret) -> Binding {
    read_binding(codex_config, bind_dir).view(Some((daemon_port, key)))
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
