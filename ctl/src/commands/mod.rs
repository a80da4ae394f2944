//! One module per command family; [`dispatch`] is the only place that maps the parsed command
//! line to them, so adding `rotation`, `service`, `doctor` or `demo` is one arm here.

mod accounts;
mod completions;
mod config;
mod daemon;
mod demo;
mod doctor;
mod rotation;
pub mod service;
mod status;
pub mod status_render;

pub use completions::run as completions;

use crate::cli::{Cli, Command};
use crate::ctx::Ctx;

pub async fn dispatch(cli: &Cli, ctx: &Ctx<'_>) -> anyhow::Result<()> {
    match &cli.command {
        Command::Status(args) => status::run(ctx, args).await,
        Command::Daemon(cmd) => daemon::run(ctx, cmd).await,
        Command::Accounts(cmd) => accounts::run(ctx, cmd).await,
        Command::Config(cmd) => config::run(ctx, cmd).await,
        Command::Completions(args) => completions::run(args.shell),
        Command::Demo(_) => demo::run(ctx).await,
        Command::Rotation(cmd) => rotation::run(ctx, cmd).await,
        Command::Service(cmd) => service::run(ctx, cmd).await,
        Command::Doctor => doctor::run(ctx).await,
    }
}
