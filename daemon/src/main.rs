//! `codex-routerd`: see the library docs. Exit codes: 0 stopped cleanly, 1 failure, 64 bad settings.

use std::process::ExitCode;

fn main() -> ExitCode {
    let env = |k: &str| std::env::var(k).ok();
    match codex_routerd::main_with(&env) {
        Ok(()) => ExitCode::SUCCESS,
        Err(codex_routerd::StartError::Config(msg)) => {
            eprintln!("codex-routerd: invalid settings: {msg}");
            ExitCode::from(64)
        }
        Err(codex_routerd::StartError::Other(e)) => {
            eprintln!("codex-routerd: {e:#}");
            ExitCode::FAILURE
        }
    }
}
