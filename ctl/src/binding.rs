//! The Codex binding as `status` shows it (SPEC §7, §9).
//!
//! With the daemon up, its `status` snapshot carries the binding. With the daemon down,
//! `codexctl` reads `bind/state.json` itself, read-only, because that is exactly when the user
//! must hear that a bound Codex cannot work. The `rotation` commands own this file; this module
//! only reads the two fields it needs and tolerates anything else.

use std::io;
use std::path::Path;

use codex_router_store::RouterPaths;
use serde_json::{Value, json};

/// `{"bound", "config_path", "port"}` from `bind/state.json`, by the daemon's rule: bound only
/// with a port in 1..=65535 (a tampered state is not trusted, review #48). `codex_config` is
/// `$CODEX_HOME/config.toml`, shown when the state does not name the file.
pub fn local(paths: &RouterPaths, codex_config: Option<&Path>) -> Value {
    let path = paths.bind_dir.join("state.json");
    let fallback = json!(codex_config.map(|p| p.display().to_string()));
    let state = match std::fs::read(&path) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => None,
        Err(err) => {
            return json!({"bound": null, "config_path": fallback,
                          "error": format!("cannot read {}: {err}", path.display())});
        }
        Ok(bytes) => serde_json::from_slice::<Value>(&bytes).ok(),
    };
    let port = state
        .as_ref()
        .and_then(|s| s.get("port")?.as_u64())
        .filter(|p| (1..=65535).contains(p));
    match (state, port) {
        (Some(state), Some(port)) => json!({
            "bound": true,
            "config_path": state.get("config_path").filter(|v| v.is_string()).cloned().unwrap_or(fallback),
            "port": port,
        }),
        _ => json!({"bound": false, "config_path": fallback, "port": null}),
    }
}

/// One line for the human `status`. `daemon_up` adds the warning a bound-but-down setup needs.
pub fn describe(binding: &Value, daemon_up: bool) -> String {
    let config = binding
        .get("config_path")
        .and_then(Value::as_str)
        .unwrap_or("Codex's config.toml");
    match binding.get("bound").and_then(Value::as_bool) {
        Some(true) => {
            let port = binding.get("port").map_or_else(|| "?".to_owned(), show);
            let mut text = format!("bound: Codex sends its requests to port {port} ({config})");
            if binding.get("matches_daemon").and_then(Value::as_bool) == Some(false) {
                text.push_str("; the daemon listens on another port: run `codexctl rotation bind-app`");
            }
            if let Some(by) = binding
                .get("bypassed_by")
                .and_then(Value::as_array)
                .filter(|a| !a.is_empty())
            {
                let names: Vec<String> = by.iter().map(show).collect();
                text.push_str(&format!("; bypassed by {}", names.join(", ")));
            }
            if !daemon_up {
                text.push_str(
                    "\n         Codex requests fail until `codexctl daemon start` or `codexctl rotation disable`",
                );
            }
            text
        }
        Some(false) => {
            "not bound: Codex talks to OpenAI directly (`codexctl rotation enable` binds it)".to_owned()
        }
        None => {
            let why = binding.get("error").map_or_else(|| "unknown".to_owned(), show);
            format!("unknown: {why}")
        }
    }
}

/// A JSON scalar without quotes.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_state_or_reports_unbound() {
        let dir = tempfile::tempdir().unwrap();
        let paths = RouterPaths::from_home(dir.path().to_owned());
        assert_eq!(local(&paths, None)["bound"], false);
        std::fs::create_dir_all(&paths.bind_dir).unwrap();
        std::fs::write(
            paths.bind_dir.join("state.json"),
            r#"{"config_path":"/h/.codex/config.toml","port":2456}"#,
        )
        .unwrap();
        let b = local(&paths, None);
        assert_eq!(b["port"], 2456);
        let line = describe(&b, false);
        assert!(line.contains("port 2456"), "{line}");
        assert!(line.contains("codexctl daemon start"), "{line}");
        assert!(!describe(&b, true).contains("daemon start"));
        // review #48: a tampered port is not trusted.
        for bad in ["{", r#"{"port":0}"#, r#"{"port":70000}"#, r#"{"port":"2456"}"#] {
            std::fs::write(paths.bind_dir.join("state.json"), bad).unwrap();
            assert_eq!(local(&paths, None)["bound"], false, "{bad}");
        }
    }
}
