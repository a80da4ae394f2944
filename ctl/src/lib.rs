//! `codexctl`, the thin client of `codex-routerd` (SPEC §9). `main.rs` parses the command line
//! and calls [`run`]; everything else is here.
//!
//! # Layout
//! - [`cli`] — the clap definitions (parsing only); [`cli_setup`] holds those of `rotation`,
//!   `service` and `doctor`.
//! - `commands/` — one module per command family, dispatched from `commands::dispatch`.
//! - `liveness` — "is the daemon up?": only a `ping` answer on the socket says so, never a pid.
//! - `exit` — the exit codes (0 ok, 1 failure, 2 usage, 3 daemon not running) and the error
//!   markers that select them.
//! - `output` — every byte printed goes through here; a closed stdout is a quiet success
//!   (no panic, no "Broken pipe").
//! - `binding` — the Codex binding as every command reports it (via `codex-config`).
//! - `process`, `table`, `timefmt`, `ctx`, `interrupt` — small helpers.
//!
//! `docs/cli.md` documents every command, flag and exit code.

mod binding;
pub mod cli;
pub mod cli_onboarding;
pub mod cli_setup;
mod commands;
mod ctx;
pub mod exit;
mod interrupt;
mod liveness;
mod output;
mod process;
mod table;
mod timefmt;

use std::process::ExitCode;

pub use cli::Cli;

/// Runs one command with the process environment; never panics on a closed stdout.
pub fn run(cli: Cli) -> ExitCode {
    let env = |key: &str| std::env::var(key).ok();
    run_with_env(cli, &env)
}

/// [`run`] with the environment passed in (the store and settings crates read it the same way).
pub fn run_with_env(cli: Cli, env: &ctx::Env) -> ExitCode {
    exit::finish(run_inner(&cli, env))
}

fn run_inner(cli: &Cli, env: &ctx::Env) -> anyhow::Result<()> {
    // Needs no router home: works on a machine where none can be found.
    if let cli::Command::Completions(args) = &cli.command {
        return commands::completions(args.shell);
    }
    let ctx = ctx::Ctx::new(cli.json, env)?.with_service_manager(cli.service_manager);
    // One thread is plenty for a CLI and keeps start-up cheap (mini-redis does the same).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("starting the async runtime: {e}"))?;
    rt.block_on(commands::dispatch(cli, &ctx))
}

/// Parses the process arguments: help and version go to stdout (exit 0), usage errors to
/// stderr (exit 2), both without panicking when the stream is closed.
pub fn parse_args() -> Result<Cli, ExitCode> {
    use clap::Parser;
    Cli::try_parse().map_err(|err| {
        let _ = err.print();
        ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(exit::USAGE))
    })
}
