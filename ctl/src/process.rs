//! Process plumbing: is a pid alive, signal it, find the `codex-routerd` executable.
//!
//! Signals go through rustix's safe wrappers (the workspace denies `unsafe`). On Windows there
//! are no signals: a forced stop uses `taskkill /F`, and liveness is left to the lock.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

pub const DAEMON_EXE: &str = "codex-routerd";

/// Whether a process with this pid runs. Only a hint: pids are recycled, so nothing decides "the
/// daemon is up" from this alone (review #26).
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

#[cfg(not(unix))]
pub fn exists(_pid: u32) -> bool {
    true
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

#[cfg(not(unix))]
pub fn alive(_pid: u32) -> bool {
    true
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
    use super::*;

    #[test]
    fn this_process_is_alive() {
        assert!(alive(std::process::id()));
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
