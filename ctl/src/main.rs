//! `codexctl`: see the library docs and `docs/cli.md`.

use std::process::ExitCode;

fn main() -> ExitCode {
    match codexctl::parse_args() {
        Ok(cli) => codexctl::run(cli),
        Err(code) => code,
    }
}
