//! Errors of the transport ([`IpcError`]) and of a method call ([`RpcError`]).
//!
//! The variants say what the caller can do: `NotRunning` means "start the daemon" (codexctl
//! exit 3), `AlreadyInUse` means "another daemon owns this home", `Rpc` carries the daemon's own
//! answer, `BadReply` keeps the raw text so the user sees what came back.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use codex_router_protocol::{ErrorBody, ErrorCode};
use serde_json::Value;

/// An error answer from the daemon, or the error a [`crate::Handler`] returns to make one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct RpcError {
    pub code: ErrorCode,
    pub message: String,
    pub data: Option<Value>,
}

impl RpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// Attaches structured detail (e.g. which account did not match).
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// What a handler returns for a method it does not implement.
    pub fn unknown_method(method: &str) -> Self {
        Self::new(ErrorCode::UnknownMethod, format!("unknown method `{method}`"))
    }

    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidParams, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
}

impl RpcError {
    /// The daemon's error answer as the client reports it. A `version_mismatch` is rewritten
    /// to name both releases (the client's and the daemon's) and the fix: after an upgrade the
    /// old daemon keeps running until it is restarted, and protocol numbers alone say nothing
    /// to the user.
    pub fn from_reply(body: ErrorBody) -> Self {
        let mut err = Self::from(body);
        if err.code != ErrorCode::VersionMismatch {
            return err;
        }
        let data = err
            .data
            .clone()
            .and_then(|d| serde_json::from_value::<codex_router_protocol::VersionMismatchData>(d).ok());
        let (daemon, protocol) = match &data {
            Some(d) => (
                d.daemon_release
                    .as_deref()
                    .map_or_else(|| "of an older release".to_owned(), str::to_owned),
                d.daemon_version.to_string(),
            ),
            None => ("of another release".to_owned(), "unknown".to_owned()),
        };
        err.message = format!(
            "codexctl {} (IPC protocol {}) cannot talk to the running codex-routerd {daemon} \
             (IPC protocol {protocol}). After an upgrade, restart the daemon: `codexctl daemon restart`",
            codex_router_protocol::RELEASE_VERSION,
            codex_router_protocol::PROTOCOL_VERSION,
        );
        err
    }
}

impl From<ErrorBody> for RpcError {
    fn from(body: ErrorBody) -> Self {
        Self {
            code: body.code,
            message: body.message,
            data: body.data,
        }
    }
}

impl From<RpcError> for ErrorBody {
    fn from(err: RpcError) -> Self {
        Self {
            code: err.code,
            message: err.message,
            data: err.data,
        }
    }
}

impl From<codex_router_protocol::methods::InvalidParams> for RpcError {
    fn from(err: codex_router_protocol::methods::InvalidParams) -> Self {
        Self::invalid_params(err.to_string())
    }
}

/// Everything that can go wrong talking over the control socket.
#[derive(Debug, thiserror::Error)]
pub enum IpcError {
    /// No socket file, or nobody listening on it: the daemon is down.
    #[error("codex-routerd is not running (nothing listens on {endpoint})")]
    NotRunning { endpoint: String },
    /// A live daemon already answers on this socket.
    #[error("another codex-routerd is already listening on {endpoint}")]
    AlreadyInUse { endpoint: String },
    /// Preparing the socket directory or file failed.
    #[error("{action} {}: {source}", path.display())]
    Fs {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Connecting, reading or writing failed for another reason.
    #[error("control socket {endpoint}: {source}")]
    Io {
        endpoint: String,
        #[source]
        source: io::Error,
    },
    /// The daemon answered with an error frame.
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// The daemon's reply is not a frame we understand; `raw` is what it sent.
    #[error("unparseable reply from codex-routerd: {raw}")]
    BadReply { raw: String },
    /// The daemon closed the connection before answering (it stopped, or refused this peer).
    #[error("codex-routerd closed the connection")]
    Closed,
    /// No answer within the call's timeout.
    #[error("no answer to `{method}` from codex-routerd within {timeout:?}")]
    Timeout { method: String, timeout: Duration },
}

/// A well-formed answer that is not what the method promises (a daemon of another release, or
/// a bug); `raw` is what came back, so the user sees it.
#[derive(Debug, thiserror::Error)]
#[error("unexpected reply from codex-routerd ({reason}): {raw}")]
pub struct UnexpectedReply {
    pub reason: String,
    pub raw: Value,
}

/// A method's result, decoded into the type the method promises.
pub fn decode_reply<T: serde::de::DeserializeOwned>(raw: Value) -> Result<T, UnexpectedReply> {
    serde_json::from_value::<T>(raw.clone()).map_err(|err| UnexpectedReply {
        reason: err.to_string(),
        raw,
    })
}

impl IpcError {
    /// The daemon's error code, when this is an error answer.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Self::Rpc(err) => Some(&err.code),
            _ => None,
        }
    }
}
