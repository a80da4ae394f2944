//! Running the service manager's commands, behind a trait so tests record them instead.
//!
//! Commands are argv vectors run without a shell, so paths in them need no quoting; the
//! quoting in [`CommandSpec`]'s `Display` is only for showing them to a user who may paste
//! them into a POSIX shell, so every value is quoted for that shell.

use std::fmt;
use std::io::{self, Read};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// A program and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    pub program: String,
    pub args: Vec<String>,
}

impl CommandSpec {
    pub fn new(program: &str, args: &[&str]) -> Self {
        CommandSpec {
            program: program.to_owned(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
        }
    }
}

impl fmt::Display for CommandSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&shell_quote(&self.program))?;
        for arg in &self.args {
            write!(f, " {}", shell_quote(arg))?;
        }
        Ok(())
    }
}

/// `word` as a POSIX shell word: bare when it is plainly safe, else single-quoted.
pub(crate) fn shell_quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// What a finished command left behind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandOutput {
    /// The exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl CommandOutput {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    pub(crate) fn status_text(&self) -> String {
        match self.code {
            Some(code) => format!("exit code {code}"),
            None => "killed by a signal".to_owned(),
        }
    }

    /// stderr then stdout, trimmed, for error messages; a placeholder when both are empty.
    pub(crate) fn combined_text(&self) -> String {
        let parts: Vec<&str> = [self.stderr.trim(), self.stdout.trim()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect();
        if parts.is_empty() {
            "no output".to_owned()
        } else {
            parts.join("\n")
        }
    }
}

/// Runs commands. The real one is [`SystemCommandRunner`]; tests record and script them.
pub trait CommandRunner {
    /// Run `command` to completion. `Err` only when it could not be started (or hung); a
    /// non-zero exit is an `Ok` output for the caller to judge.
    fn run(&self, command: &CommandSpec) -> io::Result<CommandOutput>;
}

/// Runs commands as child processes with no stdin, capturing their output, and kills one
/// that hangs (a wedged user bus must not hang `codexctl`).
#[derive(Debug, Clone)]
pub struct SystemCommandRunner {
    pub timeout: Duration,
}

impl Default for SystemCommandRunner {
    fn default() -> Self {
        SystemCommandRunner {
            timeout: Duration::from_secs(60),
        }
    }
}

impl CommandRunner for SystemCommandRunner {
    fn run(&self, command: &CommandSpec) -> io::Result<CommandOutput> {
        let mut child = Command::new(&command.program)
            .args(&command.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        // Drain both pipes on threads so a chatty child never blocks on a full pipe.
        let stdout = child.stdout.take().map(drain);
        let stderr = child.stderr.take().map(drain);
        let deadline = Instant::now() + self.timeout;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"));
            }
            thread::sleep(Duration::from_millis(20));
        };
        let join = |h: Option<thread::JoinHandle<String>>| h.and_then(|h| h.join().ok()).unwrap_or_default();
        Ok(CommandOutput {
            code: status.code(),
            stdout: join(stdout),
            stderr: join(stderr),
        })
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_quotes_for_a_posix_shell() {
        let cmd = CommandSpec::new(
            "launchctl",
            &["bootstrap", "gui/501", "/Users/J Smith/it's.plist"],
        );
        assert_eq!(
            cmd.to_string(),
            r"launchctl bootstrap gui/501 '/Users/J Smith/it'\''s.plist'"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_system_runner_captures_output_and_exit_codes() {
        let runner = SystemCommandRunner::default();
        let out = runner
            .run(&CommandSpec::new("sh", &["-c", "echo out; echo err >&2; exit 3"]))
            .unwrap();
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.as_str()),
            (Some(3), "out\n", "err\n")
        );
        let missing = runner.run(&CommandSpec::new("codex-router-no-such-program", &[]));
        assert_eq!(missing.unwrap_err().kind(), io::ErrorKind::NotFound);
    }

    #[cfg(unix)]
    #[test]
    fn a_hung_command_is_killed_at_the_timeout() {
        let runner = SystemCommandRunner {
            timeout: Duration::from_millis(200),
        };
        let err = runner.run(&CommandSpec::new("sleep", &["30"])).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }
}
