//! Crash-safe file replacement.
//!
//! A file that matters (`accounts.json`, `state.json`, `client.key`, Codex's `config.toml`
//! and `auth.json`) is never written in place: the new bytes go to a temporary file in the
//! same directory (same filesystem, so the rename is atomic), which is flushed to disk, given
//! its final mode, and renamed over the target; then the directory itself is flushed so the
//! rename survives a power cut. A crash at any instant leaves either the whole old file or the
//! whole new one. Temporary files are named `<name>.<pid>.<random>.tmp` so concurrent writers
//! never collide and [`remove_stale_tmp`] can recognise its own leftovers.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::error::StoreError;
use crate::retry::{RetryPolicy, retry};

/// Replace `path` with `bytes` atomically; `mode` is the Unix permission bits of the result
/// (ignored on Windows).
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), StoreError> {
    write_atomic_with(path, &|w| w.write_all(bytes), mode, &RealFs, RetryPolicy::DEFAULT)
}

/// [`write_atomic`] with the contents written by `content` straight into the temporary file, so a
/// large document (a `state.json` of 100 000 sessions) is never held whole in memory. `content` may
/// run more than once (a retried write starts over) and must write the same bytes each time.
pub fn write_atomic_streamed(
    path: &Path,
    content: &dyn Fn(&mut dyn Write) -> io::Result<()>,
    mode: u32,
) -> Result<(), StoreError> {
    write_atomic_with(path, content, mode, &RealFs, RetryPolicy::DEFAULT)
}

/// What writes a file's contents into its temporary file.
pub(crate) type Content<'a> = &'a dyn Fn(&mut dyn Write) -> io::Result<()>;

/// Create `path` with `bytes` atomically unless it already exists. Returns `false`, leaving
/// the existing file alone, if it does. Two racing creators end with exactly one file, and
/// each of them learns whether it was theirs.
pub fn create_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<bool, StoreError> {
    let fs = RealFs;
    let policy = RetryPolicy::DEFAULT;
    let (dir, name) = split(path)?;
    let tmp = create_tmp_with_retry(&fs, policy, path, &dir, &name, &|w| w.write_all(bytes), mode)?;
    let linked = retry(policy, || fs::hard_link(&tmp, path));
    let created = match linked {
        Ok(()) => true,
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => false,
        // No hard links on this filesystem: fall back to a rename guarded by an existence
        // check. The callers hold the router's locks, so the window is only theoretical.
        Err(_) if !path.exists() => {
            let renamed = retry(policy, || fs.rename(&tmp, path));
            if let Err(source) = renamed {
                let _ = retry(policy, || fs.remove(&tmp));
                return Err(StoreError::Write {
                    path: path.to_owned(),
                    source,
                });
            }
            true
        }
        Err(_) => false,
    };
    let _ = retry(policy, || fs.remove(&tmp));
    if created {
        fs.sync_dir(&dir).map_err(|source| StoreError::Write {
            path: path.to_owned(),
            source,
        })?;
    }
    Ok(created)
}

/// Remove this tool's temporary files (`<name>.<pid>.<random>.tmp`) in `dir` that were last
/// modified more than `older_than` ago; they are left over by a crash mid-write. Returns how
/// many were removed. Failures are logged and skipped: cleanup never stops a start.
pub fn remove_stale_tmp(dir: &Path, older_than: Duration) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let now = SystemTime::now();
    let mut n_removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !is_our_tmp_name(name) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let age = meta.modified().ok().and_then(|m| now.duration_since(m).ok());
        if !meta.is_file() || age.is_none_or(|age| age < older_than) {
            continue;
        }
        match retry(RetryPolicy::DEFAULT, || fs::remove_file(entry.path())) {
            Ok(()) => n_removed += 1,
            Err(err) => {
                tracing::warn!(path = %entry.path().display(), error = %err, "cannot remove stale temp file")
            }
        }
    }
    n_removed
}

/// The filesystem operations of an atomic write, behind a trait so tests can inject failures.
pub(crate) trait Fs {
    /// Create `tmp` (it must not exist), write what `content` writes, flush to disk, set `mode`. On failure
    /// after creating it, remove it again.
    fn create_tmp(&self, tmp: &Path, content: Content<'_>, mode: u32) -> io::Result<()>;
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    fn remove(&self, path: &Path) -> io::Result<()>;
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
}

pub(crate) struct RealFs;

impl Fs for RealFs {
    fn create_tmp(&self, tmp: &Path, content: Content<'_>, mode: u32) -> io::Result<()> {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
        let mut file = options.open(tmp)?;
        let written = write_and_flush(&mut file, content, mode);
        drop(file);
        if written.is_err() {
            let _ = fs::remove_file(tmp);
        }
        written
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        match fs::remove_file(path) {
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
            res => res,
        }
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        sync_dir(dir)
    }
}

fn write_and_flush(file: &mut File, content: Content<'_>, mode: u32) -> io::Result<()> {
    {
        let mut buffered = io::BufWriter::with_capacity(64 << 10, &mut *file);
        content(&mut buffered)?;
        buffered.flush()?;
    }
    file.sync_all()?;
    // The umask may have narrowed the mode given at creation; set it exactly.
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(mode))?;
    #[cfg(not(unix))]
    let _ = mode;
    Ok(())
}

/// Flush a directory so a rename inside it is durable. Windows has no such call (and NTFS
/// journals renames), so it is a no-op there.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        match File::open(dir).and_then(|d| d.sync_all()) {
            // Some filesystems cannot fsync a directory; nothing more can be done there.
            Err(err) if matches!(err.raw_os_error(), Some(libc::EINVAL | libc::ENOTSUP)) => Ok(()),
            res => res,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// [`write_atomic`] over any [`Fs`], with any retry policy.
pub(crate) fn write_atomic_with(
    path: &Path,
    content: Content<'_>,
    mode: u32,
    fs: &dyn Fs,
    policy: RetryPolicy,
) -> Result<(), StoreError> {
    let (dir, name) = split(path)?;
    let tmp = create_tmp_with_retry(fs, policy, path, &dir, &name, content, mode)?;
    if let Err(source) = retry(policy, || fs.rename(&tmp, path)) {
        if let Err(err) = retry(policy, || fs.remove(&tmp)) {
            tracing::warn!(path = %tmp.display(), error = %err, "cannot remove temp file after a failed write");
        }
        return Err(StoreError::Write {
            path: path.to_owned(),
            source,
        });
    }
    fs.sync_dir(&dir).map_err(|source| StoreError::Write {
        path: path.to_owned(),
        source,
    })
}

fn create_tmp_with_retry(
    fs: &dyn Fs,
    policy: RetryPolicy,
    path: &Path,
    dir: &Path,
    name: &str,
    content: Content<'_>,
    mode: u32,
) -> Result<PathBuf, StoreError> {
    retry(policy, || {
        let tmp = dir.join(tmp_name(name));
        match fs.create_tmp(&tmp, content, mode) {
            Ok(()) => Ok(tmp),
            // A name collision (vanishingly rare): another try gets another random part.
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "temporary file name taken",
            )),
            Err(err) => Err(err),
        }
    })
    .map_err(|source| StoreError::Write {
        path: path.to_owned(),
        source,
    })
}

/// The directory holding `path` and its file name.
fn split(path: &Path) -> Result<(PathBuf, String), StoreError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| StoreError::NotAFile {
            path: path.to_owned(),
        })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    Ok((dir, name.to_owned()))
}

const RANDOM_HEX_LEN: usize = 16;

fn tmp_name(name: &str) -> String {
    let random: u64 = rand::random();
    format!(
        "{name}.{}.{random:0width$x}.tmp",
        std::process::id(),
        width = RANDOM_HEX_LEN
    )
}

/// `<name>.<pid>.<16 hex>.tmp`, as made by [`tmp_name`].
fn is_our_tmp_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".tmp") else {
        return false;
    };
    let mut parts = stem.rsplitn(3, '.');
    let (Some(random), Some(pid), Some(base)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !base.is_empty()
        && random.len() == RANDOM_HEX_LEN
        && random.bytes().all(|b| b.is_ascii_hexdigit())
        && !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
#[path = "atomic_tests.rs"]
mod tests;
