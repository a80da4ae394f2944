//! `rotation bind-app` → Codex's config.toml carries the running daemon's real port and key →
//! `rotation unbind-app` restores the original bytes exactly (SPEC §7), end to end. A daemon
//! that cannot start means no bind and an untouched file (never a guessed or zero port).

use codex_router_e2e::Upstream;
use serde_json::Value;

use crate::{client_key, codex_config, daemon_port, home_with_account, ok, show, stdout, write_user_config};

#[test]
fn bind_app_writes_the_daemons_port_and_key_and_unbind_restores_the_bytes() {
    let upstream = Upstream::start();
    let home = home_with_account(&upstream);
    let original = write_user_config(&home);
    let path = codex_config(&home);

    // No daemon yet: bind-app starts it (as `daemon start` would), then binds.
    let out = ok(&home, &["rotation", "bind-app"]);
    let text = stdout(&out);
    let port = daemon_port(&home);
    let key = client_key(&home);
    assert_ne!(port, 0, "bind never writes port 0");
    assert!(
        text.contains(&format!("http://127.0.0.1:{port}/backend-api/codex")),
        "{}",
        show(&out)
    );
    for note in ["0644", "model picker", "restart running Codex sessions"] {
        assert!(text.contains(note), "missing note {note:?}: {}", show(&out));
    }
    assert!(
        !text.contains(&key) && !crate::stderr(&out).contains(&key),
        "the key is never printed"
    );

    let bound = std::fs::read_to_string(&path).unwrap();
    assert!(bound.starts_with("# my Codex settings\n"), "{bound}");
    assert!(bound.contains("model_provider = \"codex-router\""), "{bound}");
    assert!(
        bound.contains(&format!(
            "base_url = \"http://127.0.0.1:{port}/backend-api/codex\""
        )),
        "{bound}"
    );
    assert!(
        bound.contains(&format!("experimental_bearer_token = \"{key}\"")),
        "{bound}"
    );
    assert!(
        !bound.contains("remote_compaction"),
        "portable compaction by default: {bound}"
    );
    #[cfg(unix)]
    assert_eq!(crate::mode(&path), 0o600, "it holds the key now");

    // The CLI and the daemon agree that it is bound to this daemon.
    let v: Value = serde_json::from_slice(&ok(&home, &["rotation", "status", "--json"]).stdout).unwrap();
    assert_eq!(
        (v["bound"].clone(), v["port"].clone()),
        (Value::Bool(true), Value::from(port)),
        "{v:#}"
    );
    assert_eq!(v["matches_daemon"], true, "{v:#}");
    assert_eq!(v["key_matches"], true, "{v:#}");
    assert_eq!(v["problems"], serde_json::json!([]), "{v:#}");
    assert!(!v.to_string().contains(&key));
    let s: Value = serde_json::from_slice(&ok(&home, &["status", "--json"]).stdout).unwrap();
    assert_eq!(s["binding"]["bound"], true, "{s:#}");
    assert_eq!(s["binding"]["matches_daemon"], true, "{s:#}");
    assert_eq!(s["binding"]["state"], "valid", "{s:#}");

    // Idempotent: same bytes, nothing written.
    let again = ok(&home, &["rotation", "bind-app"]);
    assert!(stdout(&again).contains("already bound"), "{}", show(&again));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), bound);

    let out = ok(&home, &["rotation", "unbind-app"]);
    assert!(stdout(&out).contains("back as it was"), "{}", show(&out));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        original,
        "the original bytes exactly"
    );
    #[cfg(unix)]
    assert_eq!(crate::mode(&path), 0o644, "the original mode is back");
    assert!(!home.paths.bind_dir.join("state.json").exists());
    assert!(!home.paths.bind_dir.join("config.toml.orig").exists());
}

#[test]
fn remote_compaction_is_opt_in_and_said_what_it_costs() {
    let upstream = Upstream::start();
    let home = home_with_account(&upstream);
    let out = ok(&home, &["rotation", "bind-app", "--remote-compaction", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", show(&out)));
    assert_eq!(v["remote_compaction"], true);
    assert_eq!(v["first_bind"], true);
    let notes = v["notes"].to_string();
    assert!(notes.contains("remote compaction is on"), "{v:#}");
    assert!(notes.contains("created it"), "there was no config.toml: {v:#}");
    let bound = std::fs::read_to_string(codex_config(&home)).unwrap();
    assert!(bound.contains("remote_compaction = \"v2\""), "{bound}");
    // There was no file before: unbind removes it.
    ok(&home, &["rotation", "unbind-app"]);
    assert!(!codex_config(&home).exists());
}

#[test]
fn bind_app_without_a_daemon_that_can_start_leaves_the_file_alone() {
    // Never a guessed or zero port; the file is not touched.
    let upstream = Upstream::start();
    let home = home_with_account(&upstream);
    home.write_config("[proxy]\nlisten = \"not an address\"\n");
    let original = write_user_config(&home);
    let out = home.run_ctl(&["rotation", "bind-app"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let err = crate::stderr(&out);
    assert!(err.contains("config.toml is unchanged"), "{}", show(&out));
    assert_eq!(std::fs::read(codex_config(&home)).unwrap(), original);
    assert!(!home.paths.bind_dir.join("state.json").exists());
    assert!(!home.paths.bind_dir.join("config.toml.orig").exists());
}
