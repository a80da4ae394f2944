//! The Codex binding as `status` shows it (SPEC §7, §9).
//!
//! With the daemon up, its `status` snapshot carries the binding. With the daemon down,
//! `codexctl` reads `bind/state.json` itself, read-only, because that is exactly when the user
//! must hear that a bound Codex cannot work. The `rotation` commands own this file; this module
//! only reads the two fields it needs and tolerates anything else.

use std::io;

use codex_router_store::RouterPaths;
use serde_json::{Value, json};

/// `{"bound", "config_path", "port"}` from `bind/state.json`; `bound` is `null` with an `error`
/// when the file cannot be read.
pub fn local(paths: &RouterPaths) -> Value {
    let path = paths.bind_dir.join("state.json");
    match std::fs::read(&path) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            json!({"bound": false, "config_path": null, "port": null})
        }
        Err(err) => json!({"bound": null, "error": format!("cannot read {}: {err}", path.display())}),
        Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
            Ok(state) => json!({
                "bound": true,
                "config_path": state.get("config_path").cloned().unwrap_or(Value::Null),
                "port": state.get("port").cloned().unwrap_or(Value::Null),
            }),
            Err(err) => json!({"bound": null, "error": format!("{} is unreadable: {err}", path.display())}),
        },
    }
}

/// One line for the human `status`. `daemon_up` adds the warning a bound-but-down setup needs.
pub fn describe(binding: &Value, daemon_up: bool) -> String {
    let config = binding.get("config_path").and_then(Value::as_str).unwrap_or("Codex's config.toml");
    match binding.get("bound").and_then(Value::as_bool) {
        Some(true) => {
            let port = binding.get("port").map_or_else(|| "?".to_owned(), show);
            let mut text = format!("bound: Codex sends its requests to port {port} ({config})");
            if binding.get("matches_daemon").and_then(Value::as_bool) == Some(false) {
                text.push_str("; the daemon listens on another port: run `codexctl rotation bind-app`");
            }
            if let Some(by) = binding.get("bypassed_by").and_then(Value::as_array).filter(|a| !a.is_empty()) {
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
        Some(false) => "not bound: Codex talks to OpenAI directly (`codexctl rotation enable` binds it)".to_owned(),
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
        assert_eq!(local(&paths)["bound"], false);
        std::fs::create_dir_all(&paths.bind_dir).unwrap();
        std::fs::write(
            paths.bind_dir.join("state.json"),
            r#"{"config_path":"/h/.codex/config.toml","port":2456}"#,
        )
        .unwrap();
        let b = local(&paths);
        assert_eq!(b["port"], 2456);
        let line = describe(&b, false);
        assert!(line.contains("port 2456"), "{line}");
        assert!(line.contains("codexctl daemon start"), "{line}");
        assert!(!describe(&b, true).contains("daemon start"));
        std::fs::write(paths.bind_dir.join("state.json"), "{").unwrap();
        assert!(describe(&local(&paths), false).starts_with("unknown"));
    }
}
