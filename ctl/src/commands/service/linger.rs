//! Whether `service install` runs `loginctl enable-linger` (Linux). Lingering keeps the user's
//! systemd manager, and so the daemon, running after the last logout and starts it at boot; it
//! affects every user service, so it is the user's call: `--linger`, `--no-linger`, or a
//! question, asked only where someone can answer it (a terminal on both ends, not CI).

use std::io::{BufRead, IsTerminal, Write};

use crate::ctx::Ctx;

/// What the command line asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    Yes,
    No,
    Ask,
}

impl Choice {
    pub fn from_flags(linger: bool, no_linger: bool) -> Self {
        match (linger, no_linger) {
            (true, _) => Choice::Yes,
            (_, true) => Choice::No,
            _ => Choice::Ask,
        }
    }
}

/// What to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Enable,
    /// Leave it, silently (on already, not Linux, or `--no-linger`).
    Skip,
    /// Leave it, and say how to turn it on.
    Advise,
    Prompt,
}

/// `linger`: the current setting (`None` unknown or not Linux). `interactive`: stdin and stderr
/// are terminals. `ci`: a CI system runs us (`CI` set to anything but `false`/`0`).
pub fn decide(choice: Choice, linux: bool, linger: Option<bool>, interactive: bool, ci: bool) -> Decision {
    if !linux || linger == Some(true) {
        return Decision::Skip;
    }
    match choice {
        Choice::Yes => Decision::Enable,
        Choice::No => Decision::Skip,
        Choice::Ask if interactive && !ci => Decision::Prompt,
        Choice::Ask => Decision::Advise,
    }
}

pub fn is_ci(ctx: &Ctx<'_>) -> bool {
    ctx.env("CI")
        .is_some_and(|v| !matches!(v.trim(), "" | "0" | "false" | "FALSE" | "False"))
}

pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Asks on stderr, reads one line from stdin; anything but y/yes is no.
pub fn prompt(user: &str) -> bool {
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "Keep codex-routerd running after you log out, and start it at boot? This runs \
         `loginctl enable-linger {user}` (affects all your systemd user services) [y/N] "
    );
    let _ = err.flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asks_only_on_a_terminal_outside_ci() {
        use Decision::*;
        let d = |choice, interactive, ci| decide(choice, true, Some(false), interactive, ci);
        assert_eq!(d(Choice::Ask, true, false), Prompt);
        assert_eq!(d(Choice::Ask, false, false), Advise, "no TTY: never prompt");
        assert_eq!(d(Choice::Ask, true, true), Advise, "CI=true: never prompt");
        assert_eq!(d(Choice::Yes, false, true), Enable, "--linger needs no question");
        assert_eq!(d(Choice::No, true, false), Skip);
        assert_eq!(
            decide(Choice::Yes, true, Some(true), true, false),
            Skip,
            "already on"
        );
        assert_eq!(decide(Choice::Ask, false, None, true, false), Skip, "not Linux");
        assert_eq!(
            decide(Choice::Ask, true, None, true, false),
            Prompt,
            "unknown: offer it"
        );
    }

    #[test]
    fn flags_map_to_choices() {
        assert_eq!(Choice::from_flags(true, false), Choice::Yes);
        assert_eq!(Choice::from_flags(false, true), Choice::No);
        assert_eq!(Choice::from_flags(false, false), Choice::Ask);
    }
}
