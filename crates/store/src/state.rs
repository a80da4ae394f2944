//! Loading and saving the router's JSON files (`state.json`, `accounts.json`).
//!
//! A file that cannot be read as what it should be is never overwritten and never deleted: it
//! is moved aside to `<name>.corrupt-<unix secs>` and the caller starts from nothing with a
//! clear message, so a hand edit gone wrong (or a bug) loses nothing. An empty file is not
//! corrupt, just empty (a reset storage), and is left where it is.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::atomic::{self, write_atomic_streamed};
use crate::error::StoreError;
use crate::json_error::describe;
use crate::retry::{RetryPolicy, retry};

/// What was found at a JSON file's path.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonLoad<T> {
    Loaded(T),
    /// No file.
    Missing,
    /// The file exists but holds nothing (0 bytes or whitespace only); it is left in place.
    Empty,
    /// The file could not be read as `T`; it was moved to `kept_aside`, untouched.
    Corrupt {
        kept_aside: PathBuf,
        reason: String,
    },
}

/// Read `path` as `T`, moving it aside if it does not parse.
pub fn load_json<T: DeserializeOwned>(path: &Path) -> Result<JsonLoad<T>, StoreError> {
    load_json_checked(path, |_| Ok(()))
}

/// Serialize `value` as pretty JSON (with a final newline) and replace `path` atomically. The
/// encoding goes straight into the temporary file: a `state.json` of 100 000 sessions is ~18 MB
/// that never needs to sit in memory as one buffer.
pub fn save_json<T: Serialize>(path: &Path, value: &T, mode: u32) -> Result<(), StoreError> {
    let content = |w: &mut dyn io::Write| {
        serde_json::to_writer_pretty(&mut *w, value).map_err(|err| {
            if err.is_io() {
                io::Error::from(err)
            } else {
                io::Error::other(EncodeFailed(describe(&err)))
            }
        })?;
        w.write_all(b"\n")
    };
    write_atomic_streamed(path, &content, mode).map_err(|err| match err {
        StoreError::Write { path, source } => match encode_failure(&source) {
            Some(reason) => StoreError::Encode { path, reason },
            None => StoreError::Write { path, source },
        },
        other => other,
    })
}

/// A value that cannot be encoded (a map with non-string keys, say), carried through the write
/// as an IO error and turned back into [`StoreError::Encode`].
#[derive(Debug)]
struct EncodeFailed(String);

impl std::fmt::Display for EncodeFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EncodeFailed {}

fn encode_failure(source: &io::Error) -> Option<String> {
    source
        .get_ref()
        .and_then(|e| e.downcast_ref::<EncodeFailed>())
        .map(|e| e.0.clone())
}

/// [`load_json`], with `precheck` run on the bytes first (a schema version check, say); its
/// `Err(reason)` makes the file corrupt too.
pub(crate) fn load_json_checked<T: DeserializeOwned>(
    path: &Path,
    precheck: impl Fn(&[u8]) -> Result<(), String>,
) -> Result<JsonLoad<T>, StoreError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(JsonLoad::Missing),
        Err(source) => {
            return Err(StoreError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(JsonLoad::Empty);
    }
    let parsed =
        precheck(&bytes).and_then(|()| serde_json::from_slice::<T>(&bytes).map_err(|e| describe(&e)));
    match parsed {
        Ok(value) => Ok(JsonLoad::Loaded(value)),
        Err(reason) => {
            let kept_aside = keep_aside(path)?;
            tracing::warn!(
                path = %path.display(),
                kept_aside = %kept_aside.display(),
                %reason,
                "unreadable file moved aside"
            );
            Ok(JsonLoad::Corrupt { kept_aside, reason })
        }
    }
}

/// Move `path` to `<path>.corrupt-<unix secs>` (with `-1`, `-2`, … if that name is taken) and
/// return the new path. Never replaces an existing file.
pub(crate) fn keep_aside(path: &Path) -> Result<PathBuf, StoreError> {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let fail = |source| StoreError::KeepAside {
        path: path.to_owned(),
        source,
    };
    let policy = RetryPolicy::DEFAULT;
    for n in 0..1000u32 {
        let mut name = path.as_os_str().to_owned();
        name.push(format!(".corrupt-{secs}"));
        if n > 0 {
            name.push(format!("-{n}"));
        }
        let target = PathBuf::from(name);
        // A hard link fails if the target exists, so nothing is ever replaced; then the
        // original name is removed. Without hard link support, rename if the name is free.
        match retry(policy, || fs::hard_link(path, &target)) {
            Ok(()) => {
                retry(policy, || fs::remove_file(path)).map_err(fail)?;
            }
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(_) if target.exists() => continue,
            Err(_) => retry(policy, || fs::rename(path, &target)).map_err(fail)?,
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            atomic::sync_dir(dir).map_err(fail)?;
        }
        return Ok(target);
    }
    Err(fail(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "too many corrupt copies kept aside already",
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Counters {
        total: u64,
    }

    #[test]
    fn round_trip_missing_empty_and_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        assert_eq!(load_json::<Counters>(&path).unwrap(), JsonLoad::Missing);
        fs::write(&path, b" \n\t").unwrap();
        assert_eq!(load_json::<Counters>(&path).unwrap(), JsonLoad::Empty);
        assert_eq!(fs::read(&path).unwrap(), b" \n\t");
        save_json(&path, &Counters { total: 7 }, 0o600).unwrap();
        assert_eq!(
            load_json::<Counters>(&path).unwrap(),
            JsonLoad::Loaded(Counters { total: 7 })
        );
        assert!(fs::read_to_string(&path).unwrap().ends_with("}\n"));
        fs::write(&path, b"{\"total\": \"many\"}").unwrap();
        let JsonLoad::Corrupt { kept_aside, reason } = load_json::<Counters>(&path).unwrap() else {
            panic!("expected corrupt");
        };
        assert!(!path.exists());
        assert_eq!(fs::read(&kept_aside).unwrap(), b"{\"total\": \"many\"}");
        assert!(reason.contains("expected u64"), "{reason}");
        assert!(!reason.contains("many"), "{reason}");
    }

    #[test]
    fn a_streamed_save_writes_the_pretty_document_and_an_unencodable_one_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        // Big enough to cross the write buffer several times.
        let big: std::collections::BTreeMap<String, u64> =
            (0..20_000).map(|i| (format!("session-{i:06}"), i)).collect();
        save_json(&path, &big, 0o600).unwrap();
        let mut expected = serde_json::to_vec_pretty(&big).unwrap();
        expected.push(b'\n');
        assert_eq!(fs::read(&path).unwrap(), expected);

        // JSON object keys must be strings: this map cannot be encoded.
        let bad: std::collections::BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into();
        let err = save_json(&path, &bad, 0o600).unwrap_err();
        assert!(matches!(err, StoreError::Encode { .. }), "{err:?}");
        assert_eq!(fs::read(&path).unwrap(), expected, "the old file stays whole");
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn keep_aside_never_replaces_an_earlier_copy() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.json");
        let mut kept = Vec::new();
        for i in 0..3 {
            fs::write(&path, format!("broken {i}")).unwrap();
            kept.push(keep_aside(&path).unwrap());
        }
        for (i, p) in kept.iter().enumerate() {
            assert_eq!(fs::read_to_string(p).unwrap(), format!("broken {i}"));
            let name = p.file_name().unwrap().to_str().unwrap();
            assert!(name.starts_with("accounts.json.corrupt-"), "{name}");
        }
        assert!(!path.exists());
    }
}
