//! Everything `codexctl` prints goes through here.
//!
//! `println!` panics when stdout is closed (`codexctl status | head -1`), and a panic prints a
//! message and maybe a backtrace; a closed pipe must crash nothing. So stdout writes return
//! [`StdoutClosed`] on a broken pipe, which the exit mapping turns into a quiet success, and
//! stderr writes ignore errors entirely (there is nowhere left to report them).

use std::fmt;
use std::io::{self, Write};

/// The reader of our stdout went away; stop printing and exit 0.
#[derive(Debug)]
pub struct StdoutClosed;

impl fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stdout was closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// Writes `text` to stdout as is and flushes (so `--watch` frames and followed logs appear at
/// once).
pub fn print(text: &str) -> anyhow::Result<()> {
    write_to(&mut io::stdout().lock(), text.as_bytes())
}

/// Writes `text` and a newline to stdout.
pub fn line(text: &str) -> anyhow::Result<()> {
    let mut buf = String::with_capacity(text.len() + 1);
    buf.push_str(text);
    buf.push('\n');
    print(&buf)
}

/// Raw bytes to stdout (log files need not be UTF-8).
pub fn bytes(data: &[u8]) -> anyhow::Result<()> {
    write_to(&mut io::stdout().lock(), data)
}

/// Pretty JSON and a newline to stdout.
pub fn json(value: &serde_json::Value) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    line(&text)
}

/// One line to stderr; errors are ignored (a closed stderr has nobody to tell).
pub fn error_line(text: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{text}");
    let _ = err.flush();
}

/// The write itself, separated for tests: a broken pipe becomes [`StdoutClosed`].
pub fn write_to(out: &mut impl Write, data: &[u8]) -> anyhow::Result<()> {
    match out.write_all(data).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        Err(err) => Err(anyhow::Error::new(err).context("writing to stdout")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn broken_pipe_is_stdout_closed_not_a_failure() {
        // A broken pipe on stdout is no crash: it ends the command quietly.
        let err = write_to(&mut Closed, b"row\n").unwrap_err();
        assert!(err.is::<StdoutClosed>());
        let mut buf = Vec::new();
        write_to(&mut buf, b"row\n").unwrap();
        assert_eq!(buf, b"row\n");
    }
}
