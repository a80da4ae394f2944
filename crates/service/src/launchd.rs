//! The launchd user agent (`~/Library/LaunchAgents/com.codex-router.daemon.plist`).
//!
//! launchd runs `ProgramArguments` with `execvp` directly, one `<string>` per argument, so
//! no shell quoting is involved: XML escaping is the only encoding. `KeepAlive` is a dict with
//! `SuccessfulExit=false`, not `true`: a clean `codexctl daemon stop` (exit 0) must stay
//! stopped, and only a crash brings the daemon back (SPEC §7 "Bound but daemon down").
//! Uninstalling boots the agent out before removing the file for the same reason: with
//! `KeepAlive=true` launchd restarted the router during unbind.

use codex_router_store::Platform;

use crate::spec::{ServiceSpec, text};
use crate::template::{LAUNCHD_PLIST, fill};
use crate::xml::escape_text;

/// The launchd agent plist for `spec`.
pub fn launchd_plist(spec: &ServiceSpec) -> String {
    let program_arguments = spec
        .daemon_argv()
        .iter()
        .map(|arg| format!("\t\t<string>{}</string>", escape_text(arg)))
        .collect::<Vec<_>>()
        .join("\n");
    fill(
        LAUNCHD_PLIST,
        &[
            ("PROGRAM_ARGUMENTS", &program_arguments),
            ("ROUTER_HOME", &escape_text(&text(&spec.router_home))),
            ("CODEX_HOME", &escape_text(&text(&spec.codex_home))),
            ("LOG_FILE", &escape_text(&spec.log_file(Platform::MacOs))),
        ],
    )
}

#[cfg(test)]
#[path = "launchd_tests.rs"]
mod tests;
