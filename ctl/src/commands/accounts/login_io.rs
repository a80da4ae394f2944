//! What `accounts login` says while the user signs in, and reading the pasted redirect.
//!
//! Prompts go to stdout, or to stderr with `--json` (stdout then carries exactly one JSON
//! document, the result). The device flow's progress indicator is a redrawn spinner line only
//! when that stream is a terminal; anywhere else (a pipe, a log, CI) it is an occasional plain
//! line, so no carriage returns or escape codes end up in a file.

use std::cell::Cell;
use std::convert::Infallible;
use std::io::{BufRead, IsTerminal};
use std::time::{Duration, Instant};

use anyhow::Context;
use codex_router_oauth::DeviceCode;

use crate::{output, timefmt};

/// Without a terminal, one "still waiting" line per this many polls (a minute at the usual 5 s).
const PLAIN_EVERY: usize = 12;
/// How often the spinner line is redrawn.
const SPIN: Duration = Duration::from_millis(120);
const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// The login's voice: where messages go and whether a spinner may be drawn.
#[derive(Debug)]
pub struct Ui {
    json: bool,
    tty: bool,
    polls: Cell<usize>,
    /// The device code is on screen: from now on the spinner may draw.
    prompted: Cell<bool>,
    spinning: Cell<bool>,
    started: Instant,
}

impl Ui {
    pub fn new(json: bool) -> Self {
        let tty = if json {
            std::io::stderr().is_terminal()
        } else {
            std::io::stdout().is_terminal()
        };
        Self {
            json,
            tty,
            polls: Cell::new(0),
            prompted: Cell::new(false),
            spinning: Cell::new(false),
            started: Instant::now(),
        }
    }

    /// One message line. A closed stdout must not stop a sign-in the user is in the middle of.
    pub fn say(&self, text: &str) {
        self.clear_spinner();
        if self.json {
            output::error_line(text);
        } else {
            let _ = output::line(text);
        }
    }

    /// The device flow's prompt: where to go and what to type, then that we are waiting.
    pub fn device_prompt(&self, code: &DeviceCode) {
        self.prompted.set(true);
        let expires = timefmt::span(timefmt::now().until(code.expires_at));
        self.say(&format!(
            "To sign in, open this page on any device and enter the code:\n\n    {}\n\n    code: {}\n\n\
             The code expires in {expires}. Waiting for the sign-in (Ctrl-C to cancel)...",
            code.verification_url, code.user_code
        ));
    }

    /// Called after every "not yet" answer from the issuer.
    pub fn device_poll(&self, n_polls: usize) {
        self.polls.set(n_polls);
        if !self.tty && n_polls.is_multiple_of(PLAIN_EVERY) {
            self.say(&format!(
                "still waiting for the sign-in ({}, {} so far)",
                checks(n_polls),
                timefmt::span(self.started.elapsed())
            ));
        }
    }

    /// Redraws the spinner until dropped (raced against the login); returns at once without a
    /// terminal.
    pub async fn spin(&self) -> Infallible {
        if !self.tty {
            return std::future::pending().await;
        }
        let mut tick = tokio::time::interval(SPIN);
        let mut n_frames: usize = 0;
        loop {
            tick.tick().await;
            if !self.prompted.get() {
                continue;
            }
            let frame = FRAMES[n_frames % FRAMES.len()];
            n_frames = n_frames.wrapping_add(1);
            let line = format!(
                "\r{frame} waiting for the sign-in: {}, {}\x1b[K",
                checks(self.polls.get()),
                timefmt::span(self.started.elapsed())
            );
            self.spinning.set(true);
            self.raw(&line);
        }
    }

    /// Erases the spinner line, if one is drawn, so the next message starts clean.
    pub fn clear_spinner(&self) {
        if self.spinning.replace(false) {
            self.raw("\r\x1b[K");
        }
    }

    fn raw(&self, text: &str) {
        if self.json {
            let mut err = std::io::stderr().lock();
            let _ = std::io::Write::write_all(&mut err, text.as_bytes());
            let _ = std::io::Write::flush(&mut err);
        } else {
            let _ = output::print(text);
        }
    }
}

fn checks(n: usize) -> String {
    if n == 1 {
        "1 check".to_owned()
    } else {
        format!("{n} checks")
    }
}

/// The first non-empty line of stdin: the redirect URL the user pasted.
///
/// Read on a thread of its own: a blocking read cannot be cancelled, and a runtime that waited
/// for it at exit would hang until the user pressed Enter. The thread dies with the process.
pub async fn read_pasted() -> anyhow::Result<String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(first_line(std::io::stdin().lock()));
    });
    rx.await.context("reading stdin")?
}

fn first_line(mut input: impl BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    loop {
        line.clear();
        let n = input
            .read_line(&mut line)
            .context("reading the pasted URL from stdin")?;
        if n == 0 {
            anyhow::bail!("stdin ended before a redirect URL was pasted");
        }
        let trimmed = line.trim();
        if !trimmed.is_empty() {
            return Ok(trimmed.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_non_empty_line_is_the_paste() {
        let got =
            first_line(&b"\n  \r\n  http://localhost:1455/auth/callback?code=c&state=s  \r\nrest\n"[..]);
        assert_eq!(got.unwrap(), "http://localhost:1455/auth/callback?code=c&state=s");
        let err = first_line(&b"\n\n"[..]).unwrap_err();
        assert!(err.to_string().contains("stdin ended"), "{err}");
    }

    #[tokio::test]
    async fn without_a_terminal_the_spinner_draws_nothing() {
        let ui = Ui {
            json: true,
            tty: false,
            polls: Cell::new(0),
            prompted: Cell::new(false),
            spinning: Cell::new(false),
            started: Instant::now(),
        };
        let spun = tokio::time::timeout(Duration::from_millis(30), ui.spin()).await;
        assert!(spun.is_err(), "spin never returns, it is raced against the login");
        assert!(!ui.spinning.get(), "no spinner line without a terminal");
    }
}
