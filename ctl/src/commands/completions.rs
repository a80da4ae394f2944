//! `codexctl completions <shell>`: the clap_complete script, generated into memory first so a
//! closed stdout is handled like everywhere else.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::output;

pub fn run(shell: Shell) -> anyhow::Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "codexctl", &mut script);
    output::bytes(&script)
}
