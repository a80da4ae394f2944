//! Ownership of the socket file: tighten its mode after bind, remove it when the listener goes.
//!
//! Removal checks the file is still the one we bound (same device and inode): if a second daemon
//! replaced it meanwhile, deleting by path would cut that daemon off from its clients. This is
//! why interprocess's own name reclamation (which deletes by path) is turned off.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use tracing::debug;

/// `(device, inode)` of a file; `None` where the platform has no such notion.
type FileIdentity = Option<(u64, u64)>;

/// Removes the socket file on drop if it is still ours. Holds nothing for named pipes, which
/// vanish with their last handle.
#[derive(Debug, Default)]
pub(crate) struct SocketFileGuard {
    owned: Option<(PathBuf, (u64, u64))>,
}

impl SocketFileGuard {
    /// Takes ownership of the socket file just bound at `path` and restricts it to the owner.
    pub(crate) fn adopt(path: &Path) -> io::Result<Self> {
        let guard = Self {
            owned: file_identity(path)?.map(|id| (path.to_path_buf(), id)),
        };
        set_mode(path, 0o600)?;
        Ok(guard)
    }
}

impl Drop for SocketFileGuard {
    fn drop(&mut self) {
        let Some((path, identity)) = self.owned.take() else {
            return;
        };
        match file_identity(&path) {
            Ok(Some(current)) if current == identity => {
                if let Err(err) = fs::remove_file(&path) {
                    debug!(path = %path.display(), error = %err, "could not remove the control socket");
                }
            }
            _ => debug!(path = %path.display(), "control socket was replaced or removed; leaving it"),
        }
    }
}

#[cfg(unix)]
fn file_identity(path: &Path) -> io::Result<FileIdentity> {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::symlink_metadata(path)?;
    Ok(Some((meta.dev(), meta.ino())))
}

#[cfg(not(unix))]
fn file_identity(_path: &Path) -> io::Result<FileIdentity> {
    Ok(None)
}

/// Sets the permission bits of `path` (Unix only; Windows relies on ACLs).
#[cfg(unix)]
pub(crate) fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
pub(crate) fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

/// Creates `dir` (and missing parents) private to the owner, and tightens an existing one to
/// `0700`. An existing directory that belongs to someone else or is a shared sticky directory
/// (`/tmp`) is refused rather than tightened: a misconfigured socket path must not `chmod /tmp`.
pub(crate) fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    check_dir_is_ours(dir)?;
    set_mode(dir, 0o700)
}

#[cfg(unix)]
fn check_dir_is_ours(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(dir)?;
    let own = crate::peer::own_euid();
    if own.is_some_and(|uid| uid != meta.uid()) {
        let message = format!("directory is owned by uid {}, not by this user", meta.uid());
        return Err(io::Error::new(io::ErrorKind::PermissionDenied, message));
    }
    if meta.mode() & 0o1000 != 0 {
        let message = "shared sticky directory; the socket needs a private directory such as run/";
        return Err(io::Error::new(io::ErrorKind::PermissionDenied, message));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_dir_is_ours(_dir: &Path) -> io::Result<()> {
    Ok(())
}
