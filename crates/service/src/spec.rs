//! What a service definition is made of, and which values every format can carry.
//!
//! The generators are total functions of a [`ServiceSpec`]; whether a value can be written
//! into a given format without changing its meaning is decided once, here, by
//! [`ServiceSpec::validate`], which the installer calls before writing anything. Paths are
//! handled as text for the *target* platform (a Windows spec is built and tested on Linux
//! too), so nothing here asks the host OS what a path means.

use std::path::{Path, PathBuf};

use codex_router_store::{Platform, RouterPaths};

use crate::error::ServiceError;

/// The systemd unit name.
pub const UNIT_NAME: &str = "codex-routerd.service";
/// The launchd label (and plist file stem).
pub const LAUNCHD_LABEL: &str = "com.codex-router.daemon";
/// The Task Scheduler task name.
pub const TASK_NAME: &str = "codex-routerd";
/// The file, in the log directory, that receives a service-run or detached daemon's
/// stdout and stderr (one file whatever started the daemon).
pub const DAEMON_STDERR_LOG: &str = "daemon-stderr.log";

/// Everything a service definition needs. It holds no secret: the daemon reads its client
/// key from the router home, so the key never lands in a unit, plist or task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSpec {
    /// Absolute path of the `codex-routerd` binary to run.
    pub daemon_exe: PathBuf,
    /// The resolved router home, passed as `CODEX_ROUTER_HOME` (a service does not inherit
    /// the shell's environment).
    pub router_home: PathBuf,
    /// The resolved Codex home, passed as `CODEX_HOME`.
    pub codex_home: PathBuf,
    /// Where [`DAEMON_STDERR_LOG`] lives (normally `<router home>/logs`).
    pub log_dir: PathBuf,
    /// The login name the service belongs to (Windows: `DOMAIN\user`).
    pub user: String,
}

impl ServiceSpec {
    /// The spec for the current environment: homes resolved as the daemon resolves them, the
    /// user from `USER`/`LOGNAME` (Windows: `USERDOMAIN\USERNAME`).
    pub fn resolve(
        platform: Platform,
        env: &dyn Fn(&str) -> Option<String>,
        daemon_exe: PathBuf,
    ) -> Result<Self, ServiceError> {
        let router = RouterPaths::resolve(env)?;
        Ok(ServiceSpec {
            daemon_exe,
            codex_home: codex_router_store::codex_home(env)?,
            log_dir: router.logs_dir,
            router_home: router.home,
            user: codex_router_store::user::qualified_user_name(platform, env).unwrap_or_default(),
        })
    }

    /// The daemon's stdout/stderr file, spelled for `platform`.
    pub fn log_file(&self, platform: Platform) -> String {
        target_join(platform, &self.log_dir, DAEMON_STDERR_LOG)
    }

    /// The daemon's command line. It runs in the foreground with no arguments; everything it
    /// needs arrives through the environment.
    pub fn daemon_argv(&self) -> Vec<String> {
        vec![text(&self.daemon_exe)]
    }

    /// Refuse values that a `platform` definition cannot carry faithfully: non-UTF-8 or
    /// relative paths, control characters (no format can hold a newline in a path), `..`,
    /// quotes or backslashes in the systemd executable (systemd refuses them there), and a
    /// double quote in a Windows path (none can contain one; it would break the quoting).
    pub fn validate(&self, platform: Platform) -> Result<(), ServiceError> {
        let paths = [
            ("the daemon path", &self.daemon_exe),
            ("the router home", &self.router_home),
            ("the Codex home", &self.codex_home),
            ("the log directory", &self.log_dir),
        ];
        for (what, path) in paths {
            check_path(platform, what, path)?;
        }
        let exe = text(&self.daemon_exe);
        if platform == Platform::Linux && exe.contains(['"', '\'', '\\']) {
            return Err(invalid(
                "the daemon path",
                &exe,
                "contains a quote or backslash, which systemd does not accept in an executable path; \
                 install codex-routerd elsewhere",
            ));
        }
        if self.user.is_empty() || self.user.chars().any(char::is_control) {
            return Err(invalid(
                "the user name",
                &self.user,
                "is empty or has control characters",
            ));
        }
        Ok(())
    }
}

/// `codex-routerd` next to `current_exe`: how `codexctl` finds the daemon shipped with it.
pub fn daemon_exe_beside(current_exe: &Path, platform: Platform) -> PathBuf {
    let name = if platform == Platform::Windows {
        "codex-routerd.exe"
    } else {
        "codex-routerd"
    };
    current_exe.with_file_name(name)
}

/// `path` as text. Validated specs are UTF-8; anything else is shown lossily.
pub(crate) fn text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// `dir` joined with `name` using `platform`'s separator, whatever the host is.
pub(crate) fn target_join(platform: Platform, dir: &Path, name: &str) -> String {
    let dir = text(dir);
    let sep = if platform == Platform::Windows { '\\' } else { '/' };
    if dir.ends_with(sep) || (platform == Platform::Windows && dir.ends_with('/')) {
        format!("{dir}{name}")
    } else {
        format!("{dir}{sep}{name}")
    }
}

fn check_path(platform: Platform, what: &'static str, path: &Path) -> Result<(), ServiceError> {
    let Some(s) = path.to_str() else {
        return Err(invalid(what, &text(path), "is not valid UTF-8"));
    };
    if s.chars().any(char::is_control) {
        return Err(invalid(
            what,
            s,
            "contains a control character (a newline, tab, …)",
        ));
    }
    let windows = platform == Platform::Windows;
    let absolute = if windows {
        is_windows_absolute(s)
    } else {
        s.starts_with('/')
    };
    if !absolute {
        return Err(invalid(what, s, "is not an absolute path"));
    }
    let seps: &[char] = if windows { &['\\', '/'] } else { &['/'] };
    if s.split(seps).any(|c| c == "..") {
        return Err(invalid(what, s, "contains a `..` component"));
    }
    if windows && s.contains('"') {
        return Err(invalid(
            what,
            s,
            "contains a double quote, which no Windows path can",
        ));
    }
    Ok(())
}

/// `C:\…` or a UNC path `\\server\share\…`.
fn is_windows_absolute(s: &str) -> bool {
    let b = s.as_bytes();
    (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && matches!(b[2], b'\\' | b'/'))
        || s.starts_with("\\\\")
}

fn invalid(what: &'static str, value: &str, problem: &'static str) -> ServiceError {
    ServiceError::InvalidSpec {
        what,
        value: value.to_owned(),
        problem,
    }
}
