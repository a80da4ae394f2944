//! The native binding on disk (docs/binding.md): goldens, exact-bytes restore, the
//! user's own `openai_base_url` put back, provider ↔ native switches that leave no trace,
//! lost-state adoption, the login check, and the read API the daemon uses.
//!
//! Run with `UPDATE_GOLDEN=1` to rewrite `<name>.native.bound.toml` after an intended change,
//! then review the diff.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use std::fs;

use codex_router_codex_config::{
    BindError, BindMode, ConfigStatus, Note, StateStatus, UnbindOutcome, bind, bind_app, inspect,
    native_binding, status, strip_binding, unbind_app,
};
use common::*;

const URL: &str = "http://127.0.0.1:2456/backend-api/codex";

fn check_golden(expected_name: &str, actual: &str) {
    let path = fixtures_dir().join(expected_name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::write(&path, actual).unwrap();
        return;
    }
    let expected = fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{expected_name} missing: run with UPDATE_GOLDEN=1 and review it"));
    assert_eq!(actual, expected, "{expected_name} differs");
}

fn all_inputs() -> Vec<(String, Option<String>)> {
    let mut all: Vec<_> = fixture_names()
        .into_iter()
        .map(|n| {
            let text = read_fixture(&format!("{n}.toml")).map(|b| String::from_utf8(b).unwrap());
            (n, text)
        })
        .collect();
    all.push(("missing".to_owned(), None));
    all
}

// Comments, CRLF, an existing openai_base_url, profiles, a leading table, earlier bindings.
#[test]
fn native_bind_gives_the_expected_text_for_every_fixture() {
    for (name, text) in all_inputs() {
        let bound = bind(text.as_deref().unwrap_or(""), &native_spec()).unwrap();
        check_golden(&format!("{name}.native.bound.toml"), &bound);
        let found = inspect(&bound).unwrap();
        assert_eq!(found.mode(), Some(BindMode::Native), "{name}");
        assert_eq!(found.native_port, Some(PORT), "{name}");
        assert!(!found.provider_table && !found.ancestor_binding, "{name}");
        assert!(!bound.contains(KEY), "{name}: the native binding writes no key");
        assert_eq!(bind(&bound, &native_spec()).unwrap(), bound, "{name}: idempotent");
    }
}

#[test]
fn native_bind_app_then_unbind_app_restores_the_exact_bytes_and_mode() {
    for (name, text) in all_inputs() {
        let homes = signed_in_homes();
        if let Some(text) = &text {
            write_config(&homes, text.as_bytes(), 0o644);
        }
        let report = bind_app(&homes.config, &homes.bind_dir, &native_spec(), now()).unwrap();
        assert_eq!(report.mode, BindMode::Native);
        assert!(report.notes.contains(&Note::NativeKeeps) && report.notes.contains(&Note::RestartCodex));
        assert!(!report.notes.contains(&Note::DesktopAppLimits), "{name}");
        let expected = fs::read_to_string(fixtures_dir().join(format!("{name}.native.bound.toml"))).unwrap();
        assert_eq!(fs::read_to_string(&homes.config).unwrap(), expected, "{name}");
        #[cfg(unix)]
        assert_eq!(mode(&homes.config), 0o600, "{name}");
        unbind_app(&homes.config, &homes.bind_dir).unwrap();
        match &text {
            Some(text) => {
                let original = strip_binding(text).unwrap().text;
                assert_eq!(fs::read(&homes.config).unwrap(), original.as_bytes(), "{name}");
                #[cfg(unix)]
                assert_eq!(mode(&homes.config), 0o644, "{name}");
            }
            None => assert!(!homes.config.exists(), "{name}: created file not removed"),
        }
    }
}

#[test]
fn an_edited_native_binding_is_removed_surgically_and_the_users_openai_base_url_put_back() {
    let homes = signed_in_homes();
    let text = read_fixture("openai_base_url.toml").unwrap();
    write_config(&homes, &text, 0o600);
    bind_app(&homes.config, &homes.bind_dir, &native_spec(), now()).unwrap();
    let bound = fs::read_to_string(&homes.config).unwrap();
    assert!(bound.contains(&format!("openai_base_url = \"{URL}\" # corp")));
    fs::write(&homes.config, format!("{bound}# edited later\n")).unwrap();

    let report = unbind_app(&homes.config, &homes.bind_dir).unwrap();
    assert_eq!(report.outcome, UnbindOutcome::Surgical);
    let expected = format!("{}# edited later\n", String::from_utf8(text).unwrap());
    assert_eq!(fs::read_to_string(&homes.config).unwrap(), expected);
}

#[test]
fn switching_provider_to_native_to_provider_leaves_no_trace_and_unbind_restores_the_bytes() {
    let homes = signed_in_homes();
    let text =
        "model_provider = \"openai\" # mine\nopenai_base_url = \"https://gw.example/v1\"\n[tui]\nx = 1\n";
    write_config(&homes, text.as_bytes(), 0o644);

    bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
    let report = bind_app(&homes.config, &homes.bind_dir, &native_spec(), now()).unwrap();
    assert!(report.changed && !report.first_bind);
    assert!(report.notes.contains(&Note::Switched {
        from: BindMode::Provider,
        to: BindMode::Native
    }));
    let native = fs::read_to_string(&homes.config).unwrap();
    assert_eq!(
        native,
        bind(text, &native_spec()).unwrap(),
        "as if bound natively at once"
    );
    assert!(!native.contains(KEY) && !native.contains("codex-router"));
    assert_eq!(native_binding(&homes.bind_dir).unwrap().port, PORT);

    bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
    let provider = fs::read_to_string(&homes.config).unwrap();
    assert_eq!(
        provider,
        bind(text, &spec()).unwrap(),
        "as if bound by provider at once"
    );
    assert!(provider.contains("openai_base_url = \"https://gw.example/v1\""));
    assert_eq!(native_binding(&homes.bind_dir), None);

    bind_app(&homes.config, &homes.bind_dir, &native_spec(), now()).unwrap();
    let report = unbind_app(&homes.config, &homes.bind_dir).unwrap();
    assert_eq!(report.outcome, UnbindOutcome::Restored);
    assert_eq!(fs::read_to_string(&homes.config).unwrap(), text);
    #[cfg(unix)]
    assert_eq!(mode(&homes.config), 0o644);
}

#[test]
fn a_native_bind_is_refused_when_codex_is_not_signed_in_with_chatgpt_and_nothing_is_written() {
    let homes = homes();
    let text = "cli_auth_credentials_store = \"keyring\"\nmodel = \"x\"\n";
    write_config(&homes, text.as_bytes(), 0o644);
    let err = bind_app(&homes.config, &homes.bind_dir, &native_spec(), now()).unwrap_err();
    assert!(matches!(err, BindError::NotSignedIn { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("codex login") && msg.contains("cli_auth_credentials_store"),
        "{msg}"
    );
    assert_eq!(fs::read_to_string(&homes.config).unwrap(), text);
    assert!(!homes.bind_dir.exists(), "not even bind/ was created");

    // An API-key login is refused too; the provider binding does not need a login at all.
    fs::write(
        homes.config.with_file_name("auth.json"),
        r#"{"OPENAI_API_KEY":"sk-1"}"#,
    )
    .unwrap();
    let err = bind_app(&homes.config, &homes.bind_dir, &native_spec(), now()).unwrap_err();
    assert!(err.to_string().contains("API key"), "{err}");
    bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
}

// Lost state: a router openai_base_url without bind state is adopted minus that key.
#[test]
fn a_native_binding_without_state_is_adopted_minus_the_key() {
    let homes = signed_in_homes();
    let original = "model = \"x\"\n\n[tui]\nx = 1\n";
    let lost = bind(original, &native_spec()).unwrap().replace("2456", "1111");
    write_config(&homes, lost.as_bytes(), 0o600);

    let report = bind_app(&homes.config, &homes.bind_dir, &native_spec(), now()).unwrap();
    assert!(report.first_bind);
    assert!(report.notes.contains(&Note::AdoptedBinding {
        providers: vec!["openai_base_url".to_owned()]
    }));
    let saved = fs::read_to_string(homes.bind_dir.join("config.toml.orig")).unwrap();
    assert_eq!(saved, original);
    unbind_app(&homes.config, &homes.bind_dir).unwrap();
    assert_eq!(fs::read_to_string(&homes.config).unwrap(), original);

    // Unbind with no state at all removes it too.
    write_config(&homes, lost.as_bytes(), 0o600);
    let report = unbind_app(&homes.config, &homes.bind_dir).unwrap();
    assert_eq!(report.outcome, UnbindOutcome::Surgical);
    assert_eq!(fs::read_to_string(&homes.config).unwrap(), original);
}

#[test]
fn native_binding_is_some_only_for_a_valid_native_state() {
    let homes = signed_in_homes();
    assert_eq!(native_binding(&homes.bind_dir), None);
    bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
    assert_eq!(native_binding(&homes.bind_dir), None, "provider binding");

    bind_app(&homes.config, &homes.bind_dir, &native_spec(), now()).unwrap();
    let native = native_binding(&homes.bind_dir).unwrap();
    assert_eq!(native.config_path, homes.config);
    assert_eq!(native.codex_home, homes.config.parent().unwrap());
    assert_eq!(native.port, PORT);

    // A tampered original makes the state untrusted: not natively bound.
    fs::write(homes.bind_dir.join("config.toml.orig"), "tampered").unwrap();
    assert_eq!(native_binding(&homes.bind_dir), None);
}

#[test]
fn status_reports_the_mode_codex_will_actually_use() {
    let homes = signed_in_homes();
    write_config(&homes, b"model = \"x\"\n", 0o644);
    assert_eq!(status(&homes.config, &homes.bind_dir).unwrap().mode, None);

    bind_app(&homes.config, &homes.bind_dir, &native_spec(), now()).unwrap();
    let s = status(&homes.config, &homes.bind_dir).unwrap();
    assert_eq!(s.mode, Some(BindMode::Native));
    assert!(matches!(
        s.state,
        StateStatus::Valid {
            mode: BindMode::Native,
            ..
        }
    ));
    let ConfigStatus::Read(found) = &s.config else {
        panic!("{s:?}")
    };
    assert_eq!(found.effective_port(), Some(PORT));

    // The state says native, but a hand-edited model_provider leaves the built-in provider:
    // Codex does not use the router, and status says so.
    let text = fs::read_to_string(&homes.config).unwrap();
    fs::write(&homes.config, format!("model_provider = \"ollama\"\n{text}")).unwrap();
    assert_eq!(status(&homes.config, &homes.bind_dir).unwrap().mode, None);

    bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
    assert_eq!(
        status(&homes.config, &homes.bind_dir).unwrap().mode,
        Some(BindMode::Provider)
    );
}

#[test]
fn profiles_that_bypass_the_native_binding_are_named() {
    let homes = signed_in_homes();
    write_config(&homes, &read_fixture("profiles.toml").unwrap(), 0o644);
    let report = bind_app(&homes.config, &homes.bind_dir, &native_spec(), now()).unwrap();
    assert!(
        report.notes.contains(&Note::ProfilesBypass {
            profiles: vec!["local".to_owned(), "gateway".to_owned()],
            active: None,
        }),
        "{:?}",
        report.notes
    );
}
