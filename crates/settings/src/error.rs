//! Settings errors. Each names the key (or environment variable), the bad value and what is
//! accepted, because the message is all a user sees when the daemon refuses to start.

use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// The file is not TOML at all.
    #[error("config.toml line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },

    #[error("{key}: unknown key; {accepted}")]
    UnknownKey { key: String, accepted: String },

    #[error("{key}: expected {expected}, got {got}")]
    InvalidValue {
        key: String,
        expected: String,
        got: String,
    },

    #[error("environment variable {var} (overrides {key}): expected {expected}, got {got}")]
    InvalidEnv {
        var: &'static str,
        key: &'static str,
        expected: String,
        got: String,
    },

    #[error("cannot read {path}: {source}; check that it belongs to this user and is readable")]
    Read { path: PathBuf, source: io::Error },

    #[error("{path} is not UTF-8 text; save it as UTF-8")]
    NotUtf8 { path: PathBuf },
}

impl SettingsError {
    /// The settings key the error is about, if it is about one.
    pub fn key(&self) -> Option<&str> {
        match self {
            SettingsError::UnknownKey { key, .. } | SettingsError::InvalidValue { key, .. } => Some(key),
            SettingsError::InvalidEnv { key, .. } => Some(key),
            _ => None,
        }
    }
}

/// A value that did not convert: what was expected and a description of what was found. The
/// caller adds the key or variable name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) expected: String,
    pub(crate) got: String,
}

impl Problem {
    /// The value has the right type but is not acceptable; `text` is shown quoted.
    pub(crate) fn bad(expected: impl Into<String>, text: &str) -> Self {
        Self {
            expected: expected.into(),
            got: format!("{text:?}"),
        }
    }

    /// The TOML value has the wrong type; its type is named, with the value.
    pub(crate) fn wrong_type(expected: impl Into<String>, value: &toml::Value) -> Self {
        let got = match value {
            toml::Value::String(s) => format!("a string ({s:?})"),
            toml::Value::Integer(i) => format!("an integer ({i})"),
            toml::Value::Float(x) => format!("a float ({x})"),
            toml::Value::Boolean(b) => format!("a boolean ({b})"),
            toml::Value::Datetime(d) => format!("a date-time ({d})"),
            toml::Value::Array(_) => "an array".to_owned(),
            toml::Value::Table(_) => "a table".to_owned(),
        };
        Self {
            expected: expected.into(),
            got,
        }
    }
}
