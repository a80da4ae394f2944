//! The router's files: the home and `run/` private (`0700`), the control socket `0600`,
//! `client.key` `0600` and well formed, `logs/` writable (SPEC §3). Modes are Unix notions;
//! elsewhere those checks are skipped.

use std::path::Path;

use codex_router_store::RouterPaths;

use crate::report::Check;

/// `daemon_up`: a running daemon has created what a stopped one may not have yet, so what is
/// missing fails only then.
pub fn checks(p: &RouterPaths, daemon_up: bool) -> Vec<Check> {
    vec![
        private_dir("router_home", &p.home, daemon_up),
        private_dir("run_dir", &p.run_dir, daemon_up),
        socket(&p.socket, daemon_up),
        client_key(&p.client_key, daemon_up),
        logs_writable(&p.logs_dir),
    ]
}

/// Permission bits, or why they cannot be read.
#[cfg(unix)]
fn mode(path: &Path) -> std::io::Result<Option<u32>> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(path) {
        Ok(m) => Ok(Some(m.permissions().mode() & 0o777)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(not(unix))]
fn mode(path: &Path) -> std::io::Result<Option<u32>> {
    Ok(path.exists().then_some(0))
}

/// `want` exactly; `missing` is what to report when the path does not exist.
fn check_mode(id: &'static str, path: &Path, want: u32, missing: Check) -> Check {
    if cfg!(not(unix)) {
        return Check::skip(
            id,
            format!("{}: no Unix permissions on this platform", path.display()),
        );
    }
    match mode(path) {
        Err(e) => Check::fail(
            id,
            format!("cannot read {}: {e}", path.display()),
            "check that it is yours",
        ),
        Ok(None) => missing,
        Ok(Some(m)) if m == want => Check::ok(id, format!("{} is {m:04o}", path.display())),
        Ok(Some(m)) => Check::fail(
            id,
            format!("{} is {m:04o}, not {want:04o}", path.display()),
            format!("chmod {want:o} '{}'", path.display()),
        ),
    }
}

fn private_dir(id: &'static str, dir: &Path, up: bool) -> Check {
    let missing = if up {
        Check::fail(
            id,
            format!("{} is missing", dir.display()),
            "run `codexctl daemon restart`",
        )
    } else {
        Check::warn(
            id,
            format!("{} does not exist yet", dir.display()),
            "run `codexctl daemon start`, which creates it",
        )
    };
    check_mode(id, dir, 0o700, missing)
}

fn socket(path: &Path, up: bool) -> Check {
    if cfg!(windows) {
        return Check::skip("socket", "the control channel is a named pipe on Windows");
    }
    let missing = if up {
        Check::fail(
            "socket",
            format!("{} is missing although the daemon answers", path.display()),
            "run `codexctl daemon restart`",
        )
    } else {
        Check::skip(
            "socket",
            format!("{} does not exist: the daemon is not running", path.display()),
        )
    };
    check_mode("socket", path, 0o600, missing)
}

fn client_key(path: &Path, up: bool) -> Check {
    let missing = if up {
        Check::fail(
            "client_key",
            format!("{} is missing", path.display()),
            "run `codexctl daemon restart`",
        )
    } else {
        Check::warn(
            "client_key",
            format!("{} does not exist yet", path.display()),
            "run `codexctl daemon start`, which creates it",
        )
    };
    let by_mode = check_mode("client_key", path, 0o600, missing);
    if by_mode.status != super::Status::Ok && by_mode.status != super::Status::Skip {
        return by_mode;
    }
    // Read here, never through the store (which would tighten the mode: doctor only looks).
    match std::fs::read(path) {
        Err(_) => by_mode,
        Ok(bytes) if well_formed(&bytes) => Check::ok(
            "client_key",
            format!("{} is 0600 and well formed", path.display()),
        ),
        Ok(_) => Check::fail(
            "client_key",
            format!("{} is not 64 lowercase hex digits", path.display()),
            format!(
                "remove '{}', run `codexctl daemon restart` (a new key is made), then `codexctl rotation \
                 bind-app`",
                path.display()
            ),
        ),
    }
}

/// 64 lowercase hex digits, a trailing newline tolerated (SPEC §3).
pub fn well_formed(bytes: &[u8]) -> bool {
    let b = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let b = b.strip_suffix(b"\r").unwrap_or(b);
    b.len() == 64 && b.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

/// Creates and removes a probe file: the only sure test of "writable" (modes, ACLs, a
/// read-only mount and a full disk all show up here).
fn logs_writable(dir: &Path) -> Check {
    if !dir.is_dir() {
        return Check::warn(
            "logs",
            format!("{} does not exist yet", dir.display()),
            "run `codexctl daemon start`, which creates it",
        );
    }
    let probe = dir.join(format!(".doctor.{}.tmp", std::process::id()));
    let res = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe);
    match res {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Check::ok("logs", format!("{} is writable", dir.display()))
        }
        Err(e) => Check::fail(
            "logs",
            format!("cannot write in {}: {e}", dir.display()),
            format!(
                "make it yours and writable (`chmod 700 '{}'`), and check free space",
                dir.display()
            ),
        ),
    }
}

// Modes are Unix-only.
#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::Status;

    fn chmod(p: &Path, mode: u32) {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn modes_are_checked_exactly_with_a_chmod_fix() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        assert_eq!(private_dir("router_home", &home, false).status, Status::Warn);
        assert_eq!(private_dir("router_home", &home, true).status, Status::Fail);
        std::fs::create_dir(&home).unwrap();
        chmod(&home, 0o755);
        let c = private_dir("router_home", &home, true);
        assert_eq!(c.status, Status::Fail);
        assert!(
            c.detail.contains("0755") && c.fix.as_deref().unwrap().starts_with("chmod 700 "),
            "{c:?}"
        );
        chmod(&home, 0o700);
        assert_eq!(private_dir("router_home", &home, true).status, Status::Ok);
    }

    #[test]
    fn client_key_mode_and_shape() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("client.key");
        std::fs::write(&key, "a".repeat(64)).unwrap();
        chmod(&key, 0o644);
        assert_eq!(client_key(&key, true).status, Status::Fail);
        chmod(&key, 0o600);
        let c = client_key(&key, true);
        assert_eq!(c.status, Status::Ok, "{c:?}");
        assert!(!c.detail.contains(&"a".repeat(64)), "the key is never shown");
        std::fs::write(&key, "not a key").unwrap();
        assert_eq!(client_key(&key, true).status, Status::Fail);
        // Looking did not tighten anything (doctor only reads).
        chmod(&key, 0o640);
        let _ = client_key(&key, true);
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o640
        );
        assert!(well_formed(format!("{}\n", "0".repeat(64)).as_bytes()));
        assert!(!well_formed("A".repeat(64).as_bytes()));
    }

    #[test]
    fn logs_probe_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(logs_writable(dir.path()).status, Status::Ok);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        assert_eq!(logs_writable(&dir.path().join("nope")).status, Status::Warn);
    }
}
