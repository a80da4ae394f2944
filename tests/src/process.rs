//! Child processes with deadlines: a `codexctl` run to completion, and a foreground daemon whose
//! stderr is collected line by line so tests can wait for what it says.

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::STEP;
use crate::lines::{Shared, collect, text, wait_eof, wait_for};

/// Runs `cmd` to completion with stdout and stderr captured.
///
/// # Panics
/// When it does not finish within [`STEP`] (it is killed first).
pub fn run_bounded(mut cmd: Command) -> Output {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap_or_else(|e| panic!("spawning {cmd:?}: {e}"));
    wait_bounded(child, STEP)
}

/// Waits for `child` (its stdout/stderr, if piped, are collected) for at most `limit`.
pub fn wait_bounded(child: Child, limit: Duration) -> Output {
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => panic!("waiting for pid {pid}: {e}"),
        Err(_) => {
            kill(pid);
            panic!("pid {pid} did not finish within {limit:?}");
        }
    }
}

/// SIGKILL, ignoring errors (the process may be gone already).
pub fn kill(pid: u32) {
    signal(pid, Sig::Kill);
}

#[derive(Debug, Clone, Copy)]
pub enum Sig {
    Term,
    Kill,
    Stop,
    Cont,
}

#[cfg(unix)]
pub fn signal(pid: u32, sig: Sig) {
    use rustix::process::{Pid, Signal, kill_process};
    let signal = match sig {
        Sig::Term => Signal::TERM,
        Sig::Kill => Signal::KILL,
        Sig::Stop => Signal::STOP,
        Sig::Cont => Signal::CONT,
    };
    if let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
        let _ = kill_process(pid, signal);
    }
}

/// Windows: only a forced kill exists here; the signal-based tests are Unix-only.
#[cfg(not(unix))]
pub fn signal(pid: u32, sig: Sig) {
    if matches!(sig, Sig::Kill) {
        let _ = Command::new("taskkill")
            .args(["/F", "/PID", &pid.to_string()])
            .output();
    }
}

/// A `codex-routerd` run in the foreground by the test.
#[derive(Debug)]
pub struct DaemonProcess {
    child: Child,
    lines: Shared,
}

impl DaemonProcess {
    pub fn spawn(mut cmd: Command) -> Self {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawning {cmd:?}: {e}"));
        let lines = collect(child.stderr.take());
        DaemonProcess { child, lines }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the daemon wrote to stderr so far.
    pub fn stderr(&self) -> String {
        text(&self.lines)
    }

    /// Waits until a stderr line contains `needle`; returns that line.
    pub fn wait_for_line(&self, needle: &str, limit: Duration) -> Option<String> {
        wait_for(&self.lines, needle, limit)
    }

    /// Waits until the control socket answers `ping` with this process's pid.
    ///
    /// # Panics
    /// When the daemon exits first or does not answer within [`STEP`]; the panic shows its stderr.
    pub fn wait_ready(&mut self, socket: &Path) {
        let deadline = Instant::now() + STEP;
        let mut pause = Duration::from_millis(10);
        loop {
            if crate::upstream::ping(socket) == Some(self.pid()) {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "codex-routerd exited ({status}) before answering:\n{}",
                    self.stderr()
                );
            }
            assert!(
                Instant::now() < deadline,
                "codex-routerd not ready in time:\n{}",
                self.stderr()
            );
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }

    /// Waits for the process to exit, and for its stderr to be read to the end (so
    /// [`DaemonProcess::stderr`] is complete); `None` if it is still running after `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        let mut pause = Duration::from_millis(5);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.wait_stderr_eof(deadline.max(Instant::now() + Duration::from_secs(5)));
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    fn wait_stderr_eof(&self, deadline: Instant) {
        wait_eof(&self.lines, deadline.saturating_duration_since(Instant::now()));
    }

    pub fn signal(&self, sig: Sig) {
        signal(self.pid(), sig);
    }
}

impl Drop for DaemonProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
