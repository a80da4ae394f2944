//! Advisory whole-file locks (`run/daemon.lock`, `run/accounts.lock`, `bind/bind.lock`).
//!
//! The lock lives as long as the [`FileLock`] value and is released when it is dropped, or by
//! the OS when the process dies, so a crashed holder never leaves a stale lock behind (unlike
//! lock directories or pid files). The lock file itself is never deleted: deleting it would
//! let a second process lock a new inode while the first still holds the old one.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use fs4::fs_std::FileExt;

use crate::error::StoreError;

/// An exclusive lock on a file, held until dropped.
#[derive(Debug)]
pub struct FileLock {
    file: File,
    path: PathBuf,
}

impl FileLock {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Record this process's pid in the lock file, so `daemon stop` can name (and if need be
    /// kill) the holder. Only meaningful while the lock is held.
    pub fn write_pid(&mut self) -> Result<(), StoreError> {
        let pid = std::process::id();
        let res = (|| {
            self.file.set_len(0)?;
            self.file.seek(SeekFrom::Start(0))?;
            self.file.write_all(format!("{pid}\n").as_bytes())?;
            self.file.sync_data()
        })();
        res.map_err(|source| StoreError::Write {
            path: self.path.clone(),
            source,
        })?;
        // Windows locks are mandatory: another process cannot read a locked file, so the pid
        // is also kept next to it.
        #[cfg(windows)]
        crate::atomic::write_atomic(&pid_sidecar(&self.path), format!("{pid}\n").as_bytes(), 0o600)?;
        Ok(())
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first makes the release immediate
        // even if a duplicated handle were still open somewhere.
        let _ = FileExt::unlock(&self.file);
    }
}

/// Take the lock if nobody holds it; `None` if another process (or another handle in this
/// process) holds it.
pub fn try_lock(path: &Path) -> Result<Option<FileLock>, StoreError> {
    let file = open_lock_file(path)?;
    match file.try_lock_exclusive() {
        Ok(true) => Ok(Some(FileLock {
            file,
            path: path.to_owned(),
        })),
        Ok(false) => Ok(None),
        Err(err) if err.kind() == io::ErrorKind::WouldBlock => Ok(None),
        Err(source) => Err(StoreError::Lock {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Wait as long as it takes for the lock.
pub fn lock_blocking(path: &Path) -> Result<FileLock, StoreError> {
    let file = open_lock_file(path)?;
    loop {
        match file.lock_exclusive() {
            Ok(()) => {
                return Ok(FileLock {
                    file,
                    path: path.to_owned(),
                });
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(source) => {
                return Err(StoreError::Lock {
                    path: path.to_owned(),
                    source,
                });
            }
        }
    }
}

/// Wait up to `timeout` for the lock; `None` if it is still held then. Polls with a short
/// doubling pause (5 ms up to 100 ms): the OS offers no portable timed lock.
pub fn lock_with_timeout(path: &Path, timeout: Duration) -> Result<Option<FileLock>, StoreError> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(5);
    loop {
        if let Some(lock) = try_lock(path)? {
            return Ok(Some(lock));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// The pid recorded by [`FileLock::write_pid`]. Only meaningful while the lock is held (check
/// with [`try_lock`]): after a crash the file still names the dead holder.
pub fn read_lock_pid(path: &Path) -> Option<u32> {
    let parse = |text: &str| text.trim().parse::<u32>().ok().filter(|pid| *pid != 0);
    let mut text = String::new();
    if File::open(path)
        .and_then(|mut f| f.read_to_string(&mut text))
        .is_ok()
        && let Some(pid) = parse(&text)
    {
        return Some(pid);
    }
    #[cfg(windows)]
    if let Ok(text) = std::fs::read_to_string(pid_sidecar(path)) {
        return parse(&text);
    }
    None
}

#[cfg(windows)]
fn pid_sidecar(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".pid");
    PathBuf::from(name)
}

fn open_lock_file(path: &Path) -> Result<File, StoreError> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|source| StoreError::Lock {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
#[path = "lock_tests.rs"]
mod tests;
