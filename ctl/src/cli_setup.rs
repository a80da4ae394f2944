//! The clap types of the commands that set the router up on a machine: `rotation` (binding
//! Codex, SPEC §7), `service` (the login service, SPEC §9) and `doctor`. Kept apart from
//! [`crate::cli`] so that file stays a short index of command families.

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum RotationCommand {
    /// Install and start the login service (or start the daemon detached where there is no
    /// service manager), then bind Codex to the router.
    Enable(EnableArgs),
    /// Unbind Codex from the router; the daemon keeps running unless `--stop` is given.
    Disable(DisableArgs),
    /// Is Codex bound, to which port, and does that match the running daemon? Exit 0 either way.
    Status,
    /// Point Codex's config.toml at the daemon (starting the daemon if needed). Binding in one
    /// mode replaces a binding in the other.
    BindApp(BindAppArgs),
    /// Put Codex's config.toml back as it was (works with the daemon down).
    UnbindApp,
}

#[derive(Debug, Args)]
pub struct BindAppArgs {
    /// Let Codex compact conversations remotely (`capabilities.remote_compaction = "v2"`). A
    /// compacted conversation can then only continue on the account that compacted it.
    #[arg(long, conflicts_with = "native")]
    pub remote_compaction: bool,
    /// The native binding: write only `openai_base_url`, so Codex keeps its built-in provider,
    /// its own ChatGPT login, the desktop app's model picker and WebSocket. Needs Codex signed
    /// in with ChatGPT (`codex login`).
    #[arg(long)]
    pub native: bool,
}

#[derive(Debug, Args)]
pub struct EnableArgs {
    /// Bind with the native binding (see `rotation bind-app --native`). Without it, `enable`
    /// writes the provider binding, replacing a native one.
    #[arg(long)]
    pub native: bool,
}

#[derive(Debug, Args)]
pub struct DisableArgs {
    /// Also stop the daemon (through the service manager when the service is installed).
    #[arg(long)]
    pub stop: bool,
}

#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Run codex-routerd at login (systemd user unit, launchd agent, Windows logon task).
    Install(InstallArgs),
    /// Stop the service and remove exactly what `install` added.
    Uninstall(DryRunArgs),
    /// Is the service installed and running? Exit 0 either way.
    Status,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Print every step (files with their contents, commands) and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Linux: also run `loginctl enable-linger`, so the daemon keeps running after logout and
    /// starts at boot. Without `--linger`/`--no-linger`, asked on a terminal only.
    #[arg(long, conflicts_with = "no_linger")]
    pub linger: bool,
    /// Linux: do not enable lingering, and do not ask.
    #[arg(long)]
    pub no_linger: bool,
}

#[derive(Debug, Args)]
pub struct DryRunArgs {
    /// Print every step and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Cli, Command};

    use super::*;

    #[test]
    fn rotation_and_service_parse() {
        // Every rotation subcommand exists (and so is listed by `--help`).
        for sub in ["enable", "disable", "status", "bind-app", "unbind-app"] {
            let cli = Cli::try_parse_from(["codexctl", "rotation", sub, "--json"]).unwrap();
            assert!(cli.json, "{sub}");
            assert!(matches!(cli.command, Command::Rotation(_)), "{sub}");
        }
        let cli = Cli::try_parse_from(["codexctl", "rotation", "bind-app", "--remote-compaction"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Rotation(RotationCommand::BindApp(BindAppArgs {
                remote_compaction: true,
                native: false
            }))
        ));
        let cli = Cli::try_parse_from(["codexctl", "rotation", "enable", "--native"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Rotation(RotationCommand::Enable(EnableArgs { native: true }))
        ));
        let cli = Cli::try_parse_from(["codexctl", "rotation", "bind-app", "--native"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Rotation(RotationCommand::BindApp(BindAppArgs { native: true, .. }))
        ));
        // The built-in provider compacts remotely whatever the config says.
        let err = Cli::try_parse_from([
            "codexctl",
            "rotation",
            "bind-app",
            "--native",
            "--remote-compaction",
        ])
        .unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let cli = Cli::try_parse_from(["codexctl", "rotation", "disable", "--stop"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Rotation(RotationCommand::Disable(DisableArgs { stop: true }))
        ));
        let err =
            Cli::try_parse_from(["codexctl", "service", "install", "--linger", "--no-linger"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let cli =
            Cli::try_parse_from(["codexctl", "service", "install", "--dry-run", "--no-linger"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Service(ServiceCommand::Install(InstallArgs {
                dry_run: true,
                linger: false,
                no_linger: true
            }))
        ));
        assert!(Cli::try_parse_from(["codexctl", "doctor", "--json"]).is_ok());
    }
}
