//! `run/daemon.json`: who is running, written at start for humans and `codexctl`.
//!
//! Informational only (SPEC §3): the lock on `run/daemon.lock` and an answer on the socket
//! are what prove a daemon runs; a pid in this file may have been recycled since.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use codex_router_core::Timestamp;
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::state::save_json;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DaemonInfo {
    pub pid: u32,
    pub version: String,
    /// Random per start, so a reader can tell a restarted daemon from the one it saw before.
    pub instance_id: String,
    /// The address actually bound (`127.0.0.1:2456`; never port 0).
    pub listen: String,
    pub started_at: Timestamp,
    pub socket: PathBuf,
}

/// Write `daemon.json` atomically, mode `0600`.
pub fn write_daemon_info(path: &Path, info: &DaemonInfo) -> Result<(), StoreError> {
    save_json(path, info, 0o600)
}

/// Read `daemon.json`; `None` if it is missing or not readable as [`DaemonInfo`] (a crash mid
/// first-write, an older format): it is informational, so that is not an error.
pub fn read_daemon_info(path: &Path) -> Result<Option<DaemonInfo>, StoreError> {
    match fs::read(path) {
        Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(StoreError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Remove `daemon.json` at shutdown; a missing file is fine.
pub fn remove_daemon_info(path: &Path) -> Result<(), StoreError> {
    match fs::remove_file(path) {
        Err(err) if err.kind() != io::ErrorKind::NotFound => Err(StoreError::Write {
            path: path.to_owned(),
            source: err,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_tolerates_absence_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("daemon.json");
        assert_eq!(read_daemon_info(&path).unwrap(), None);
        let info = DaemonInfo {
            pid: 4242,
            version: "0.1.0".into(),
            instance_id: "9f1c".into(),
            listen: "127.0.0.1:2456".into(),
            started_at: Timestamp::from_unix_secs(1_789_000_000),
            socket: dir.path().join("codexctl.sock"),
        };
        write_daemon_info(&path, &info).unwrap();
        assert_eq!(read_daemon_info(&path).unwrap(), Some(info));
        let json: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(json["started_at"], "2026-09-10T00:26:40Z");
        fs::write(&path, b"{half").unwrap();
        assert_eq!(read_daemon_info(&path).unwrap(), None);
        remove_daemon_info(&path).unwrap();
        remove_daemon_info(&path).unwrap();
        assert!(!path.exists());
    }
}
