//! The `binding` object of `status --json`: is Codex's `config.toml` pointed at this daemon?
//!
//! For now this only reads `bind/state.json` (SPEC §3), which `codexctl rotation bind-app`
//! writes; the real binder, which also inspects `config.toml` and Codex profiles, replaces this
//! one function later. A state file that cannot be read or holds a port outside 1..65535 is
//! not trusted (review #48), so the binding is reported as absent.

use std::path::Path;

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Binding {
    pub bound: bool,
    /// The Codex `config.toml` the binding edits (from the bind state, else `$CODEX_HOME`'s).
    pub config_path: Option<String>,
    /// The port written into Codex's config, if bound.
    pub port: Option<u16>,
    pub matches_daemon: bool,
    /// Codex profiles or overrides that would send traffic elsewhere (not inspected yet).
    pub bypassed_by: Vec<String>,
}

/// Reads `state_path` (`bind/state.json`) and compares its port with `daemon_port`.
pub fn read(state_path: &Path, codex_config: Option<&Path>, daemon_port: u16) -> Binding {
    let state = std::fs::read(state_path)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok());
    let port = state
        .as_ref()
        .and_then(|s| s.get("port")?.as_u64())
        .and_then(|p| u16::try_from(p).ok())
        .filter(|p| *p != 0);
    let bound = port.is_some();
    let config_path = state
        .as_ref()
        .filter(|_| bound)
        .and_then(|s| s.get("config_path")?.as_str().map(str::to_owned))
        .or_else(|| codex_config.map(|p| p.display().to_string()));
    Binding {
        bound,
        config_path,
        port,
        matches_daemon: port == Some(daemon_port),
        bypassed_by: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_valid_and_tampered_state() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let codex = dir.path().join("codex").join("config.toml");
        let b = read(&state, Some(&codex), 2456);
        assert!(!b.bound && !b.matches_daemon && b.port.is_none());
        assert_eq!(b.config_path, Some(codex.display().to_string()));

        std::fs::write(
            &state,
            r#"{"config_path":"/x/config.toml","port":2456,"original_existed":true}"#,
        )
        .unwrap();
        let b = read(&state, Some(&codex), 2456);
        assert_eq!((b.bound, b.port, b.matches_daemon), (true, Some(2456), true));
        assert_eq!(b.config_path.as_deref(), Some("/x/config.toml"));
        assert!(!read(&state, None, 3000).matches_daemon);

        // review #48: a tampered port is not trusted.
        for bad in [
            r#"{"port":0}"#,
            r#"{"port":70000}"#,
            r#"{"port":"2456"}"#,
            "{half",
        ] {
            std::fs::write(&state, bad).unwrap();
            assert!(!read(&state, None, 2456).bound, "{bad}");
        }
    }
}
