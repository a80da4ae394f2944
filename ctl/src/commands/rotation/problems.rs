//! What is wrong with a binding, each with its one-line fix. `rotation status` lists these and
//! `doctor` turns them into its binding check, so both say the same thing.

use codex_router_codex_config::{BindStatus, ConfigStatus, StateStatus};
use serde_json::{Value, json};

use crate::binding::{DOWN_WARNING, DaemonSide, View};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Codex's requests fail or miss the router.
    Fail,
    /// Works now, but something is off (an unbind will be surgical, a profile bypasses).
    Warn,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    pub message: String,
    pub fix: String,
}

impl Problem {
    fn fail(message: impl Into<String>, fix: impl Into<String>) -> Self {
        let (message, fix) = (message.into(), fix.into());
        Problem {
            severity: Severity::Fail,
            message,
            fix,
        }
    }

    fn warn(message: impl Into<String>, fix: impl Into<String>) -> Self {
        let (message, fix) = (message.into(), fix.into());
        Problem {
            severity: Severity::Warn,
            message,
            fix,
        }
    }

    pub fn to_json(&self) -> Value {
        let severity = match self.severity {
            Severity::Fail => "fail",
            Severity::Warn => "warn",
        };
        json!({"severity": severity, "message": self.message, "fix": self.fix})
    }
}

const REBIND: &str = "run `codexctl rotation bind-app`";

pub fn problems(view: &View, daemon: &DaemonSide) -> Vec<Problem> {
    let status = match &view.status {
        Err(reason) => {
            return vec![Problem::fail(
                format!("cannot read the binding: {reason}"),
                "check the file permissions",
            )];
        }
        Ok(status) => status,
    };
    let binding = match &status.config {
        ConfigStatus::Unreadable { reason } => {
            return vec![Problem::fail(
                format!("Codex's config.toml is unreadable: {reason}"),
                format!(
                    "fix {} (Codex cannot start with it either)",
                    status.config_path.display()
                ),
            )];
        }
        ConfigStatus::Missing => None,
        ConfigStatus::Read(binding) => Some(binding),
    };
    let mut out = Vec::new();
    let Some(b) = binding.filter(|b| b.bound) else {
        if binding.is_some_and(|b| b.ancestor_binding) {
            out.push(Problem::warn(
                "config.toml carries the binding of codex-multi-auth (the TypeScript ancestor)",
                "`codexctl rotation bind-app` replaces it, `codexctl rotation unbind-app` removes it",
            ));
        }
        if matches!(status.state, StateStatus::Valid { .. }) {
            out.push(Problem::warn(
                "a bind state exists but config.toml no longer selects the router (edited by hand?)",
                "`codexctl rotation unbind-app` clears it, `codexctl rotation bind-app` binds again",
            ));
        }
        return out;
    };
    match daemon {
        DaemonSide::Down => out.push(Problem::fail(
            DOWN_WARNING,
            "run `codexctl daemon start`, or `codexctl rotation disable` to use OpenAI directly",
        )),
        DaemonSide::Up { port, key } => {
            if b.port != Some(*port) {
                let written = b
                    .port
                    .map_or_else(|| "no port".to_owned(), |p| format!("port {p}"));
                out.push(Problem::fail(
                    format!("Codex is bound to {written}, but the daemon listens on port {port}"),
                    REBIND,
                ));
            }
            if !b.key_matches(key) {
                out.push(Problem::fail(
                    "the client key in config.toml is not the daemon's: the router refuses Codex's requests (401)",
                    REBIND,
                ));
            }
        }
    }
    bypass_problems(b, &mut out);
    state_problems(status, &mut out);
    out
}

fn bypass_problems(b: &codex_router_codex_config::Binding, out: &mut Vec<Problem>) {
    let fix = |name: &str| {
        format!(
            "remove `model_provider` from [profiles.{name}] in Codex's config.toml, or do not use that profile"
        )
    };
    if let Some(active) = b.active_profile.as_ref().filter(|_| b.active_profile_bypasses()) {
        out.push(Problem::fail(
            format!(
                "the default profile \"{active}\" sets its own model_provider: Codex bypasses the router"
            ),
            fix(active),
        ));
    }
    let others: Vec<&String> = b
        .has_profiles_overriding
        .iter()
        .filter(|p| Some(*p) != b.active_profile.as_ref() || !b.active_profile_bypasses())
        .collect();
    if let Some(first) = others.first() {
        let names: Vec<&str> = others.iter().map(|s| s.as_str()).collect();
        out.push(Problem::warn(
            format!(
                "Codex run with --profile {} bypasses the router",
                names.join(" or ")
            ),
            fix(first),
        ));
    }
}

fn state_problems(status: &BindStatus, out: &mut Vec<Problem>) {
    match &status.state {
        StateStatus::Invalid { reason } => out.push(Problem::warn(
            format!(
                "the bind state is not trusted ({reason}): unbind-app will remove the binding surgically"
            ),
            format!("{REBIND} to record a fresh state"),
        )),
        StateStatus::Missing => out.push(Problem::warn(
            "config.toml is bound but there is no bind state: unbind-app will remove the binding surgically",
            format!("{REBIND} to record a state"),
        )),
        StateStatus::Valid { .. } => {}
    }
}

#[cfg(test)]
#[path = "problems_tests.rs"]
mod tests;
