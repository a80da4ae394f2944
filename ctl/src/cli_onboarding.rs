//! Arguments of `accounts login`, `accounts import` and `demo` (SPEC §6). Kept apart
//! from `cli.rs` so the command families can grow without touching each other's definitions.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Use the device-code flow: sign in on any device with a code shown here.
    #[arg(long, conflicts_with = "no_browser")]
    pub device: bool,
    /// Print the sign-in URL and read the redirect URL you paste back on stdin (no browser,
    /// no callback port; works over SSH and with no terminal).
    #[arg(long)]
    pub no_browser: bool,
    /// The label of the new account: 1-64 of A-Z a-z 0-9 . _ - (never an email).
    #[arg(long)]
    pub label: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Codex CLI auth.json files. With no path and no --multi-auth: $CODEX_HOME/auth.json.
    pub paths: Vec<PathBuf>,
    /// A codex-multi-auth `openai-codex-accounts.json` (version 1 or 3); repeatable.
    #[arg(long = "multi-auth", value_name = "PATH")]
    pub multi_auth: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use clap::Parser;

    use crate::cli::{AccountsCommand, Cli, Command};

    #[test]
    fn login_flags_parse_and_device_excludes_no_browser() {
        let cli =
            Cli::try_parse_from(["codexctl", "accounts", "login", "--no-browser", "--label", "w"]).unwrap();
        let Command::Accounts(AccountsCommand::Login(args)) = cli.command else {
            panic!("not a login");
        };
        assert!(args.no_browser && !args.device);
        assert_eq!(args.label.as_deref(), Some("w"));
        let err =
            Cli::try_parse_from(["codexctl", "accounts", "login", "--device", "--no-browser"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn import_takes_paths_and_repeated_multi_auth() {
        let cli = Cli::try_parse_from([
            "codexctl",
            "accounts",
            "import",
            "a.json",
            "--multi-auth",
            "m1.json",
            "--multi-auth",
            "m2.json",
            "--json",
        ])
        .unwrap();
        assert!(cli.json);
        let Command::Accounts(AccountsCommand::Import(args)) = cli.command else {
            panic!("not an import");
        };
        assert_eq!(args.paths, [PathBuf::from("a.json")]);
        assert_eq!(args.multi_auth.len(), 2);
        assert!(Cli::try_parse_from(["codexctl", "demo"]).is_ok());
    }
}
