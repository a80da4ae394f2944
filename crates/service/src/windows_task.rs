//! The per-user Task Scheduler task (`schtasks /Create /TN codex-routerd /XML <file>`).
//!
//! A task cannot set environment variables or redirect output, so its action runs
//! `cmd.exe /d /v:off /s /c "set CODEX_ROUTER_HOME=…&set CODEX_HOME=…&"<daemon>" 1>>"<log>" 2>&1"`:
//! `/d` skips AutoRun scripts, `/v:off` keeps `!` literal, `/s` strips exactly the outer
//! quotes. The quoting of each piece is in [`crate::wincmd`]. The task starts at logon of
//! `user` with the user's own token (no password stored, no elevation) and is restarted by
//! Task Scheduler when it fails (`RestartOnFailure`: every minute, up to 255 times). Its
//! exit code is the daemon's, as cmd returns the last command's.
//!
//! The file is UTF-16 (what `schtasks /XML` reads reliably); [`windows_task_xml`] returns the
//! text and the installer encodes it.

use codex_router_store::Platform;

use crate::spec::{ServiceSpec, text};
use crate::template::{WINDOWS_TASK, fill};
use crate::wincmd::{cmd_command_line, cmd_escape_unquoted, cmd_token};
use crate::xml::escape_text;

/// The task's program: Task Scheduler expands `%SystemRoot%` itself.
pub(crate) const CMD_EXE: &str = r"%SystemRoot%\System32\cmd.exe";

/// The Task Scheduler XML for `spec`.
pub fn windows_task_xml(spec: &ServiceSpec) -> String {
    let (command, arguments) = windows_action(spec);
    fill(
        WINDOWS_TASK,
        &[
            ("USER", &escape_text(&spec.user)),
            ("COMMAND", &escape_text(&command)),
            ("ARGUMENTS", &escape_text(&arguments)),
        ],
    )
}

/// The task action's command and arguments, before XML escaping.
pub(crate) fn windows_action(spec: &ServiceSpec) -> (String, String) {
    let inner = format!(
        "set {}&set {}&{} 1>>{} 2>&1",
        cmd_escape_unquoted(&format!("CODEX_ROUTER_HOME={}", text(&spec.router_home))),
        cmd_escape_unquoted(&format!("CODEX_HOME={}", text(&spec.codex_home))),
        cmd_command_line(&spec.daemon_argv()),
        cmd_token(&spec.log_file(Platform::Windows)),
    );
    (CMD_EXE.to_owned(), format!("/d /v:off /s /c \"{inner}\""))
}

/// `xml` as the bytes `schtasks` reads: UTF-16LE with a byte-order mark.
pub(crate) fn utf16le_with_bom(xml: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(xml.encode_utf16().flat_map(u16::to_le_bytes));
    bytes
}

#[cfg(test)]
#[path = "windows_task_tests.rs"]
mod tests;
