//! Opening the authorize URL in the user's browser.
//!
//! Choosing the command is a pure function of the OS name so it can be tested as text on any
//! machine; launching it never fails the login, because the URL is always printed too and the
//! user can open it by hand (a headless box, a missing `xdg-open`).

use std::process::{Command, Stdio};

/// A program and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserCommand {
    pub program: &'static str,
    pub args: Vec<String>,
}

/// The command that opens `url` on `os` (a [`std::env::consts::OS`] value): `open` on macOS,
/// `cmd /c start` on Windows, `xdg-open` elsewhere.
///
/// On Windows the URL goes through `cmd`'s parser, where `&` separates commands, so every `&`
/// is escaped as `^&`; the empty argument is `start`'s window title, without which a quoted URL
/// would be taken for the title.
pub fn browser_command(os: &str, url: &str) -> BrowserCommand {
    match os {
        "macos" => BrowserCommand {
            program: "open",
            args: vec![url.to_owned()],
        },
        "windows" => BrowserCommand {
            program: "cmd",
            args: vec![
                "/c".to_owned(),
                "start".to_owned(),
                String::new(),
                url.replace('&', "^&"),
            ],
        },
        _ => BrowserCommand {
            program: "xdg-open",
            args: vec![url.to_owned()],
        },
    }
}

/// Starts the browser on `url` and returns whether the launcher could be started (not whether
/// a browser appeared). Output is discarded and the launcher is not waited for.
pub fn open_browser(url: &str) -> bool {
    let cmd = browser_command(std::env::consts::OS, url);
    Command::new(cmd.program)
        .args(&cmd.args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://auth.example/oauth/authorize?a=1&state=x%20y";

    #[test]
    fn one_command_per_os() {
        assert_eq!(
            browser_command("linux", URL),
            BrowserCommand {
                program: "xdg-open",
                args: vec![URL.into()]
            }
        );
        assert_eq!(browser_command("freebsd", URL).program, "xdg-open");
        assert_eq!(
            browser_command("macos", URL),
            BrowserCommand {
                program: "open",
                args: vec![URL.into()]
            }
        );
        assert_eq!(
            browser_command("windows", URL),
            BrowserCommand {
                program: "cmd",
                args: vec![
                    "/c".into(),
                    "start".into(),
                    String::new(),
                    "https://auth.example/oauth/authorize?a=1^&state=x%20y".into()
                ]
            }
        );
    }
}
