//! What is wrong with a binding, each with its one-line fix. `rotation status` lists these and
//! `doctor` turns them into its binding check, so both say the same thing.

use codex_router_codex_config::{BindMode, BindStatus, Binding, ConfigStatus, LoginState, StateStatus};
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
    let status = match &view.read.status {
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
    let Some((b, mode)) = binding.and_then(|b| Some((b, b.mode()?))) else {
        if binding.is_some_and(|b| b.ancestor_binding) {
            out.push(Problem::warn(
                "config.toml carries the binding of codex-multi-auth (the TypeScript ancestor)",
                "`codexctl rotation bind-app` replaces it, `codexctl rotation unbind-app` removes it",
            ));
        }
        if matches!(status.state, StateStatus::Valid { .. }) {
            out.push(Problem::warn(
                "a bind state exists but config.toml no longer sends Codex to the router (edited by hand?)",
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
            if b.effective_port() != Some(*port) {
                let written = b
                    .effective_port()
                    .map_or_else(|| "no port".to_owned(), |p| format!("port {p}"));
                out.push(Problem::fail(
                    format!("Codex is bound to {written}, but the daemon listens on port {port}"),
                    rebind(mode),
                ));
            }
            if mode == BindMode::Provider && !b.key_matches(key) {
                out.push(Problem::fail(
                    "the client key in config.toml is not the daemon's: the router refuses Codex's requests (401)",
                    REBIND,
                ));
            }
        }
    }
    if mode == BindMode::Native {
        native_problems(view, b, &mut out);
    }
    bypass_problems(b, mode, &mut out);
    state_problems(status, mode, &mut out);
    out
}

fn rebind(mode: BindMode) -> String {
    match mode {
        BindMode::Provider => REBIND.to_owned(),
        BindMode::Native => "run `codexctl rotation bind-app --native`".to_owned(),
    }
}

/// What the native binding needs beyond the config (SPEC §7): Codex signed in with ChatGPT,
/// its token readable by the daemon, and `chatgpt_base_url` left at the real backend.
fn native_problems(view: &View, b: &Binding, out: &mut Vec<Problem>) {
    let keyring = b
        .auth_credentials_store
        .as_deref()
        .filter(|s| matches!(*s, "keyring" | "auto"));
    match &view.login {
        LoginState::ChatGpt => {}
        LoginState::Unreadable(reason) => out.push(Problem::fail(
            format!("Codex's auth.json cannot be read ({reason}): the router refuses Codex's bearer (401)"),
            "make $CODEX_HOME/auth.json readable by this user, or run `codex login` again",
        )),
        other => {
            let fix = match keyring {
                Some(store) => format!(
                    "Codex's config sets `cli_auth_credentials_store = \"{store}\"`, so its login may be in the \
                     OS keyring, which the router does not read: set it to \"file\", then run `codex login`"
                ),
                None => "run `codex login` and sign in with ChatGPT (or `codexctl rotation bind-app` for \
                         the provider binding, which needs no login)"
                    .to_owned(),
            };
            out.push(Problem::fail(
                format!(
                    "Codex is not signed in with ChatGPT ({}): natively bound, Codex cannot send a request",
                    other.describe()
                ),
                fix,
            ));
        }
    }
    if let Some(url) = b.chatgpt_base_url.as_deref().filter(|u| points_at_loopback(u)) {
        out.push(Problem::fail(
            format!(
                "chatgpt_base_url = \"{url}\" points at this machine: Codex ≥0.156 needs the real HTTPS backend \
                 there for login and workspace discovery"
            ),
            "remove `chatgpt_base_url` from Codex's config.toml (the native binding needs only openai_base_url)",
        ));
    }
}

/// A URL whose host is a loopback name: the router, or some other local proxy.
fn points_at_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost") || host.starts_with("127.") || host == "::1"
}

fn bypass_problems(b: &Binding, mode: BindMode, out: &mut Vec<Problem>) {
    let fix = |name: &str| match mode {
        BindMode::Provider => format!(
            "remove `model_provider` from [profiles.{name}] in Codex's config.toml, or do not use that profile"
        ),
        BindMode::Native => format!(
            "remove `model_provider` and `openai_base_url` from [profiles.{name}] in Codex's config.toml, or do \
             not use that profile"
        ),
    };
    let what = match mode {
        BindMode::Provider => "its own model_provider",
        BindMode::Native => "its own model_provider or openai_base_url",
    };
    if let Some(active) = b.active_profile.as_ref().filter(|_| b.active_profile_bypasses()) {
        out.push(Problem::fail(
            format!("the default profile \"{active}\" sets {what}: Codex bypasses the router"),
            fix(active),
        ));
    }
    let others: Vec<&String> = b
        .bypassing_profiles(mode)
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

fn state_problems(status: &BindStatus, mode: BindMode, out: &mut Vec<Problem>) {
    match &status.state {
        StateStatus::Invalid { reason } => out.push(Problem::warn(
            format!(
                "the bind state is not trusted ({reason}): unbind-app will remove the binding surgically"
            ),
            format!("{} to record a fresh state", rebind(mode)),
        )),
        StateStatus::Missing => out.push(Problem::warn(
            "config.toml is bound but there is no bind state: unbind-app will remove the binding surgically",
            format!("{} to record a state", rebind(mode)),
        )),
        // The daemon accepts Codex's own bearer only for a native bind state (SPEC §4).
        StateStatus::Valid { mode: recorded, .. } if *recorded != mode => out.push(Problem::fail(
            format!(
                "config.toml holds the {mode} binding but the bind state records the {recorded} binding: the \
                 router may refuse Codex's requests"
            ),
            format!("{} to record the binding in use", rebind(mode)),
        )),
        StateStatus::Valid { .. } => {}
    }
}

#[cfg(test)]
#[path = "problems_tests.rs"]
mod tests;
