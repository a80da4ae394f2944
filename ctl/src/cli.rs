//! The command line, as clap derive types. Parsing only: every command's behaviour lives in
//! `commands/`.
//!
//! Adding a command family later (`accounts login|import`, `rotation ...`, `service ...`,
//! `doctor`, `demo`) means one variant here (or in [`AccountsCommand`]), one module under
//! `commands/`, and one arm in `commands::dispatch`; nothing else changes.

use clap::{Args, Parser, Subcommand};
use clap_complete::Shell;

use crate::ctx::ServiceManagerChoice;

pub use crate::cli_onboarding::{DemoArgs, ImportArgs, LoginArgs};
pub use crate::cli_setup::{RotationCommand, ServiceCommand};

/// Control the codex-router daemon, which rotates a pool of ChatGPT accounts behind one Codex.
///
/// Exit codes: 0 ok, 1 failure, 2 usage error, 3 the daemon is not running.
#[derive(Debug, Parser)]
#[command(name = "codexctl", version, propagate_version = true)]
pub struct Cli {
    /// Print machine-readable JSON instead of tables (for commands that print data).
    #[arg(long, global = true)]
    pub json: bool,

    /// For tests: `none` drives no service manager, as on a machine without one.
    #[arg(long, global = true, hide = true, value_enum, default_value_t)]
    pub service_manager: ServiceManagerChoice,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the daemon, the Codex binding, counters and every account.
    Status(StatusArgs),
    /// Run, start, stop or inspect the daemon.
    #[command(subcommand)]
    Daemon(DaemonCommand),
    /// List and manage the pooled accounts.
    #[command(subcommand)]
    Accounts(AccountsCommand),
    /// Show or reload the router settings.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print a shell completion script to stdout.
    Completions(CompletionsArgs),
    /// Bind Codex to the router and back (enable = login service + bind).
    #[command(subcommand)]
    Rotation(RotationCommand),
    /// Install, remove or inspect the login service that runs the daemon.
    #[command(subcommand)]
    Service(ServiceCommand),
    /// Check everything a user would otherwise debug by hand; exit 1 if any check fails.
    Doctor,
    /// Watch the router rotate three fake accounts, offline, in a throwaway home (under 30 s).
    Demo(DemoArgs),
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Keep running and redraw on every change the daemon reports.
    #[arg(long)]
    pub watch: bool,
}

#[derive(Debug, Subcommand)]
pub enum DaemonCommand {
    /// Run codex-routerd in the foreground (logs to the terminal and to logs/).
    Run,
    /// Start codex-routerd in the background; a no-op if it already runs.
    Start,
    /// Stop codex-routerd gracefully (drain, then force after a grace period); a no-op if down.
    Stop,
    /// Stop, then start.
    Restart,
    /// Is the daemon running? Exit 3 if not.
    Status,
    /// Print the newest daemon log file.
    Logs(LogsArgs),
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Keep printing new lines as they are written (follows daily rotation).
    #[arg(short = 'f', long)]
    pub follow: bool,
}

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// List the accounts (reads accounts.json when the daemon is down).
    List,
    /// Remove an account from the pool.
    Remove(AccountRef),
    /// Let the router use an account again.
    Enable(AccountRef),
    /// Stop the router from using an account.
    Disable(AccountRef),
    /// Rename an account.
    Label(LabelArgs),
    /// Refresh tokens now (needs the daemon).
    Refresh(RefreshArgs),
    /// Poll the usage endpoint now and show each window (needs the daemon; no argument: all).
    Check(CheckArgs),
    /// Sign a ChatGPT account in (browser, pasted redirect or device code) and add it.
    Login(LoginArgs),
    /// Add accounts from Codex auth.json files and codex-multi-auth accounts files.
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct AccountRef {
    /// An account id, a label, or a 1-based index (resolved in that order).
    pub account: String,
}

#[derive(Debug, Args)]
pub struct LabelArgs {
    /// An account id, a label, or a 1-based index (resolved in that order).
    pub account: String,
    /// The new label: 1-64 of A-Z a-z 0-9 . _ -
    pub new_label: String,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct RefreshArgs {
    /// An account id, a label, or a 1-based index.
    pub account: Option<String>,
    /// Refresh every account.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
#[group(multiple = false)]
pub struct CheckArgs {
    /// An account id, a label, or a 1-based index.
    pub account: Option<String>,
    /// Check every account (the default).
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective settings and where each value came from.
    Show,
    /// Make the daemon re-read its settings (needs the daemon).
    Reload,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate for.
    pub shell: Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn json_is_global_and_refresh_needs_a_target() {
        let cli = Cli::try_parse_from(["codexctl", "status", "--json"]).unwrap();
        assert!(cli.json);
        let cli = Cli::try_parse_from(["codexctl", "--json", "accounts", "list"]).unwrap();
        assert!(cli.json);
        let err = Cli::try_parse_from(["codexctl", "accounts", "refresh"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let err = Cli::try_parse_from(["codexctl", "accounts", "refresh", "1", "--all"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(Cli::try_parse_from(["codexctl", "accounts", "refresh", "--all"]).is_ok());
    }

    #[test]
    fn check_takes_one_account_or_all_or_nothing() {
        for args in [
            &["accounts", "check"][..],
            &["accounts", "check", "--all"],
            &["accounts", "check", "pro-1"],
        ] {
            let argv = std::iter::once("codexctl").chain(args.iter().copied());
            assert!(Cli::try_parse_from(argv).is_ok(), "{args:?}");
        }
        let err = Cli::try_parse_from(["codexctl", "accounts", "check", "1", "--all"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }
}
