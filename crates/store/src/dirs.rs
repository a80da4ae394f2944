//! Directories that hold tokens, logs and sockets are private to their owner: one place decides
//! how they are made, so the router home, the bind state and the service's directories agree.
//!
//! On Windows the modes are ignored; the profile directory's ACLs already keep other users out.

use std::fs;
use std::io;
use std::path::Path;

/// The mode of every directory the router creates for itself.
pub const PRIVATE_DIR_MODE: u32 = 0o700;

/// Create `dir` and its missing parents with `mode`; an existing directory is left as it is
/// (a user's `~/.codex` keeps the mode the user chose).
pub fn create_dir_with_mode(dir: &Path, mode: u32) -> io::Result<()> {
    // Only the Unix mode below needs `mut`.
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, mode);
    #[cfg(not(unix))]
    let _ = mode;
    builder.create(dir)
}

/// Create `dir` and its missing parents as `0700`, and tighten `dir` itself to `0700` when it
/// already exists looser: it is the router's own, and what it holds is secret.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    create_dir_with_mode(dir, PRIVATE_DIR_MODE)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir)?.permissions().mode();
        if mode & 0o777 != PRIVATE_DIR_MODE {
            fs::set_permissions(dir, fs::Permissions::from_mode(PRIVATE_DIR_MODE))?;
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "dirs_tests.rs"]
mod tests;
