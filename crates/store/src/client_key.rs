//! `client.key`: the key Codex presents to the local proxy (SPEC §3, §4).
//!
//! 32 random bytes from the OS, written as 64 lowercase hex characters with no trailing newline
//! (Codex's `experimental_bearer_token` is the exact string). Created once, atomically and
//! exclusively, so two processes starting together end up with the same key.

use std::fs;
use std::io;
use std::path::Path;

use codex_router_core::Secret;
use rand::TryRngCore;

use crate::atomic::create_atomic;
use crate::error::StoreError;

const KEY_BYTES: usize = 32;

/// Read the client key, creating it (mode `0600`) if there is none. A file that does not hold
/// a key is an error: replacing it silently would lock out every bound Codex.
pub fn load_or_create_client_key(path: &Path) -> Result<Secret, StoreError> {
    if let Some(key) = read_client_key(path)? {
        return Ok(key);
    }
    let key = generate(path)?;
    if create_atomic(path, key.as_bytes(), 0o600)? {
        return Ok(Secret::new(key));
    }
    // Another process created it first: use theirs.
    read_client_key(path)?.ok_or_else(|| StoreError::InvalidClientKey {
        path: path.to_owned(),
    })
}

/// The key in `path`, `None` if there is no file. A trailing newline (an editor's) is
/// tolerated. On Unix a file readable by others is tightened to `0600`.
pub fn read_client_key(path: &Path) -> Result<Option<Secret>, StoreError> {
    let text = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(StoreError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    let trimmed = text.strip_suffix(b"\n").unwrap_or(&text);
    let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
    let valid =
        trimmed.len() == KEY_BYTES * 2 && trimmed.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !valid {
        return Err(StoreError::InvalidClientKey {
            path: path.to_owned(),
        });
    }
    tighten(path)?;
    // Checked above: ASCII hex only.
    let key = String::from_utf8_lossy(trimmed).into_owned();
    Ok(Some(Secret::new(key)))
}

fn generate(path: &Path) -> Result<String, StoreError> {
    let mut bytes = [0u8; KEY_BYTES];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|err| StoreError::Random {
            path: path.to_owned(),
            reason: err.to_string(),
        })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(unix)]
fn tighten(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = fs::metadata(path).map_err(|source| StoreError::Read {
        path: path.to_owned(),
        source,
    })?;
    if meta.permissions().mode() & 0o077 != 0 {
        fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(|source| StoreError::Write {
            path: path.to_owned(),
            source,
        })?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn tighten(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_key(s: &str) -> bool {
        s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    }

    #[test]
    fn creates_a_64_hex_key_without_newline_and_reuses_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("client.key");
        let key = load_or_create_client_key(&path).unwrap();
        assert!(is_key(key.expose()));
        assert_eq!(fs::read_to_string(&path).unwrap(), key.expose());
        assert_eq!(load_or_create_client_key(&path).unwrap(), key);
        let other_dir = tempfile::tempdir().unwrap();
        let other = load_or_create_client_key(&other_dir.path().join("client.key")).unwrap();
        assert_ne!(other, key);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn a_trailing_newline_is_tolerated_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("client.key");
        let key = "0123456789abcdef".repeat(4);
        for ending in ["\n", "\r\n"] {
            fs::write(&path, format!("{key}{ending}")).unwrap();
            assert_eq!(load_or_create_client_key(&path).unwrap().expose(), key);
            assert_eq!(fs::read_to_string(&path).unwrap(), format!("{key}{ending}"));
        }
    }

    #[test]
    fn invalid_content_is_an_error_naming_the_path_not_the_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("client.key");
        let long = "a".repeat(65);
        let upper = "0123456789ABCDEF".repeat(4);
        for bad in ["", "not-a-key-secretish", long.as_str(), upper.as_str()] {
            fs::write(&path, bad).unwrap();
            let err = load_or_create_client_key(&path).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains("client.key"), "{msg}");
            assert!(!msg.contains("secretish") && !msg.contains("0123"), "{msg}");
            assert_eq!(fs::read_to_string(&path).unwrap(), bad, "the file is left alone");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_readable_key_file_is_tightened() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("client.key");
        fs::write(&path, "ab".repeat(32)).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        load_or_create_client_key(&path).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
