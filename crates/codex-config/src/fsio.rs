//! The filesystem under the binder: reads, private directories, and every write, removal and
//! rename retried on transient errors (SPEC §3): a bind, an unbind or a service file is written
//! atomically and does not fail on one passing `EPERM` or `EBUSY`.
//!
//! Writes go through [`BindFs`] so tests can inject failures; [`RealFs`] is the store's
//! [`codex_router_store::write_atomic`] (temp file, fsync, rename, directory fsync). The store
//! retries its own transient errors, so what it returns is final (`Exhausted`) and is not
//! retried again here; injected and other [`BindFs`] errors get this layer's retries: 6
//! attempts pausing 10, 20, 40, 80, 160 ms.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use codex_router_store::dirs::PRIVATE_DIR_MODE;
use codex_router_store::retry::RetryPolicy;

use crate::error::BindError;

/// The mutations the binder makes, one attempt each.
pub trait BindFs: Sync {
    /// Replace `path` with `bytes` atomically; `mode` is the Unix permission bits of the result.
    fn write(&self, path: &Path, bytes: &[u8], mode: u32) -> io::Result<()>;
    /// Remove a file; a missing file is not an error.
    fn remove(&self, path: &Path) -> io::Result<()>;
    /// Rename a file (moving damaged bind state aside).
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
}

/// The real filesystem.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealFs;

impl BindFs for RealFs {
    fn write(&self, path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
        codex_router_store::write_atomic(path, bytes, mode).map_err(|err| match err {
            codex_router_store::StoreError::Write { source, .. } => io::Error::other(Exhausted(source)),
            other => io::Error::other(other),
        })
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        match fs::remove_file(path) {
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
            res => res,
        }
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }
}

/// An error the store already retried: final whatever its kind; shows as the inner error.
#[derive(Debug)]
struct Exhausted(io::Error);

impl fmt::Display for Exhausted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Exhausted {}

/// [`BindFs`] with retries and the binder's errors.
#[derive(Clone, Copy)]
pub(crate) struct Io<'a> {
    pub(crate) fs: &'a dyn BindFs,
}

impl Io<'_> {
    pub(crate) fn write(&self, path: &Path, bytes: &[u8], mode: u32) -> Result<(), BindError> {
        retry(|| self.fs.write(path, bytes, mode)).map_err(|source| BindError::write(path, source))
    }

    pub(crate) fn remove(&self, path: &Path) -> Result<(), BindError> {
        retry(|| self.fs.remove(path)).map_err(|source| BindError::Remove {
            path: path.to_owned(),
            source,
        })
    }

    /// Move `path` aside to `<name>.<tag>-<unix ms>` (a free name), if it exists.
    pub(crate) fn keep_aside(
        &self,
        path: &Path,
        tag: &str,
        unix_ms: i64,
    ) -> Result<Option<PathBuf>, BindError> {
        if read_optional(path)?.is_none() {
            return Ok(None);
        }
        let mut name = path.as_os_str().to_owned();
        name.push(format!(".{tag}-{unix_ms}"));
        let base = PathBuf::from(name);
        let mut aside = base.clone();
        let mut n = 1;
        while aside.exists() {
            aside = PathBuf::from(format!("{}.{n}", base.display()));
            n += 1;
        }
        retry(|| self.fs.rename(path, &aside)).map_err(|source| BindError::write(&aside, source))?;
        Ok(Some(aside))
    }
}

fn retry<T>(op: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    codex_router_store::retry::retry(RetryPolicy::DEFAULT, op)
}

/// The file's bytes, `None` if it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, BindError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(BindError::read(path, source)),
    }
}

/// Unix permission bits of an existing file; `None` if it is missing, and on Windows.
pub(crate) fn mode_of(path: &Path) -> Result<Option<u32>, BindError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match fs::metadata(path) {
            Ok(meta) => Ok(Some(meta.permissions().mode() & 0o7777)),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(BindError::read(path, source)),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(None)
    }
}

/// Create `dir` (and its parents) as `0700` if missing; an existing `~/.codex` keeps its mode.
pub(crate) fn ensure_dir(dir: &Path) -> Result<(), BindError> {
    codex_router_store::create_dir_with_mode(dir, PRIVATE_DIR_MODE)
        .map_err(|source| BindError::write(dir, source))
}

/// The file to write for `path`: a symlinked `config.toml` (a dotfiles manager's) is written
/// through, so the link survives the atomic rename.
pub(crate) fn write_target(path: &Path) -> PathBuf {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
        }
        _ => path.to_owned(),
    }
}
