//! `codex-router-bench`: see the library docs. Exit codes: 0 every correctness check passed (performance
//! targets are reported, not enforced), 1 a check failed or the harness could not run, 2 usage.

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = codex_router_bench::cli::Cli::parse();
    match codex_router_bench::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("codex-router-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}
