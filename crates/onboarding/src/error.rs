//! The two error types of onboarding: one for reading files to import, one for logins.
//!
//! The files being imported hold tokens and emails, and these messages are printed verbatim by
//! `codexctl`, so no variant carries anything read from a file or typed by the user: an import
//! error names the file and what is wrong with its shape (a field name, a position), a login
//! error names the step that failed and what to do next.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use codex_router_oauth::LoginError;

/// A file that could not be imported. Nothing is imported when any file of a batch fails, so
/// the message also says that nothing changed.
#[derive(Debug, thiserror::Error)]
#[error("cannot import {}: {problem}; nothing was imported", path.display())]
pub struct ImportError {
    pub path: PathBuf,
    pub problem: ImportProblem,
}

/// What is wrong with a file, in the file's own terms (field names, line and column).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportProblem {
    #[error("cannot read it: {0}")]
    Read(#[source] io::Error),
    #[error("the file is empty")]
    Empty,
    #[error("it is not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 { offset: usize },
    #[error("the JSON ends early at line {line} column {column} (the file looks truncated)")]
    Truncated { line: usize, column: usize },
    #[error("it is not valid JSON (syntax error at line {line} column {column})")]
    Syntax { line: usize, column: usize },
    #[error("expected a JSON object at the top level, found {found}")]
    NotAnObject { found: &'static str },
    #[error("this auth.json holds an API key, not a ChatGPT login; only ChatGPT logins can join the pool")]
    ApiKeyOnly,
    #[error("it holds no ChatGPT login (no `tokens` object); sign Codex in with `codex login` first")]
    NoLogin,
    /// A field is missing or has the wrong type; `field` is a path such as `accounts[2].refreshToken`.
    #[error("`{field}` {problem}")]
    Field { field: String, problem: &'static str },
    #[error("unsupported version {found}; codex-multi-auth accounts files of version 1 or 3 can be imported")]
    UnsupportedVersion { found: String },
    #[error("this is a codex-multi-auth accounts file, not a Codex auth.json; pass it with --multi-auth")]
    LooksLikeMultiAuth,
    #[error("this is a Codex auth.json, not a codex-multi-auth accounts file; pass it without --multi-auth")]
    LooksLikeCodexAuth,
}

impl ImportProblem {
    pub(crate) fn field(field: impl Into<String>, problem: &'static str) -> Self {
        Self::Field {
            field: field.into(),
            problem,
        }
    }
}

/// Why a login produced no account. Whatever the cause, nothing was written: the flows only
/// return accounts, and the caller adds them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginFlowError {
    /// A step of the OAuth exchange failed (state mismatch, refusal, expiry, issuer error).
    #[error(transparent)]
    OAuth(#[from] LoginError),
    #[error(
        "cannot listen on {addr} for the login callback: the port is in use (another login, or \
         `codex login`, may be waiting there); finish or stop it, or run `codexctl accounts login --no-browser`"
    )]
    CallbackPortBusy { addr: SocketAddr },
    #[error(
        "cannot listen on {addr} for the login callback: {source}; run `codexctl accounts login --no-browser` \
         or `--device` instead"
    )]
    CallbackBind {
        addr: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("the login callback server stopped: {0}; nothing was added, start the login again")]
    CallbackServer(String),
    #[error("no sign-in arrived within {} s; nothing was added, start the login again", .waited.as_secs())]
    Timeout { waited: Duration },
    /// The requested label is not header-safe. The label itself is not repeated: users type
    /// emails here.
    #[error("a label must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-'")]
    InvalidLabel,
}
