//! Where the control socket lives, as pure functions compiled and tested on every OS.
//!
//! Unix uses the socket *file* `run/codexctl.sock` (a filesystem name, never an abstract one:
//! abstract sockets have no file permissions, so any local user could connect). Windows has no
//! socket file; it uses a named pipe, and pipe names are global to the machine, so the name
//! carries the user and a hash of the socket path (hence of the router home): two users, or two
//! router homes of one user, never collide.

use std::io;
use std::path::{Path, PathBuf};

use interprocess::local_socket::{GenericFilePath, Name, ToFsName};

/// The OS-level name of the control endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// A Unix domain socket file.
    Path(PathBuf),
    /// A Windows named pipe, `\\.\pipe\...`.
    Pipe(String),
}

impl Endpoint {
    /// The interprocess name to bind or connect to.
    pub fn to_name(&self) -> io::Result<Name<'_>> {
        match self {
            Self::Path(path) => path.as_path().to_fs_name::<GenericFilePath>(),
            Self::Pipe(pipe) => pipe.as_str().to_fs_name::<GenericFilePath>(),
        }
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Path(path) => write!(f, "{}", path.display()),
            Self::Pipe(pipe) => f.write_str(pipe),
        }
    }
}

/// The endpoint for `socket_path` on the OS this is compiled for. `user` only matters on
/// Windows; pass the login name there.
pub fn endpoint_name(socket_path: &Path, user: &str) -> Endpoint {
    if cfg!(windows) {
        Endpoint::Pipe(pipe_name(&socket_path.to_string_lossy(), user))
    } else {
        Endpoint::Path(socket_path.to_path_buf())
    }
}

/// The endpoint for `socket_path` and the current user (from `USERNAME`, else `USER`: on
/// Windows `USERNAME` is always set by the logon session, and nothing else needs the user).
pub fn local_endpoint(socket_path: &Path) -> Endpoint {
    let user = std::env::var("USERNAME")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_default();
    endpoint_name(socket_path, &user)
}

/// `\\.\pipe\codex-router-<user>-<hash>` where `<user>` is the sanitised login name and `<hash>`
/// 12 hex digits of FNV-1a over the normalised socket path. FNV is used because the name must
/// be identical in every build of the daemon and of `codexctl`, which std's hasher does not
/// promise.
pub fn pipe_name(socket_path: &str, user: &str) -> String {
    let hash = fnv1a64(normalise_windows_path(socket_path).as_bytes());
    format!(
        r"\\.\pipe\codex-router-{}-{:012x}",
        sanitise_user(user),
        hash >> 16
    )
}

/// Windows paths are case-insensitive and accept both separators, so `C:\Users\Me` and
/// `c:/users/me/` must name the same pipe.
fn normalise_windows_path(path: &str) -> String {
    let unified = path.replace('/', "\\").to_lowercase();
    unified.trim_end_matches('\\').to_owned()
}

/// Keeps `[a-z0-9._-]` (lowercased: Windows user names are case-insensitive), maps anything
/// else to `_`, caps the length so the pipe name stays far below the 256-char limit.
fn sanitise_user(user: &str) -> String {
    let cleaned: String = user
        .chars()
        .take(64)
        .map(|c| match c {
            'a'..='z' | '0'..='9' | '.' | '_' | '-' => c,
            'A'..='Z' => c.to_ascii_lowercase(),
            _ => '_',
        })
        .collect();
    if cleaned.is_empty() {
        "user".to_owned()
    } else {
        cleaned
    }
}

fn fnv1a64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes
        .iter()
        .fold(OFFSET, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(PRIME))
}

#[cfg(test)]
#[path = "endpoint_tests.rs"]
mod tests;
