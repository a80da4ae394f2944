//! A `codexctl` the test talks to while it runs: stdin piped, stdout and stderr collected line
//! by line, so a test can wait for a prompt (a sign-in URL, a device code), act on it, and answer.
//! Dropping it kills the process.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::Home;
use crate::lines::{Shared, collect, text, wait_eof, wait_for};

#[derive(Debug)]
pub struct Interactive {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Shared,
    stderr: Shared,
}

impl Interactive {
    pub fn spawn(mut cmd: Command) -> Self {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawning {cmd:?}: {e}"));
        let stdin = child.stdin.take();
        let stdout = collect(child.stdout.take());
        let stderr = collect(child.stderr.take());
        Interactive {
            child,
            stdin,
            stdout,
            stderr,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for a stdout line that contains `needle`; returns it. `None` if stdout ends first or
    /// `limit` passes.
    pub fn wait_for_stdout(&self, needle: &str, limit: Duration) -> Option<String> {
        wait_for(&self.stdout, needle, limit)
    }

    /// Writes `line` and a newline to stdin.
    pub fn write_line(&mut self, line: &str) {
        let stdin = self
            .stdin
            .as_mut()
            .unwrap_or_else(|| panic!("stdin already closed"));
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|()| stdin.flush())
            .unwrap_or_else(|e| panic!("writing to codexctl's stdin: {e}"));
    }

    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for the exit (at most `limit`, else kills and panics) and for both streams to end;
    /// returns the status, stdout and stderr. stdin stays open meanwhile, as a silent user's
    /// terminal would: call [`Interactive::close_stdin`] first for an end of input.
    pub fn finish(mut self, limit: Duration) -> (ExitStatus, String, String) {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!(
                    "codexctl did not exit within {limit:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                    text(&self.stdout),
                    text(&self.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        wait_eof(&self.stdout, Duration::from_secs(5));
        wait_eof(&self.stderr, Duration::from_secs(5));
        (status, text(&self.stdout), text(&self.stderr))
    }
}

impl Drop for Interactive {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Home {
    /// `codexctl args...` with stdin piped, running while the test talks to it.
    pub fn spawn_ctl(&self, args: &[&str]) -> Interactive {
        Interactive::spawn(self.ctl(args))
    }

    /// This home's `CODEX_HOME` (created on first use).
    pub fn codex_home(&self) -> PathBuf {
        let dir = self.root().join("codex");
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
        dir
    }
}

/// The current stdout, for assertion messages while the process still runs.
pub fn stdout_so_far(p: &Interactive) -> String {
    text(&p.stdout)
}
