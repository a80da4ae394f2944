//! The service managers' command lines, one function each, so plans and tests name them.
//!
//! None takes a shell: paths travel as separate arguments.

use std::path::Path;

use crate::runner::CommandSpec;
use crate::spec::{LAUNCHD_LABEL, TASK_NAME, UNIT_NAME, text};

/// `systemctl --user …` and `loginctl …` (Linux).
pub(crate) mod systemd {
    use super::*;

    fn user(args: &[&str]) -> CommandSpec {
        let mut all = vec!["--user"];
        all.extend_from_slice(args);
        CommandSpec::new("systemctl", &all)
    }

    /// Succeeds only when a systemd user manager answers on the user bus.
    pub(crate) fn show_environment() -> CommandSpec {
        user(&["show-environment"])
    }
    pub(crate) fn daemon_reload() -> CommandSpec {
        user(&["daemon-reload"])
    }
    pub(crate) fn enable_now() -> CommandSpec {
        user(&["enable", "--now", UNIT_NAME])
    }
    pub(crate) fn disable_now() -> CommandSpec {
        user(&["disable", "--now", UNIT_NAME])
    }
    /// Forget a failed state so a later install starts clean.
    pub(crate) fn reset_failed() -> CommandSpec {
        user(&["reset-failed", UNIT_NAME])
    }
    /// `start`, `stop` or `restart`.
    pub(crate) fn control(verb: &str) -> CommandSpec {
        user(&[verb, UNIT_NAME])
    }
    pub(crate) fn is_active() -> CommandSpec {
        user(&["is-active", UNIT_NAME])
    }
    pub(crate) fn enable_linger(user_name: &str) -> CommandSpec {
        CommandSpec::new("loginctl", &["enable-linger", user_name])
    }
    /// Prints `yes` or `no`.
    pub(crate) fn show_linger(user_name: &str) -> CommandSpec {
        CommandSpec::new(
            "loginctl",
            &["show-user", user_name, "--property=Linger", "--value"],
        )
    }
}

/// `launchctl …` (macOS). `domain` is `gui/<uid>`.
pub(crate) mod launchd {
    use super::*;

    pub(crate) fn service_target(domain: &str) -> String {
        format!("{domain}/{LAUNCHD_LABEL}")
    }
    /// Succeeds only when the user's GUI domain exists (someone is logged in at the console).
    pub(crate) fn print_domain(domain: &str) -> CommandSpec {
        CommandSpec::new("launchctl", &["print", domain])
    }
    /// Succeeds when the agent is loaded; its output says `state = running` while it runs.
    pub(crate) fn print_service(domain: &str) -> CommandSpec {
        CommandSpec::new("launchctl", &["print", &service_target(domain)])
    }
    pub(crate) fn bootstrap(domain: &str, plist: &Path) -> CommandSpec {
        CommandSpec::new("launchctl", &["bootstrap", domain, &text(plist)])
    }
    /// Unload the agent, stopping the daemon: unlike a plain stop, launchd's KeepAlive cannot
    /// bring it back during an unbind or uninstall.
    pub(crate) fn bootout(domain: &str) -> CommandSpec {
        CommandSpec::new("launchctl", &["bootout", &service_target(domain)])
    }
    /// Clear a `launchctl disable` left from earlier, which would make bootstrap fail.
    pub(crate) fn enable(domain: &str) -> CommandSpec {
        CommandSpec::new("launchctl", &["enable", &service_target(domain)])
    }
    /// Start the loaded agent; with `kill`, restart it if it runs.
    pub(crate) fn kickstart(domain: &str, kill: bool) -> CommandSpec {
        let target = service_target(domain);
        let args: Vec<&str> = if kill {
            vec!["kickstart", "-k", &target]
        } else {
            vec!["kickstart", &target]
        };
        CommandSpec::new("launchctl", &args)
    }
}

/// `schtasks …` (Windows).
pub(crate) mod schtasks {
    use super::*;

    /// Starts when Task Scheduler's command-line tool exists.
    pub(crate) fn probe() -> CommandSpec {
        CommandSpec::new("schtasks", &["/?"])
    }
    pub(crate) fn create(xml: &Path) -> CommandSpec {
        CommandSpec::new(
            "schtasks",
            &["/Create", "/TN", TASK_NAME, "/XML", &text(xml), "/F"],
        )
    }
    pub(crate) fn run() -> CommandSpec {
        CommandSpec::new("schtasks", &["/Run", "/TN", TASK_NAME])
    }
    /// Terminates the task's process at once (no drain): ask the daemon to stop over IPC first.
    pub(crate) fn end() -> CommandSpec {
        CommandSpec::new("schtasks", &["/End", "/TN", TASK_NAME])
    }
    pub(crate) fn delete() -> CommandSpec {
        CommandSpec::new("schtasks", &["/Delete", "/TN", TASK_NAME, "/F"])
    }
    /// Prints the task's state (`Running`, `Ready`, …) as an enum name, which, unlike
    /// `schtasks /Query` output, is not translated on localized Windows.
    pub(crate) fn state() -> CommandSpec {
        CommandSpec::new(
            "powershell.exe",
            &[
                "-NoProfile",
                "-NonInteractive",
                "-Command",
                &format!("(Get-ScheduledTask -TaskName '{TASK_NAME}').State"),
            ],
        )
    }
}
