//! The one error type of the store.
//!
//! Every variant names the file it is about and says what the user can do, because these
//! messages end up verbatim in `codexctl` output and in the daemon's startup failure. None of
//! them carries file content: the files hold tokens.

use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error(
        "cannot determine the router home (no home directory found); set CODEX_ROUTER_HOME to a directory"
    )]
    NoRouterHome,

    #[error("cannot determine the Codex home (no home directory found); set CODEX_HOME to Codex's directory")]
    NoCodexHome,

    #[error(
        "cannot create directory {path}: {source}; check the parent's permissions or set CODEX_ROUTER_HOME"
    )]
    CreateDir { path: PathBuf, source: io::Error },

    #[error("cannot read {path}: {source}; check that it belongs to this user and is readable")]
    Read { path: PathBuf, source: io::Error },

    #[error(
        "cannot write {path}: {source}; check free space and that the directory belongs to this user \
         (the previous version of the file, if any, is unchanged)"
    )]
    Write { path: PathBuf, source: io::Error },

    #[error("cannot lock {path}: {source}; check that the run directory belongs to this user")]
    Lock { path: PathBuf, source: io::Error },

    #[error("cannot move the unreadable {path} aside: {source}; move or delete it by hand, then retry")]
    KeepAside { path: PathBuf, source: io::Error },

    #[error("{path} is not a file path (it has no file name)")]
    NotAFile { path: PathBuf },

    #[error("cannot encode the data for {path}: {reason}; this is a bug, please report it")]
    Encode { path: PathBuf, reason: String },

    #[error(
        "{path} does not hold a client key (64 lowercase hex characters); delete it and restart the \
         daemon to create a new key, then run `codexctl rotation bind-app` again"
    )]
    InvalidClientKey { path: PathBuf },

    #[error("cannot generate random bytes for {path}: {reason}")]
    Random { path: PathBuf, reason: String },
}
