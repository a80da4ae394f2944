//! The one error type of the service crate.
//!
//! Messages end up verbatim in `codexctl service …` output, so each says what happened and
//! what the user can do about it; a failed command carries its raw output.

use std::io;
use std::path::PathBuf;

use codex_router_store::StoreError;

use crate::runner::CommandSpec;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// A path or name cannot be written into the service definition without changing its
    /// meaning (see [`crate::ServiceSpec::validate`]).
    #[error("cannot install the service: {what} {value:?} {problem}")]
    InvalidSpec {
        what: &'static str,
        value: String,
        problem: &'static str,
    },

    /// No usable service manager; `advice` says what to do instead.
    #[error("no service manager available: {reason}; {advice}")]
    Unavailable { reason: String, advice: String },

    #[error("cannot find your home directory: {var} is not set")]
    NoHome { var: &'static str },

    #[error("the codex-router service is not installed; run `codexctl service install` first")]
    NotInstalled,

    #[error("cannot run `{command}`: {source}")]
    Spawn { command: String, source: io::Error },

    #[error("`{command}` did not finish in time and was killed")]
    Timeout { command: String },

    #[error("`{command}` failed ({status}): {output}{hint}")]
    CommandFailed {
        command: String,
        status: String,
        /// The command's own stderr and stdout, trimmed.
        output: String,
        /// Empty, or a sentence starting with "; " saying how to recover.
        hint: String,
    },

    #[error("cannot create directory {path}: {source}")]
    CreateDir { path: PathBuf, source: io::Error },

    #[error("cannot remove {path}: {source}")]
    Remove { path: PathBuf, source: io::Error },

    #[error(transparent)]
    Store(#[from] StoreError),

    #[error("the install record {path} is unreadable ({reason}); remove it by hand (docs/service.md)")]
    BadRecord { path: PathBuf, reason: String },
}

impl ServiceError {
    /// A failed command, with how to clean up after it.
    pub(crate) fn failed(command: &CommandSpec, output: &crate::runner::CommandOutput, hint: &str) -> Self {
        ServiceError::CommandFailed {
            command: command.to_string(),
            status: output.status_text(),
            output: output.combined_text(),
            hint: hint.to_owned(),
        }
    }
}
