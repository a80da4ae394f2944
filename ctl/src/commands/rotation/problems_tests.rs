use std::path::{Path, PathBuf};

use codex_router_codex_config::{BindSpec, bind_app};
use codex_router_core::{Secret, Timestamp};

use super::*;

const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn bound(dir: &Path, text: &str) -> (PathBuf, PathBuf) {
    let config = dir.join("config.toml");
    let bind_dir = dir.join("bind");
    std::fs::write(&config, text).unwrap();
    let spec = BindSpec {
        port: 2456,
        client_key: Secret::new(KEY),
        remote_compaction: false,
        mode: codex_router_codex_config::BindMode::Provider,
    };
    bind_app(
        &config,
        &bind_dir,
        &spec,
        Timestamp::from_unix_secs(1_789_000_000),
    )
    .unwrap();
    (config, bind_dir)
}

fn up(port: u16, key: &str) -> DaemonSide {
    DaemonSide::Up {
        port,
        key: Secret::new(key),
    }
}

fn messages(p: &[Problem]) -> Vec<(Severity, String)> {
    p.iter().map(|p| (p.severity, p.message.clone())).collect()
}

#[test]
fn a_consistent_binding_has_no_problem() {
    let dir = tempfile::tempdir().unwrap();
    let (config, bind_dir) = bound(dir.path(), "model = \"gpt-5\"\n");
    let view = View::read_at(Some(&config), &bind_dir);
    assert_eq!(problems(&view, &up(2456, KEY)), vec![]);
}

#[test]
fn bound_and_down_fails_and_names_both_fixes() {
    // Bound but daemon down: Codex requests fail, and both fixes are named (SPEC §7).
    let dir = tempfile::tempdir().unwrap();
    let (config, bind_dir) = bound(dir.path(), "");
    let p = problems(&View::read_at(Some(&config), &bind_dir), &DaemonSide::Down);
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].severity, Severity::Fail);
    assert!(p[0].message.contains("Codex requests fail"), "{p:?}");
    assert!(p[0].fix.contains("codexctl daemon start") && p[0].fix.contains("codexctl rotation disable"));
}

#[test]
fn wrong_port_wrong_key_and_bypassing_profiles() {
    let dir = tempfile::tempdir().unwrap();
    let text =
        "profile = \"w\"\n[profiles.w]\nmodel_provider = \"openai\"\n[profiles.o]\nmodel_provider = \"x\"\n";
    let (config, bind_dir) = bound(dir.path(), text);
    let view = View::read_at(Some(&config), &bind_dir);
    let p = problems(&view, &up(3000, &"f".repeat(64)));
    let m = messages(&p);
    assert_eq!(m.len(), 4, "{m:?}");
    assert!(
        m[0].1.contains("port 2456") && m[0].1.contains("port 3000"),
        "{m:?}"
    );
    assert!(m[1].1.contains("client key"), "{m:?}");
    assert_eq!(m[2].0, Severity::Fail);
    assert!(m[2].1.contains("default profile \"w\""), "{m:?}");
    assert_eq!(m[3].0, Severity::Warn);
    assert!(m[3].1.contains("--profile o bypasses"), "{m:?}");
    assert!(p.iter().all(|p| !p.fix.is_empty()));
}

#[test]
fn lost_or_damaged_state_and_foreign_binding_are_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let (config, bind_dir) = bound(dir.path(), "");
    std::fs::remove_file(bind_dir.join("state.json")).unwrap();
    let m = messages(&problems(
        &View::read_at(Some(&config), &bind_dir),
        &up(2456, KEY),
    ));
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].0 == Severity::Warn && m[0].1.contains("no bind state"),
        "{m:?}"
    );

    std::fs::write(bind_dir.join("state.json"), "{broken").unwrap();
    let m = messages(&problems(
        &View::read_at(Some(&config), &bind_dir),
        &up(2456, KEY),
    ));
    assert!(
        m[0].0 == Severity::Warn && m[0].1.contains("not trusted"),
        "{m:?}"
    );

    let other = tempfile::tempdir().unwrap();
    let config = other.path().join("config.toml");
    let text = "model_provider = \"codex-multi-auth-runtime-proxy\"\n\
                [model_providers.codex-multi-auth-runtime-proxy]\nbase_url = \"http://127.0.0.1:1/v1\"\n";
    std::fs::write(&config, text).unwrap();
    let m = messages(&problems(
        &View::read_at(Some(&config), &other.path().join("bind")),
        &DaemonSide::Down,
    ));
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(m[0].1.contains("codex-multi-auth"), "{m:?}");
}

/// A natively bound Codex home in `dir`, signed in with ChatGPT when `signed_in`.
fn native(dir: &Path, text: &str, signed_in: bool) -> (PathBuf, PathBuf) {
    let config = dir.join("config.toml");
    let bind_dir = dir.join("bind");
    std::fs::write(&config, text).unwrap();
    std::fs::write(
        dir.join("auth.json"),
        r#"{"tokens":{"access_token":"at-1","refresh_token":"r","id_token":"i"}}"#,
    )
    .unwrap();
    let spec = BindSpec {
        port: 2456,
        client_key: Secret::new(KEY),
        remote_compaction: false,
        mode: codex_router_codex_config::BindMode::Native,
    };
    bind_app(
        &config,
        &bind_dir,
        &spec,
        Timestamp::from_unix_secs(1_789_000_000),
    )
    .unwrap();
    if !signed_in {
        std::fs::write(dir.join("auth.json"), r#"{"OPENAI_API_KEY":"sk-1"}"#).unwrap();
    }
    (config, bind_dir)
}

#[test]
fn a_consistent_native_binding_has_no_problem_whatever_the_daemons_key() {
    let dir = tempfile::tempdir().unwrap();
    let (config, bind_dir) = native(dir.path(), "model = \"gpt-5\"\n", true);
    let view = View::read_at(Some(&config), &bind_dir);
    assert_eq!(problems(&view, &up(2456, &"f".repeat(64))), vec![]);
    let p = problems(&view, &up(3000, KEY));
    assert!(p[0].message.contains("daemon listens on port 3000"), "{p:?}");
    assert!(p[0].fix.contains("bind-app --native"), "{p:?}");
}

#[test]
fn natively_bound_and_signed_out_fails_and_says_to_run_codex_login() {
    let dir = tempfile::tempdir().unwrap();
    let (config, bind_dir) = native(dir.path(), "", false);
    let p = problems(&View::read_at(Some(&config), &bind_dir), &up(2456, KEY));
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].severity, Severity::Fail);
    assert!(p[0].message.contains("not signed in with ChatGPT"), "{p:?}");
    assert!(p[0].fix.contains("codex login"), "{p:?}");
}

#[test]
fn natively_bound_with_a_keyring_login_store_names_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let (config, bind_dir) = native(dir.path(), "cli_auth_credentials_store = \"auto\"\n", true);
    std::fs::remove_file(dir.path().join("auth.json")).unwrap();
    let p = problems(&View::read_at(Some(&config), &bind_dir), &up(2456, KEY));
    assert!(
        p[0].fix.contains("cli_auth_credentials_store = \"auto\""),
        "{p:?}"
    );
}

#[test]
fn a_chatgpt_base_url_on_this_machine_fails_the_native_binding() {
    let dir = tempfile::tempdir().unwrap();
    let text = "chatgpt_base_url = \"http://127.0.0.1:2456/backend-api\"\n";
    let (config, bind_dir) = native(dir.path(), text, true);
    let p = problems(&View::read_at(Some(&config), &bind_dir), &up(2456, KEY));
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].message.contains("chatgpt_base_url") && p[0].fix.contains("remove"),
        "{p:?}"
    );
    for (url, local) in [
        ("https://chatgpt.com/backend-api/", false),
        ("http://localhost:9/x", true),
        ("http://[::1]:9/x", true),
        ("https://u@127.0.0.2/x", true),
    ] {
        assert_eq!(points_at_loopback(url), local, "{url}");
    }
}

#[test]
fn profiles_with_their_own_openai_base_url_or_provider_bypass_the_native_binding() {
    let dir = tempfile::tempdir().unwrap();
    let text = "profile = \"gw\"\n[profiles.gw]\nopenai_base_url = \"https://gw.example/v1\"\n\
                [profiles.o]\nmodel_provider = \"ollama\"\n[profiles.fine]\nmodel_provider = \"openai\"\n";
    let (config, bind_dir) = native(dir.path(), text, true);
    let p = problems(&View::read_at(Some(&config), &bind_dir), &up(2456, KEY));
    assert_eq!(
        messages(&p),
        vec![
            (
                Severity::Fail,
                "the default profile \"gw\" sets its own model_provider or openai_base_url: Codex bypasses the \
                 router"
                    .to_owned()
            ),
            (Severity::Warn, "Codex run with --profile o bypasses the router".to_owned()),
        ]
    );
    assert!(p[0].fix.contains("openai_base_url"), "{p:?}");
}

#[test]
fn a_state_recording_the_other_mode_is_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let (config, bind_dir) = native(dir.path(), "", true);
    // A provider state next to a natively bound file (a hand edit, an older codexctl).
    let state = bind_dir.join("state.json");
    let json = std::fs::read_to_string(&state)
        .unwrap()
        .replace("\"native\"", "\"provider\"");
    std::fs::write(&state, json).unwrap();
    let p = problems(&View::read_at(Some(&config), &bind_dir), &up(2456, KEY));
    assert!(
        p.iter()
            .any(|p| p.message.contains("records the provider binding")),
        "{p:?}"
    );
}
