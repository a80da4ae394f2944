//! The one error type of the binder.
//!
//! Messages end up verbatim in `codexctl` output, so each says what happened and what to do.
//! None carries file content: Codex's `config.toml` holds the client key once bound, and a TOML
//! parser's usual error shows the offending line. Parse errors therefore carry a position and
//! the parser's description only ([`TomlProblem`]).

use std::io;
use std::path::PathBuf;

use codex_router_store::StoreError;

/// Where a TOML text failed to parse, without the text itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TomlProblem {
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// The parser's description (`invalid string`, `duplicate key`...), never a quote of the line.
    pub message: String,
}

impl std::fmt::Display for TomlProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, column {}: {}", self.line, self.column, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BindError {
    /// Bind never writes port 0: it means the daemon never reported where it listens; writing it
    /// would make every Codex request fail.
    #[error(
        "refusing to bind Codex to port 0: the daemon did not report its listen port; start it with \
         `codexctl daemon start` and retry (config.toml was not changed)"
    )]
    PortZero,

    #[error("refusing to bind Codex with an empty client key; restart the daemon so it creates one")]
    EmptyClientKey,

    /// A text handed to the pure edit functions is not TOML.
    #[error("the Codex config is not valid TOML ({0}); fix it, then retry (nothing was changed)")]
    Toml(TomlProblem),

    /// The same, for a file on disk.
    #[error("{path} is not valid TOML ({problem}); fix it, then retry (nothing was changed)")]
    ConfigToml { path: PathBuf, problem: TomlProblem },

    #[error(
        "{path} is not UTF-8 text, so it cannot be Codex's config; fix it, then retry (nothing was changed)"
    )]
    NotUtf8 { path: PathBuf },

    /// A key the binding owns holds something Codex itself would reject.
    #[error(
        "the top-level `{key}` in the Codex config is not {expected}; fix it by hand, then retry \
         (nothing was changed)"
    )]
    UnexpectedShape {
        key: &'static str,
        expected: &'static str,
    },

    #[error("cannot remove {path}: {source}; remove it by hand")]
    Remove { path: PathBuf, source: io::Error },

    /// The lock on `bind/bind.lock` or the bind directory, and any file that cannot be read or
    /// written: the store's messages for those are the ones every command shows.
    #[error(transparent)]
    Store(#[from] StoreError),

    #[error(
        "{path} kept changing while it was being edited ({attempts} tries); close whatever is writing \
         it (a running Codex, an editor) and retry"
    )]
    ConfigKeptChanging { path: PathBuf, attempts: u32 },

    /// The native binding needs Codex's own ChatGPT login (SPEC §7). `keyring`: Codex's
    /// `cli_auth_credentials_store` when it may keep the login in the OS keyring.
    #[error(
        "Codex is not signed in with ChatGPT ({why}; looked in {auth_path}): run `codex login` and sign \
         in with ChatGPT, then bind again (config.toml was not changed){}",
        keyring_hint(keyring.as_deref())
    )]
    NotSignedIn {
        auth_path: PathBuf,
        why: String,
        keyring: Option<String>,
    },

    /// The bind state describes another Codex config; acting on this one would mix them up.
    #[error(
        "the bind state in {bind_dir} belongs to {bound}, not {requested}; run `codexctl rotation \
         unbind-app` with CODEX_HOME set for {bound} first"
    )]
    OtherConfig {
        bind_dir: PathBuf,
        bound: PathBuf,
        requested: PathBuf,
    },
}

fn keyring_hint(store: Option<&str>) -> String {
    match store {
        Some(store) => format!(
            ". Codex's config sets `cli_auth_credentials_store = \"{store}\"`, so its login may live in \
             the OS keyring, which the router does not read: set `cli_auth_credentials_store = \"file\"` in \
             Codex's config.toml and run `codex login` again"
        ),
        None => String::new(),
    }
}

impl BindError {
    pub(crate) fn read(path: &std::path::Path, source: io::Error) -> Self {
        BindError::Store(StoreError::Read {
            path: path.to_owned(),
            source,
        })
    }

    pub(crate) fn write(path: &std::path::Path, source: io::Error) -> Self {
        BindError::Store(StoreError::Write {
            path: path.to_owned(),
            source,
        })
    }

    /// Name the file a pure-edit parse error came from.
    pub(crate) fn at(self, path: &std::path::Path) -> Self {
        match self {
            BindError::Toml(problem) => BindError::ConfigToml {
                path: path.to_owned(),
                problem,
            },
            other => other,
        }
    }
}
