//! `codexctl service install|uninstall|status [--dry-run]` (SPEC §9, docs/service.md).
//!
//! The `codex-router-service` crate writes the definitions and runs the service manager's
//! commands; these modules decide what else has to happen around that (a detached daemon is
//! stopped before the service takes over, lingering is offered, a bound Codex is warned about)
//! and print the steps.
//!
//! - [`manager`] — which `ServiceManager` to drive (`--service-manager`).
//! - [`install`] — install and uninstall; `linger` — whether to run `loginctl enable-linger`.
//! - `status` — `service status`; `render` — the steps, as text and JSON.

pub mod install;
mod linger;
pub mod manager;
mod render;
mod status;

use crate::cli::ServiceCommand;
use crate::ctx::Ctx;

pub async fn run(ctx: &Ctx<'_>, cmd: &ServiceCommand) -> anyhow::Result<()> {
    let manager = manager::open(ctx)?;
    match cmd {
        ServiceCommand::Install(args) => {
            let options = install::Options {
                dry_run: args.dry_run,
                linger: linger::Choice::from_flags(args.linger, args.no_linger),
            };
            install::install_cmd(ctx, &*manager, &options).await
        }
        ServiceCommand::Uninstall(args) => install::uninstall_cmd(ctx, &*manager, args.dry_run).await,
        ServiceCommand::Status => status::status(ctx, &*manager),
    }
}
