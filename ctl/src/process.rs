//! Process plumbing: is a pid alive, signal it, find the `codex-routerd` executable.
//!
//! Signals go through rustix's safe wrappers (the workspace denies `unsafe`). On Windows there
//! are no signals: a forced stop uses `taskkill /F`, and liveness asks the process's exit code
//! (`OpenProcess` + `GetExitCodeProcess`, see [`win`]); what that answer means is decided by the
//! pure `exit_code::alive_from` and `exists_from`, which are tested on every OS.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

pub const DAEMON_EXE: &str = "codex-routerd";

/// Whether a process with this pid runs. Only a hint: pids are recycled, so nothing decides "the
/// daemon is up" from this alone.
#[cfg(unix)]
pub fn alive(pid: u32) -> bool {
    let Some(raw) = to_pid(pid) else { return false };
    match rustix::process::test_kill_process(raw) {
        Ok(()) => !is_zombie(pid),
        Err(err) => err != rustix::io::Errno::SRCH,
    }
}

/// Whether the pid exists at all, zombies included. Only a reaped process is gone for sure:
/// a SIGKILLed multi-threaded daemon shows as a zombie while its other threads are still
/// exiting and still hold its files (and so its lock).
#[cfg(unix)]
pub fn exists(pid: u32) -> bool {
    let Some(raw) = to_pid(pid) else { return false };
    !matches!(
        rustix::process::test_kill_process(raw),
        Err(rustix::io::Errno::SRCH)
    )
}

/// Windows: the process object outlives the process while someone holds a handle to it, and
/// `GetExitCodeProcess` stops saying "still active" as soon as the process starts exiting, while
/// it may still hold its files (the lock). Only "no such process" is gone for sure.
#[cfg(windows)]
pub fn exists(pid: u32) -> bool {
    exists_from(win::query(pid))
}

/// A dead process nobody has reaped yet (its parent exited and, in a container, pid 1 may never
/// reap it) still answers signal 0. Linux tells us in `/proc/<pid>/stat`; elsewhere assume not.
#[cfg(unix)]
fn is_zombie(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // "pid (comm) S ...": comm may contain spaces and parentheses, the state follows the last ')'.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .is_some_and(|state| state == "Z")
}

#[cfg(windows)]
pub fn alive(pid: u32) -> bool {
    alive_from(win::query(pid))
}

/// Pure decisions behind Windows liveness: compiled and tested on every OS, used on Windows.
#[cfg_attr(not(windows), allow(dead_code))]
mod exit_code {
    /// `GetExitCodeProcess`'s answer for a process that has not exited (`STILL_ACTIVE`). A process
    /// that exits with 259 itself looks alive: a documented limit of the API, and harmless here
    /// because liveness is only a hint (the lock decides).
    pub const STILL_ACTIVE: u32 = 259;

    /// What asking Windows about a pid said. Built from OS answers by [`win::query`]; a plain value
    /// so the decisions below are tested on every OS.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum ExitQuery {
        /// `OpenProcess` failed with `ERROR_INVALID_PARAMETER`: no process has this pid.
        NoSuchProcess,
        /// The process exists but is not ours to inspect (another user's, or protected).
        AccessDenied,
        /// The exit code: [`STILL_ACTIVE`] while it runs.
        ExitCode(u32),
        /// Any other failure: nothing is known.
        Unknown,
    }

    /// `OpenProcess`'s Win32 error codes that mean something here.
    const ERROR_ACCESS_DENIED: i32 = 5;
    const ERROR_INVALID_PARAMETER: i32 = 87;

    /// Classifies a failed `OpenProcess` by its Win32 error code.
    pub fn open_failure(raw_os_error: Option<i32>) -> ExitQuery {
        match raw_os_error {
            Some(ERROR_INVALID_PARAMETER) => ExitQuery::NoSuchProcess,
            Some(ERROR_ACCESS_DENIED) => ExitQuery::AccessDenied,
            _ => ExitQuery::Unknown,
        }
    }

    /// Whether the process runs. A process we may not inspect, or an unknown answer, counts as
    /// running: the pid is taken, and calling a live daemon dead (then stealing its lock or
    /// reporting it gone) is the worse mistake.
    pub fn alive_from(query: ExitQuery) -> bool {
        match query {
            ExitQuery::NoSuchProcess => false,
            ExitQuery::ExitCode(code) => code == STILL_ACTIVE,
            ExitQuery::AccessDenied | ExitQuery::Unknown => true,
        }
    }

    /// Whether the pid still names a process object, exited or not (see [`exists`]).
    pub fn exists_from(query: ExitQuery) -> bool {
        query != ExitQuery::NoSuchProcess
    }
}

#[cfg(windows)]
use exit_code::{alive_from, exists_from};

/// The two Win32 calls behind [`alive`] and [`exists`]. windows-sys is already in the build
/// (interprocess uses it) and no well-kept crate offers "exit code of an arbitrary pid" safely
/// (sysinfo walks the whole process table and gives no exit code), so this is the one place
/// with `unsafe` of our own in this crate (docs/decisions.md).
#[cfg(windows)]
#[allow(unsafe_code)]
mod win {
    use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};

    use windows_sys::Win32::System::Threading::{
        GetExitCodeProcess, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
    };

    use super::exit_code::{ExitQuery, open_failure};

    pub(super) fn query(pid: u32) -> ExitQuery {
        // SAFETY: no pointers in; a null result is an error, anything else a handle we own.
        let raw = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
        if raw.is_null() {
            return open_failure(std::io::Error::last_os_error().raw_os_error());
        }
        // SAFETY: `raw` is a valid process handle nobody else owns; OwnedHandle closes it once.
        let handle = unsafe { OwnedHandle::from_raw_handle(raw) };
        let mut code = 0u32;
        // SAFETY: a valid handle with query rights and a valid out pointer.
        let ok = unsafe { GetExitCodeProcess(handle.as_raw_handle(), &mut code) };
        if ok == 0 {
            ExitQuery::Unknown
        } else {
            ExitQuery::ExitCode(code)
        }
    }
}

/// Asks the process to shut down gracefully (SIGTERM).
#[cfg(unix)]
pub fn terminate(pid: u32) -> io::Result<()> {
    send(pid, rustix::process::Signal::TERM)
}

/// Kills the process outright (SIGKILL; works on a stopped process too).
#[cfg(unix)]
pub fn kill(pid: u32) -> io::Result<()> {
    send(pid, rustix::process::Signal::KILL)
}

#[cfg(unix)]
fn send(pid: u32, signal: rustix::process::Signal) -> io::Result<()> {
    let pid = to_pid(pid).ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "pid 0"))?;
    rustix::process::kill_process(pid, signal).map_err(io::Error::from)
}

#[cfg(unix)]
fn to_pid(pid: u32) -> Option<rustix::process::Pid> {
    i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw)
}

/// Windows has no graceful signal for a detached console process; the daemon drains on
/// `daemon.stop` instead, so "terminate" is a no-op and the forced stop does the rest.
#[cfg(not(unix))]
pub fn terminate(_pid: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(not(unix))]
pub fn kill(pid: u32) -> io::Result<()> {
    let status = std::process::Command::new("taskkill")
        .args(["/F", "/PID", &pid.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!("taskkill exited with {status}")))
    }
}

/// `codex-routerd` next to this executable (how releases and `cargo build` lay them out), else
/// the first one on `PATH`.
pub fn locate_daemon() -> Option<PathBuf> {
    let name = format!("{DAEMON_EXE}{}", std::env::consts::EXE_SUFFIX);
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(&name)));
    beside
        .filter(|p| is_file(p))
        .or_else(|| search_path(&name, std::env::var_os("PATH")))
}

fn search_path(name: &str, path: Option<OsString>) -> Option<PathBuf> {
    std::env::split_paths(&path?)
        .map(|dir| dir.join(name))
        .find(|candidate| is_file(candidate))
}

fn is_file(p: &Path) -> bool {
    p.metadata().is_ok_and(|m| m.is_file())
}

#[cfg(test)]
mod tests {
    use super::exit_code::*;
    use super::*;

    #[test]
    fn this_process_is_alive() {
        assert!(alive(std::process::id()));
        assert!(exists(std::process::id()));
    }

    #[test]
    fn liveness_from_an_exit_code() {
        assert!(alive_from(ExitQuery::ExitCode(STILL_ACTIVE)));
        assert!(!alive_from(ExitQuery::ExitCode(0)));
        assert!(!alive_from(ExitQuery::ExitCode(1)));
        // taskkill /F leaves exit code 1; a crash leaves an NTSTATUS such as 0xC0000005.
        assert!(!alive_from(ExitQuery::ExitCode(0xC000_0005)));
        assert!(!alive_from(ExitQuery::NoSuchProcess));
        assert!(
            alive_from(ExitQuery::AccessDenied),
            "taken pid: never called dead"
        );
        assert!(alive_from(ExitQuery::Unknown));
    }

    #[test]
    fn an_exited_process_object_still_exists_until_released() {
        assert!(exists_from(ExitQuery::ExitCode(0)));
        assert!(exists_from(ExitQuery::ExitCode(STILL_ACTIVE)));
        assert!(exists_from(ExitQuery::AccessDenied));
        assert!(exists_from(ExitQuery::Unknown));
        assert!(!exists_from(ExitQuery::NoSuchProcess));
    }

    #[test]
    fn open_process_errors_are_classified() {
        assert_eq!(open_failure(Some(87)), ExitQuery::NoSuchProcess);
        assert_eq!(open_failure(Some(5)), ExitQuery::AccessDenied);
        assert_eq!(open_failure(Some(6)), ExitQuery::Unknown);
        assert_eq!(open_failure(None), ExitQuery::Unknown);
    }

    /// A child that exited is not alive, on every OS (on Windows: through the exit code, while
    /// `child` still holds a handle so the pid cannot be reused under the test).
    #[test]
    fn an_exited_child_is_not_alive() {
        let (program, args): (&str, &[&str]) = if cfg!(windows) {
            ("cmd", &["/C", "exit 3"])
        } else {
            ("sh", &["-c", "exit 3"])
        };
        let mut child = std::process::Command::new(program).args(args).spawn().unwrap();
        let pid = child.id();
        if cfg!(windows) {
            // Waiting keeps our handle open: the process object stays, exited.
            child.wait().unwrap();
            assert!(!alive(pid));
            assert!(exists(pid));
        } else {
            child.wait().unwrap();
            // Reaped: the pid is free (and, in a test this short, not reused).
            assert!(!alive(pid));
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_unreaped_child_is_not_alive() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        // Wait for the exit without reaping: the zombie stays until `wait`.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !is_zombie(pid) {
            assert!(std::time::Instant::now() < deadline, "child never exited");
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert!(!alive(pid));
        child.wait().unwrap();
    }

    #[test]
    fn path_search_finds_the_first_match() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        std::fs::write(b.path().join("codex-routerd"), b"").unwrap();
        let path = std::env::join_paths([a.path(), b.path()]).unwrap();
        assert_eq!(
            search_path("codex-routerd", Some(path)),
            Some(b.path().join("codex-routerd"))
        );
        assert_eq!(search_path("codex-routerd", None), None);
    }
}
