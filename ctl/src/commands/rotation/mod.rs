//! `codexctl rotation enable|disable|status|bind-app|unbind-app` (SPEC §7).
//!
//! Everything about `config.toml` and `bind/` is the `codex-config` crate's; these modules get
//! the port and key from the daemon, drive the service manager for `enable`/`disable`, and
//! say what happened.
//!
//! - `bind`, `unbind` — the two edits and their reports.
//! - `enable` — `enable` (service or detached daemon, then bind) and `disable`.
//! - `status` — the read-only report; [`problems`] — what is wrong, with fixes (shared with
//!   `doctor`).

mod bind;
mod enable;
pub mod problems;
pub mod status;
mod unbind;

use std::path::PathBuf;

use anyhow::Context;
use codex_router_codex_config::BindMode;

use crate::cli::RotationCommand;
use crate::ctx::Ctx;
use crate::output;

pub async fn run(ctx: &Ctx<'_>, cmd: &RotationCommand) -> anyhow::Result<()> {
    match cmd {
        RotationCommand::Enable(args) => enable::enable(ctx, mode_of(args.native)).await,
        RotationCommand::Disable(args) => enable::disable(ctx, args.stop).await,
        RotationCommand::Status => status::status(ctx).await,
        RotationCommand::BindApp(args) => {
            bind::bind_app_cmd(ctx, args.remote_compaction, mode_of(args.native)).await
        }
        RotationCommand::UnbindApp => unbind::unbind_app_cmd(ctx),
    }
}

fn mode_of(native: bool) -> BindMode {
    if native {
        BindMode::Native
    } else {
        BindMode::Provider
    }
}

/// `$CODEX_HOME/config.toml`, else `~/.codex/config.toml`.
fn codex_config_path(ctx: &Ctx<'_>) -> anyhow::Result<PathBuf> {
    ctx.codex_config()
        .context("cannot find Codex's home: set CODEX_HOME (or HOME, for ~/.codex)")
}

/// A progress line: on stderr under `--json`, so stdout stays one JSON document.
fn say(ctx: &Ctx<'_>, text: &str) {
    if ctx.json {
        output::error_line(text);
    } else {
        // A closed stdout must not stop a bind half-way: the user asked for it.
        let _ = output::line(text);
    }
}
