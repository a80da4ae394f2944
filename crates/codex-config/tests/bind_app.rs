//! `bind_app`/`unbind_app` on real files: modes, creation, idempotence, user edits, status.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use std::fs;

use codex_router_codex_config::{
    BindError, ConfigStatus, Note, StateStatus, UnbindOutcome, bind_app, sha256_hex, status, strip_binding,
    unbind_app,
};
use common::*;

fn fixture(name: &str) -> Vec<u8> {
    read_fixture(&format!("{name}.toml")).unwrap()
}

// The user's edits made after the bind survive the unbind, which removes only the binding.
#[test]
fn user_edits_after_bind_survive_unbind() {
    let homes = homes();
    let original = String::from_utf8(fixture("comments")).unwrap();
    write_config(&homes, original.as_bytes(), 0o644);
    bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();

    let edit = |text: &str| {
        text.replace("model = \"gpt-5-codex\"", "model = \"o3\"")
            .replace("[tui]\n", "[tui]\nanimations = false\n")
    };
    let bound = fs::read_to_string(&homes.config).unwrap();
    fs::write(&homes.config, edit(&bound)).unwrap();

    let report = unbind_app(&homes.config, &homes.bind_dir).unwrap();
    assert_eq!(report.outcome, UnbindOutcome::Surgical);
    assert!(report.notes.contains(&Note::KeptUserEdits));
    assert_eq!(fs::read_to_string(&homes.config).unwrap(), edit(&original));
    assert!(!homes.bind_dir.join("state.json").exists());
    assert!(!homes.bind_dir.join("config.toml.orig").exists());
}

#[test]
fn a_missing_config_is_created_0600_and_removed_again() {
    let homes = homes();
    let report = bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
    assert!(report.changed && report.first_bind);
    assert!(report.notes.contains(&Note::Created));
    assert!(report.notes.contains(&Note::RestartCodex));
    assert!(report.notes.contains(&Note::DesktopAppLimits));
    #[cfg(unix)]
    assert_eq!(mode(&homes.config), 0o600);
    assert!(!homes.bind_dir.join("config.toml.orig").exists());
    let state: serde_json::Value =
        serde_json::from_slice(&fs::read(homes.bind_dir.join("state.json")).unwrap()).unwrap();
    assert_eq!(state["original_existed"], false);
    assert_eq!(state["original_sha256"], serde_json::Value::Null);

    let report = unbind_app(&homes.config, &homes.bind_dir).unwrap();
    assert_eq!(report.outcome, UnbindOutcome::Restored);
    assert!(report.notes.contains(&Note::RemovedCreatedFile));
    assert!(!homes.config.exists());
}

#[cfg(unix)]
#[test]
fn an_open_mode_is_tightened_and_put_back() {
    let homes = homes();
    write_config(&homes, b"model = \"x\"\n", 0o644);
    let report = bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
    assert!(report.notes.contains(&Note::ModeTightened { from: 0o644 }));
    assert_eq!(mode(&homes.config), 0o600);
    let state: serde_json::Value =
        serde_json::from_slice(&fs::read(homes.bind_dir.join("state.json")).unwrap()).unwrap();
    assert_eq!(state["original_mode"], 0o644);

    let report = unbind_app(&homes.config, &homes.bind_dir).unwrap();
    assert!(report.notes.contains(&Note::ModeRestored { to: 0o644 }));
    assert_eq!(mode(&homes.config), 0o644);
}

// Re-binding is idempotent, down to writing nothing.
#[test]
fn binding_again_writes_nothing() {
    let homes = homes();
    write_config(&homes, &fixture("existing_provider"), 0o600);
    bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
    let files = ["config.toml.orig", "state.json"].map(|f| fs::read(homes.bind_dir.join(f)).unwrap());
    let bound = fs::read(&homes.config).unwrap();

    let later = codex_router_core::Timestamp::from_unix_secs(1_790_000_000);
    let report = bind_app(&homes.config, &homes.bind_dir, &spec(), later).unwrap();
    assert!(!report.changed && !report.first_bind);
    assert_eq!(fs::read(&homes.config).unwrap(), bound);
    assert_eq!(
        files,
        ["config.toml.orig", "state.json"].map(|f| fs::read(homes.bind_dir.join(f)).unwrap())
    );
}

#[test]
fn a_new_port_rebinds_but_keeps_the_first_original() {
    let homes = homes();
    let original = fixture("leading_table");
    write_config(&homes, &original, 0o600);
    bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
    let moved = codex_router_codex_config::BindSpec { port: 3000, ..spec() };
    let report = bind_app(&homes.config, &homes.bind_dir, &moved, now()).unwrap();
    assert!(report.changed && !report.first_bind);
    let text = fs::read_to_string(&homes.config).unwrap();
    assert!(text.contains("http://127.0.0.1:3000/backend-api/codex"));
    assert_eq!(
        fs::read(homes.bind_dir.join("config.toml.orig")).unwrap(),
        original
    );
    let state: serde_json::Value =
        serde_json::from_slice(&fs::read(homes.bind_dir.join("state.json")).unwrap()).unwrap();
    assert_eq!(state["port"], 3000);
    assert_eq!(state["bound_sha256"], sha256_hex(text.as_bytes()));
    unbind_app(&homes.config, &homes.bind_dir).unwrap();
    assert_eq!(fs::read(&homes.config).unwrap(), original);
}

// Port 0 is never written: it is refused before anything is touched.
#[test]
fn port_zero_touches_nothing() {
    let homes = homes();
    write_config(&homes, b"model = \"x\"\n", 0o644);
    let spec = codex_router_codex_config::BindSpec { port: 0, ..spec() };
    let err = bind_app(&homes.config, &homes.bind_dir, &spec, now()).unwrap_err();
    assert!(matches!(err, BindError::PortZero));
    assert_eq!(fs::read(&homes.config).unwrap(), b"model = \"x\"\n");
    assert!(!homes.bind_dir.exists());
}

#[test]
fn unbind_with_nothing_bound_does_nothing() {
    let homes = homes();
    write_config(&homes, b"model = \"x\"\n", 0o644);
    let report = unbind_app(&homes.config, &homes.bind_dir).unwrap();
    assert_eq!(report.outcome, UnbindOutcome::NothingToDo);
    assert!(!report.changed && report.notes.contains(&Note::NotBound));
    assert_eq!(fs::read(&homes.config).unwrap(), b"model = \"x\"\n");
}

#[test]
fn invalid_toml_is_refused_and_left_alone() {
    let homes = homes();
    write_config(&homes, b"model = \"x\n", 0o644);
    let err = bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap_err();
    assert!(
        matches!(err, BindError::ConfigToml { ref problem, .. } if problem.line == 1),
        "{err}"
    );
    assert_eq!(fs::read(&homes.config).unwrap(), b"model = \"x\n");
    assert!(!homes.bind_dir.join("state.json").exists());
}

// Restore is binary-safe: the original is kept and restored as bytes, never through a text
// round trip.
#[test]
fn restore_is_byte_exact_and_non_utf8_is_refused() {
    let homes = homes();
    let original = "\u{feff}# café ☕\r\nmodel = \"gpt-5\" # été\r\n".as_bytes();
    write_config(&homes, original, 0o600);
    bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
    let bound = fs::read(&homes.config).unwrap();
    assert!(bound.starts_with("\u{feff}".as_bytes()) && bound.ends_with(b"\r\n"));
    unbind_app(&homes.config, &homes.bind_dir).unwrap();
    assert_eq!(fs::read(&homes.config).unwrap(), original);

    let latin1 = b"model = \"caf\xe9\"\n";
    write_config(&homes, latin1, 0o600);
    let err = bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap_err();
    assert!(matches!(err, BindError::NotUtf8 { .. }));
    assert_eq!(fs::read(&homes.config).unwrap(), latin1);
}

#[test]
fn a_deleted_config_gets_its_original_back() {
    let homes = homes();
    write_config(&homes, b"model = \"x\"\n", 0o600);
    bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
    fs::remove_file(&homes.config).unwrap();
    let report = unbind_app(&homes.config, &homes.bind_dir).unwrap();
    assert!(report.notes.contains(&Note::RecreatedDeletedFile));
    assert_eq!(fs::read(&homes.config).unwrap(), b"model = \"x\"\n");
}

#[test]
fn a_state_for_another_config_is_not_applied_here() {
    let homes = homes();
    bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
    let other = homes.tmp.path().join("other").join("config.toml");
    let err = bind_app(&other, &homes.bind_dir, &spec(), now()).unwrap_err();
    assert!(matches!(err, BindError::OtherConfig { .. }), "{err}");
    assert!(matches!(
        unbind_app(&other, &homes.bind_dir),
        Err(BindError::OtherConfig { .. })
    ));
    assert!(!other.exists());
}

#[cfg(unix)]
#[test]
fn a_symlinked_config_stays_a_symlink() {
    let homes = homes();
    let real = homes.tmp.path().join("dotfiles-config.toml");
    fs::write(&real, b"model = \"x\"\n").unwrap();
    fs::create_dir_all(homes.config.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&real, &homes.config).unwrap();
    bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
    assert!(
        fs::symlink_metadata(&homes.config)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(fs::read_to_string(&real).unwrap().contains("codex-router"));
    unbind_app(&homes.config, &homes.bind_dir).unwrap();
    assert_eq!(fs::read(&real).unwrap(), b"model = \"x\"\n");
}

// Status is read-only (it creates no file, not even a lock) and says what bypasses the binding.
#[test]
fn status_reports_without_writing() {
    let homes = homes();
    let before = status(&homes.config, &homes.bind_dir).unwrap();
    assert_eq!(before.config, ConfigStatus::Missing);
    assert_eq!(before.state, StateStatus::Missing);
    assert!(!homes.bind_dir.exists(), "status must not create anything");

    write_config(
        &homes,
        b"profile = \"p\"\n[profiles.p]\nmodel_provider = \"openai\"\n",
        0o600,
    );
    let report = bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
    assert!(
        report
            .notes
            .iter()
            .any(|n| matches!(n, Note::ProfilesBypass { active: Some(p), .. } if p == "p"))
    );
    let bound = status(&homes.config, &homes.bind_dir).unwrap();
    let ConfigStatus::Read(binding) = &bound.config else {
        panic!("{bound:?}")
    };
    assert!(binding.bound && binding.port == Some(PORT) && binding.active_profile_bypasses());
    assert!(binding.key_matches(&codex_router_core::Secret::new(KEY)));
    assert!(matches!(
        bound.state,
        StateStatus::Valid {
            port: PORT,
            edited_since_bind: false,
            ..
        }
    ));

    let text = fs::read_to_string(&homes.config).unwrap();
    fs::write(&homes.config, format!("{text}# edited\n")).unwrap();
    let edited = status(&homes.config, &homes.bind_dir).unwrap();
    assert!(matches!(
        edited.state,
        StateStatus::Valid {
            edited_since_bind: true,
            ..
        }
    ));
    assert!(!format!("{edited:?}").contains(KEY));
}

#[test]
fn adopting_a_bound_file_saves_it_minus_the_binding() {
    // The "original" is never an already-bound file.
    let homes = homes();
    let text = String::from_utf8(fixture("earlier_provider")).unwrap();
    write_config(&homes, text.as_bytes(), 0o600);
    let report = bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
    assert!(report.notes.contains(&Note::AdoptedBinding {
        providers: vec!["codex-router".to_owned()]
    }));
    let saved = fs::read_to_string(homes.bind_dir.join("config.toml.orig")).unwrap();
    assert_eq!(saved, strip_binding(&text).unwrap().text);
    assert!(!saved.contains("codex-router") && !saved.contains("old-key"));
}
