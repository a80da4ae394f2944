use codex_router_codex_config::{BindSpec, bind_app};
use std::path::PathBuf;

use codex_router_core::Timestamp;
use serde_json::Value;

use super::*;

const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn spec(port: u16) -> BindSpec {
    BindSpec {
        port,
        client_key: Secret::new(KEY),
        remote_compaction: false,
        mode: codex_router_codex_config::BindMode::Provider,
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    config: PathBuf,
    bind_dir: PathBuf,
}

fn setup(config_text: Option<&str>) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("codex").join("config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    if let Some(text) = config_text {
        std::fs::write(&config, text).unwrap();
    }
    let bind_dir = dir.path().join("router").join("bind");
    Setup {
        config,
        bind_dir,
        _dir: dir,
    }
}

#[test]
fn unbound_missing_config_and_no_bind_dir_is_read_without_writing() {
    let s = setup(None);
    let view = View::read_at(Some(&s.config), &s.bind_dir);
    assert!(!view.bound());
    let v = view.to_json(Some(&DaemonSide::Down));
    assert_eq!(v["bound"], false);
    assert_eq!(v["config"]["state"], "missing");
    assert_eq!(v["bind_state"]["state"], "missing");
    // Status is read-only and changes no shared state: reading created nothing, not even bind/
    // or a lock file.
    assert!(!s.bind_dir.exists());
    assert!(!s.config.exists());
    assert!(describe(&view.view(&DaemonSide::Down), false).starts_with("not bound"));
}

#[test]
fn bound_config_is_compared_with_the_daemon_port_and_key() {
    let s = setup(Some("model = \"gpt-5\"\n"));
    bind_app(
        &s.config,
        &s.bind_dir,
        &spec(2456),
        Timestamp::from_unix_secs(1_789_000_000),
    )
    .unwrap();
    let view = View::read_at(Some(&s.config), &s.bind_dir);
    assert!(view.bound());

    let same = view.to_json(Some(&DaemonSide::Up {
        port: 2456,
        key: Secret::new(KEY),
    }));
    assert_eq!(same["port"], 2456);
    assert_eq!(same["daemon_port"], 2456);
    assert_eq!(same["matches_daemon"], true);
    assert_eq!(same["key_matches"], true);
    assert_eq!(same["bind_state"]["state"], "valid");
    assert_eq!(same["bind_state"]["edited_since_bind"], false);
    // The key itself never appears in what codexctl prints.
    assert!(!same.to_string().contains(KEY));

    let moved = view.to_json(Some(&DaemonSide::Up {
        port: 3000,
        key: Secret::new(KEY),
    }));
    assert_eq!(moved["matches_daemon"], false);
    let moved = view.view(&DaemonSide::Up {
        port: 3000,
        key: Secret::new(KEY),
    });
    assert!(describe(&moved, true).contains("listens on another port"));

    let rekeyed = view.to_json(Some(&DaemonSide::Up {
        port: 2456,
        key: Secret::new("f".repeat(64)),
    }));
    assert_eq!(rekeyed["key_matches"], false);
    assert_eq!(rekeyed["matches_daemon"], false);
    let rekeyed = view.view(&DaemonSide::Up {
        port: 2456,
        key: Secret::new("f".repeat(64)),
    });
    assert!(describe(&rekeyed, true).contains("not the daemon's"));

    // Bound with the daemon down: the line says that Codex requests fail, and how to fix it.
    let line = describe_down(&view.view(&DaemonSide::Down));
    assert!(line.contains("Codex requests fail"), "{line}");
    assert!(line.contains("codexctl daemon start") && line.contains("codexctl rotation disable"));
}

#[test]
fn a_default_profile_with_its_own_provider_is_listed_first() {
    let text =
        "profile = \"b\"\n[profiles.a]\nmodel_provider = \"openai\"\n[profiles.b]\nmodel_provider = \"x\"\n";
    let s = setup(Some(text));
    bind_app(
        &s.config,
        &s.bind_dir,
        &spec(2456),
        Timestamp::from_unix_secs(1_789_000_000),
    )
    .unwrap();
    let v = View::read_at(Some(&s.config), &s.bind_dir).to_json(None);
    assert_eq!(v["bypassed_by"], json!(["profiles.b", "profiles.a"]));
    assert_eq!(v["active_profile"], "b");
    assert_eq!(v["matches_daemon"], Value::Null, "no daemon consulted");
}

#[test]
fn unreadable_config_and_tampered_state_are_reported_not_trusted() {
    let s = setup(Some("model = \n"));
    let view = View::read_at(Some(&s.config), &s.bind_dir);
    let v = view.to_json(None);
    assert_eq!(v["bound"], Value::Null);
    assert_eq!(v["config"]["state"], "unreadable");
    assert!(describe(&view.view(&DaemonSide::Down), true).starts_with("unknown: "));

    // A persisted port is validated and a tampered state rejected: port 0 is not trusted.
    let s = setup(Some("model = \"gpt-5\"\n"));
    std::fs::create_dir_all(&s.bind_dir).unwrap();
    std::fs::write(s.bind_dir.join("state.json"), r#"{"port":0}"#).unwrap();
    let v = View::read_at(Some(&s.config), &s.bind_dir).to_json(None);
    assert_eq!(v["bind_state"]["state"], "invalid");
    assert_eq!(v["bound"], false);
}

#[test]
fn no_codex_home_is_an_explained_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let view = View::read_at(None, dir.path());
    assert_eq!(view.to_json(None)["bound"], Value::Null);
    let line = describe(&view.view(&DaemonSide::Down), true);
    assert!(line.contains("CODEX_HOME"), "{line}");
}

#[test]
fn a_native_binding_reports_its_mode_login_and_what_codex_will_do() {
    let s = setup(Some("model = \"gpt-5\"\n"));
    std::fs::write(
        s.config.with_file_name("auth.json"),
        r#"{"tokens":{"access_token":"at-secret-1"}}"#,
    )
    .unwrap();
    let native = BindSpec {
        mode: codex_router_codex_config::BindMode::Native,
        ..spec(2456)
    };
    bind_app(
        &s.config,
        &s.bind_dir,
        &native,
        Timestamp::from_unix_secs(1_789_000_000),
    )
    .unwrap();
    let view = View::read_at(Some(&s.config), &s.bind_dir);
    assert!(view.bound());
    let v = view.to_json(Some(&DaemonSide::Up {
        port: 2456,
        key: Secret::new(KEY),
    }));
    assert_eq!(v["mode"], "native");
    assert_eq!(v["bound"], true);
    assert_eq!(v["port"], 2456);
    assert_eq!(v["matches_daemon"], true);
    assert_eq!(v["key_matches"], Value::Null, "the native binding has no key");
    assert_eq!(v["native"]["signed_in"], true);
    assert_eq!(v["native"]["login"], "chatgpt");
    assert_eq!(
        v["native"]["openai_base_url"],
        "http://127.0.0.1:2456/backend-api/codex"
    );
    assert!(v["native"]["codex_will"].as_str().unwrap().contains("WebSocket"));
    assert_eq!(v["bind_state"]["mode"], "native");
    assert!(!v.to_string().contains("at-secret-1"), "the token is never shown");
    let line = describe(
        &view.view(&DaemonSide::Up {
            port: 2456,
            key: Secret::new(KEY),
        }),
        true,
    );
    assert!(
        line.starts_with("bound natively") && line.contains("own ChatGPT login"),
        "{line}"
    );

    // The provider binding reports "provider" and no native object.
    bind_app(
        &s.config,
        &s.bind_dir,
        &spec(2456),
        Timestamp::from_unix_secs(1_789_000_001),
    )
    .unwrap();
    let v = View::read_at(Some(&s.config), &s.bind_dir).to_json(None);
    assert_eq!(v["mode"], "provider");
    assert_eq!(v["native"], Value::Null);
}
