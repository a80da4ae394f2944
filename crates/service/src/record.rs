//! `<router home>/service.json`: what `install` created, so `uninstall` removes exactly that.
//!
//! The record names the definition file and every directory the installs created (parents
//! first). Uninstall removes the definition and the record, then those directories, deepest
//! first, and only while empty: a log directory that has filled with logs since is kept and
//! reported. A reinstall keeps the directories of earlier installs in the record.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ServiceError;

pub(crate) const RECORD_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallRecord {
    pub version: u32,
    /// `linux`, `macos` or `windows`.
    pub platform: String,
    /// The service definition file written.
    pub definition: PathBuf,
    /// Directories created by the installs, parents first.
    pub created_dirs: Vec<PathBuf>,
    /// Whether `enable_linger` turned lingering on (uninstall leaves it on, and says so).
    #[serde(default)]
    pub linger_enabled: bool,
}

impl InstallRecord {
    pub(crate) fn to_json(&self) -> String {
        // A struct of strings and paths always serialises; the fallback is never used.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

/// The record at `path`: `None` when there is none.
pub(crate) fn load(path: &Path) -> Result<Option<InstallRecord>, ServiceError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(ServiceError::BadRecord {
                path: path.to_owned(),
                reason: e.to_string(),
            });
        }
    };
    let record: InstallRecord = serde_json::from_slice(&bytes).map_err(|e| ServiceError::BadRecord {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    if record.version != RECORD_VERSION {
        return Err(ServiceError::BadRecord {
            path: path.to_owned(),
            reason: format!("version {} is not {RECORD_VERSION}", record.version),
        });
    }
    Ok(Some(record))
}
