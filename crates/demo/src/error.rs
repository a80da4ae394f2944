//! Why the demo stopped. The messages are the ones users read after `codexctl:`; the sources
//! carry the underlying cause, printed after a colon.

use codex_router_ipc::{IpcError, UnexpectedReply};
use codex_router_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{what}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    PlainIo(#[from] std::io::Error),
    #[error("{what}")]
    Store {
        what: &'static str,
        #[source]
        source: StoreError,
    },
    #[error("the demo daemon did not come up; its last words:\n{0}")]
    NotReady(String),
    #[error("codex-routerd could not do `{method}`")]
    Daemon {
        method: String,
        /// Boxed: the IPC error is large and every demo result would carry its size.
        #[source]
        source: Box<IpcError>,
    },
    #[error(transparent)]
    Reply(#[from] UnexpectedReply),
    #[error("{what}")]
    Http {
        what: &'static str,
        #[source]
        source: reqwest::Error,
    },
    #[error("{what}")]
    Timeout {
        what: &'static str,
        #[source]
        source: tokio::time::error::Elapsed,
    },
    #[error("the router answered HTTP {status}: {body}")]
    Refused {
        status: reqwest::StatusCode,
        body: String,
    },
    #[error("the stream ended without response.completed")]
    Incomplete,
    #[error("the router named an account the demo does not know: {0}")]
    UnknownAccount(String),
}

impl DemoError {
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> DemoError {
        let what = what.into();
        move |source| DemoError::Io { what, source }
    }
}

/// A scripted session stops either because showing a step failed (the caller's own error, kept
/// as it is so the caller still recognises it, e.g. a closed stdout) or because the demo did.
#[derive(Debug, thiserror::Error)]
pub enum StoryError<E> {
    #[error("{0}")]
    Show(E),
    #[error(transparent)]
    Demo(#[from] DemoError),
}
