//! Error codes carried in `{"error":{"code":...}}`.
//!
//! Clients branch on the code, never on the message text (the message is for humans and may
//! change). The set grows over time, so a code this build does not know decodes as
//! [`ErrorCode::Other`] instead of failing the whole frame: an old `codexctl` can still show a
//! newer daemon's error.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A machine-readable error code, serialised as a snake_case string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The request's `v` is not [`crate::PROTOCOL_VERSION`]; `data` names the daemon's version.
    VersionMismatch,
    /// A frame exceeded [`crate::MAX_FRAME_BYTES`]; the daemon closes the connection after this.
    FrameTooLarge,
    /// A line was not a valid request frame (bad JSON, missing or mistyped fields).
    BadFrame,
    /// The daemon does not implement the method.
    UnknownMethod,
    /// The method exists but its params are wrong.
    InvalidParams,
    /// Too many concurrent connections; the daemon closes this one. Retry later.
    DaemonBusy,
    /// A bug or unexpected failure inside the daemon.
    Internal,
    /// The named thing (usually an account) does not exist.
    NotFound,
    /// The change conflicts with the current state (e.g. a label already in use).
    Conflict,
    /// The daemon cannot do this right now (e.g. shutting down, subsystem not ready).
    Unavailable,
    /// A code this build does not know, kept verbatim.
    Other(String),
}

impl ErrorCode {
    /// The wire spelling of the code.
    pub fn as_str(&self) -> &str {
        match self {
            Self::VersionMismatch => "version_mismatch",
            Self::FrameTooLarge => "frame_too_large",
            Self::BadFrame => "bad_frame",
            Self::UnknownMethod => "unknown_method",
            Self::InvalidParams => "invalid_params",
            Self::DaemonBusy => "daemon_busy",
            Self::Internal => "internal",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::Unavailable => "unavailable",
            Self::Other(code) => code,
        }
    }

    /// Parses a wire code; known spellings always map to their variant, never to `Other`.
    pub fn from_wire(code: &str) -> Self {
        match code {
            "version_mismatch" => Self::VersionMismatch,
            "frame_too_large" => Self::FrameTooLarge,
            "bad_frame" => Self::BadFrame,
            "unknown_method" => Self::UnknownMethod,
            "invalid_params" => Self::InvalidParams,
            "daemon_busy" => Self::DaemonBusy,
            "internal" => Self::Internal,
            "not_found" => Self::NotFound,
            "conflict" => Self::Conflict,
            "unavailable" => Self::Unavailable,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Ok(Self::from_wire(&code))
    }
}

#[cfg(test)]
#[path = "error_code_tests.rs"]
mod tests;
