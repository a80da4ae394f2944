//! Exit codes (ripgrep style: a small documented set) and the error markers that select them.
//!
//! Commands return `anyhow::Result<()>`. Most errors mean "failure" (1); the markers below, found
//! anywhere in an error's chain, pick another code, so a command deep in a call stack can say
//! "the daemon is not running" without threading exit codes through every function.

use std::fmt;
use std::process::ExitCode;

use crate::output;

pub const OK: u8 = 0;
pub const FAILURE: u8 = 1;
pub const USAGE: u8 = 2;
pub const NOT_RUNNING: u8 = 3;

/// The hint every "daemon is down" message ends with.
pub const START_HINT: &str = "start it with `codexctl daemon start`";

/// The command needs the daemon and it does not answer (exit 3).
#[derive(Debug)]
pub struct NotRunning {
    /// Why we think so, e.g. "nothing listens on …/codexctl.sock".
    pub detail: Option<String>,
}

impl fmt::Display for NotRunning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Some(detail) => write!(f, "codex-routerd is not running ({detail}); {START_HINT}"),
            None => write!(f, "codex-routerd is not running; {START_HINT}"),
        }
    }
}

impl std::error::Error for NotRunning {}

/// The command already told the user everything; exit with this code and print nothing more.
#[derive(Debug)]
pub struct Quiet(pub u8);

impl fmt::Display for Quiet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "exit {}", self.0)
    }
}

impl std::error::Error for Quiet {}

/// Maps a command's result to the process exit code, printing the error (if any) on stderr.
pub fn finish(result: anyhow::Result<()>) -> ExitCode {
    let Err(err) = result else {
        return ExitCode::from(OK);
    };
    for cause in err.chain() {
        if cause.is::<output::StdoutClosed>() {
            // `codexctl … | head`: the reader has what it wanted; a broken pipe is no crash.
            return ExitCode::from(OK);
        }
        if let Some(Quiet(code)) = cause.downcast_ref::<Quiet>() {
            return ExitCode::from(*code);
        }
        if let Some(not_running) = cause.downcast_ref::<NotRunning>() {
            output::error_line(&format!("codexctl: {not_running}"));
            return ExitCode::from(NOT_RUNNING);
        }
    }
    output::error_line(&format!("codexctl: {err:#}"));
    ExitCode::from(FAILURE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    fn code(result: anyhow::Result<()>) -> ExitCode {
        finish(result)
    }

    #[test]
    fn markers_anywhere_in_the_chain_pick_the_code() {
        assert_eq!(code(Ok(())), ExitCode::from(OK));
        let nested: anyhow::Result<()> = Err(NotRunning { detail: None }).context("reading status");
        assert_eq!(code(nested), ExitCode::from(NOT_RUNNING));
        let closed: anyhow::Result<()> = Err(output::StdoutClosed).context("printing");
        assert_eq!(code(closed), ExitCode::from(OK));
        assert_eq!(code(Err(Quiet(3).into())), ExitCode::from(3));
        assert_eq!(code(Err(anyhow::anyhow!("boom"))), ExitCode::from(FAILURE));
    }

    #[test]
    fn not_running_names_the_fix() {
        let text = NotRunning {
            detail: Some("nothing listens".into()),
        }
        .to_string();
        assert!(text.contains("codexctl daemon start"), "{text}");
        assert!(text.contains("nothing listens"), "{text}");
    }
}
