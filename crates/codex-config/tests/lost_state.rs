//! Lost, foreign and damaged bind state (SPEC §7): a bound file without state is never saved
//! as the original, and a damaged or tampered state is never trusted.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use std::fs;
use std::path::Path;

use codex_router_codex_config::{
    BindSpec, Note, UnbindOutcome, bind, bind_app, inspect, strip_binding, unbind_app,
};
use common::*;

const ORIGINAL: &str = "model_provider = \"openai\" # mine\nmodel = \"gpt-5\"\n\n[tui]\nx = 1\n";

fn kept_aside(bind_dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(bind_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains(".invalid-"))
        .collect();
    names.sort();
    names
}

// A codex-router binding without state is not taken for the original.
#[test]
fn a_binding_without_state_is_adopted_minus_the_binding() {
    let homes = homes();
    let bound = bind(ORIGINAL, &BindSpec { port: 1111, ..spec() }).unwrap();
    write_config(&homes, bound.as_bytes(), 0o600);

    let report = bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
    assert!(report.first_bind);
    assert!(report.notes.contains(&Note::AdoptedBinding {
        providers: vec!["codex-router".to_owned()]
    }));
    let saved = fs::read_to_string(homes.bind_dir.join("config.toml.orig")).unwrap();
    assert_eq!(saved, strip_binding(&bound).unwrap().text);
    assert_eq!(
        inspect(&fs::read_to_string(&homes.config).unwrap()).unwrap().port,
        Some(PORT)
    );

    unbind_app(&homes.config, &homes.bind_dir).unwrap();
    assert_eq!(fs::read_to_string(&homes.config).unwrap(), saved);
}

// The ancestor's binding counts as foreign and is not kept in the original either.
#[test]
fn the_ancestors_binding_is_adopted_minus_the_binding() {
    let homes = homes();
    let text = fs::read_to_string(fixtures_dir().join("ancestor.toml")).unwrap();
    write_config(&homes, text.as_bytes(), 0o600);
    let report = bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
    assert!(report.notes.contains(&Note::AdoptedBinding {
        providers: vec!["codex-multi-auth-runtime-proxy".to_owned()]
    }));
    let saved = fs::read_to_string(homes.bind_dir.join("config.toml.orig")).unwrap();
    assert!(
        !saved.contains("codex-multi-auth") && !saved.contains("ancestor-token"),
        "{saved}"
    );
    assert!(saved.contains("[projects.\"/home/me/work\"]"));
    assert!(
        !fs::read_to_string(&homes.config)
            .unwrap()
            .contains("codex-multi-auth")
    );
}

#[test]
fn unbind_without_state_removes_a_binding_it_finds() {
    let homes = homes();
    let bound = bind(ORIGINAL, &spec()).unwrap();
    write_config(&homes, bound.as_bytes(), 0o600);
    let report = unbind_app(&homes.config, &homes.bind_dir).unwrap();
    assert_eq!(report.outcome, UnbindOutcome::Surgical);
    assert!(matches!(
        &report.notes[0],
        Note::RemovedBindingWithoutState { .. }
    ));
    // No state: the original provider is unknown, so the key goes (Codex defaults to openai).
    let text = fs::read_to_string(&homes.config).unwrap();
    assert!(!inspect(&text).unwrap().carries_binding());
    assert!(text.contains("model = \"gpt-5\"\n\n[tui]\nx = 1\n"));
}

/// Damage the state of a fresh bind in one of the ways SPEC §7 names.
fn corrupt(bind_dir: &Path, how: &str) {
    let state_path = bind_dir.join("state.json");
    let mut state: serde_json::Value = serde_json::from_slice(&fs::read(&state_path).unwrap()).unwrap();
    match how {
        "bad hash" => fs::write(bind_dir.join("config.toml.orig"), b"tampered = true\n").unwrap(),
        "port 0" => state["port"] = 0.into(),
        "port 70000" => state["port"] = 70_000.into(),
        "garbage" => {
            fs::write(&state_path, b"{ not json").unwrap();
            return;
        }
        _ => unreachable!(),
    }
    fs::write(&state_path, serde_json::to_vec(&state).unwrap()).unwrap();
}

const CORRUPTIONS: [&str; 4] = ["bad hash", "port 0", "port 70000", "garbage"];

// A damaged state is reported, unbind falls back to the surgical removal, and the damaged files are
// kept aside, not deleted.
#[test]
fn unbind_with_a_damaged_state_removes_the_binding_surgically() {
    for how in CORRUPTIONS {
        let homes = homes();
        write_config(&homes, ORIGINAL.as_bytes(), 0o600);
        bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
        corrupt(&homes.bind_dir, how);

        let report = unbind_app(&homes.config, &homes.bind_dir).unwrap();
        assert_eq!(report.outcome, UnbindOutcome::Surgical, "{how}");
        let Note::InvalidState { reason, kept } = &report.notes[0] else {
            panic!("{how}: {:?}", report.notes)
        };
        assert!(!kept.is_empty(), "{how}");
        if how.starts_with("port") {
            assert!(reason.contains(how), "{how}: {reason}");
        }
        let text = fs::read_to_string(&homes.config).unwrap();
        assert!(!inspect(&text).unwrap().carries_binding(), "{how}: {text}");
        if how == "garbage" {
            // Nothing left to say what the provider was: the key goes.
            assert_eq!(text, "model = \"gpt-5\"\n\n[tui]\nx = 1\n");
        } else {
            // The state still names the original provider: it comes back.
            assert_eq!(text, ORIGINAL, "{how}");
        }
        assert!(!homes.bind_dir.join("state.json").exists(), "{how}");
        assert!(!kept_aside(&homes.bind_dir).is_empty(), "{how}");
    }
}

// Bind does not trust a damaged state either; it starts afresh from the file minus its binding.
#[test]
fn bind_with_a_damaged_state_starts_afresh() {
    for how in CORRUPTIONS {
        let homes = homes();
        write_config(&homes, ORIGINAL.as_bytes(), 0o600);
        bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
        corrupt(&homes.bind_dir, how);

        let report = bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
        assert!(report.first_bind, "{how}");
        assert!(
            matches!(&report.notes[0], Note::InvalidState { .. }),
            "{how}: {:?}",
            report.notes
        );
        assert!(
            report
                .notes
                .iter()
                .any(|n| matches!(n, Note::AdoptedBinding { .. })),
            "{how}"
        );
        assert!(!kept_aside(&homes.bind_dir).is_empty(), "{how}");
        // The new state is valid again, and unbind uses it.
        unbind_app(&homes.config, &homes.bind_dir).unwrap();
        let text = fs::read_to_string(&homes.config).unwrap();
        assert!(!inspect(&text).unwrap().carries_binding(), "{how}");
        if how != "garbage" {
            // The damaged state still named the original provider: it is put back.
            assert_eq!(text, ORIGINAL, "{how}");
        }
    }
}

#[test]
fn a_stray_backup_without_state_is_kept_aside() {
    let homes = homes();
    fs::create_dir_all(&homes.bind_dir).unwrap();
    fs::write(homes.bind_dir.join("config.toml.orig"), b"old = 1\n").unwrap();
    write_config(&homes, ORIGINAL.as_bytes(), 0o600);
    let report = bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
    let kept = report
        .notes
        .iter()
        .find_map(|n| match n {
            Note::StrayOriginalKeptAside { kept } => Some(kept.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(fs::read(kept).unwrap(), b"old = 1\n");
    assert_eq!(
        fs::read_to_string(homes.bind_dir.join("config.toml.orig")).unwrap(),
        ORIGINAL
    );
}
