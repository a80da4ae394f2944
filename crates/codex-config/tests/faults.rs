//! Injected filesystem failures of every bind write (config.toml, the backup, the state):
//! transient errors are retried (6 attempts), persistent ones are reported with everything left
//! as it was; and a `config.toml` changed by someone else mid-bind is re-read and the edit redone.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use std::fs;
use std::io::ErrorKind;

use codex_router_codex_config::{BindError, bind_app_with, unbind_app_with};
use codex_router_store::StoreError;
use common::*;

const ORIGINAL: &[u8] = b"# mine\nmodel = \"gpt-5\"\n";

fn bound_homes() -> Homes {
    let homes = homes();
    write_config(&homes, ORIGINAL, 0o644);
    homes
}

// Every bind write is retried: N-1 failures of each (config.toml, the backup, the state) succeed.
#[test]
fn five_transient_failures_of_each_write_are_retried() {
    for file in ["config.toml", "config.toml.orig", "state.json"] {
        let homes = bound_homes();
        let fs_ = FlakyFs::failing(file, 5);
        let report = bind_app_with(&fs_, &homes.config, &homes.bind_dir, &spec(), now()).unwrap();
        assert!(report.changed, "{file}");
        assert_eq!(fs_.calls(), 6, "{file}: one success after five failures");
        assert!(
            fs::read_to_string(&homes.config)
                .unwrap()
                .contains("codex-router")
        );
        assert_eq!(
            fs::read(homes.bind_dir.join("config.toml.orig")).unwrap(),
            ORIGINAL
        );
    }
}

// A persistent failure is reported, and the original and bind/ are intact.
#[test]
fn a_persistent_failure_is_reported_and_leaves_everything_as_it_was() {
    for file in ["config.toml", "config.toml.orig", "state.json"] {
        let homes = bound_homes();
        let fs_ = FlakyFs::failing(file, u32::MAX);
        let err = bind_app_with(&fs_, &homes.config, &homes.bind_dir, &spec(), now()).unwrap_err();
        assert!(
            matches!(err, BindError::Store(StoreError::Write { ref path, .. }) if path.ends_with(file)),
            "{err}"
        );
        assert!(err.to_string().contains(file), "{err}");
        assert_eq!(fs_.calls(), 6, "{file}: 6 attempts");
        assert_eq!(fs::read(&homes.config).unwrap(), ORIGINAL, "{file}");
        #[cfg(unix)]
        assert_eq!(mode(&homes.config), 0o644);
        assert!(!homes.bind_dir.join("state.json").exists(), "{file}");
        assert!(!homes.bind_dir.join("config.toml.orig").exists(), "{file}");
    }
}

#[test]
fn a_failed_rebind_puts_the_previous_state_back() {
    let homes = bound_homes();
    codex_router_codex_config::bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
    let state = fs::read(homes.bind_dir.join("state.json")).unwrap();
    let bound = fs::read(&homes.config).unwrap();
    let moved = codex_router_codex_config::BindSpec { port: 3000, ..spec() };
    let fs_ = FlakyFs::failing("config.toml", u32::MAX);
    bind_app_with(&fs_, &homes.config, &homes.bind_dir, &moved, now()).unwrap_err();
    assert_eq!(fs::read(&homes.config).unwrap(), bound);
    assert_eq!(fs::read(homes.bind_dir.join("state.json")).unwrap(), state);
}

#[test]
fn unbind_retries_and_keeps_its_state_when_writes_keep_failing() {
    let homes = bound_homes();
    codex_router_codex_config::bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
    let bound = fs::read(&homes.config).unwrap();

    let fs_ = FlakyFs::failing("config.toml", u32::MAX);
    let err = unbind_app_with(&fs_, &homes.config, &homes.bind_dir, now()).unwrap_err();
    assert!(matches!(err, BindError::Store(StoreError::Write { .. })), "{err}");
    assert_eq!(fs::read(&homes.config).unwrap(), bound);
    assert!(
        homes.bind_dir.join("state.json").exists(),
        "state kept so unbind can be retried"
    );

    let fs_ = FlakyFs::failing("config.toml", 5);
    unbind_app_with(&fs_, &homes.config, &homes.bind_dir, now()).unwrap();
    assert_eq!(fs::read(&homes.config).unwrap(), ORIGINAL);
    assert!(!homes.bind_dir.join("state.json").exists());
}

#[test]
fn removing_a_created_config_is_retried_too() {
    let homes = homes();
    codex_router_codex_config::bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
    let fs_ = FlakyFs::failing_removes("config.toml", 3);
    unbind_app_with(&fs_, &homes.config, &homes.bind_dir, now()).unwrap();
    assert_eq!(fs_.calls(), 4);
    assert!(!homes.config.exists());
}

#[test]
fn permanent_errors_are_not_retried() {
    let homes = bound_homes();
    let fs_ = FlakyFs {
        kind: ErrorKind::StorageFull,
        ..FlakyFs::failing("config.toml", u32::MAX)
    };
    bind_app_with(&fs_, &homes.config, &homes.bind_dir, &spec(), now()).unwrap_err();
    assert_eq!(fs_.calls(), 1);
    assert_eq!(fs::read(&homes.config).unwrap(), ORIGINAL);
}

// SPEC §7: config.toml is re-read just before the rename and the edit redone if it changed.
#[test]
fn a_config_changed_mid_bind_is_re_read_and_the_edit_redone() {
    let homes = bound_homes();
    let config = homes.config.clone();
    // Codex (say) rewrites config.toml while the bind state is being saved, once.
    let fs_ = FlakyFs::hooked("state.json", move |n| {
        if n == 1 {
            fs::write(&config, b"# mine\nmodel = \"o3\"\n").unwrap();
        }
    });
    bind_app_with(&fs_, &homes.config, &homes.bind_dir, &spec(), now()).unwrap();
    let bound = fs::read_to_string(&homes.config).unwrap();
    assert!(
        bound.contains("model = \"o3\"") && bound.contains("codex-router"),
        "{bound}"
    );
    // The original is what was there when the bind finally happened.
    assert_eq!(
        fs::read(homes.bind_dir.join("config.toml.orig")).unwrap(),
        b"# mine\nmodel = \"o3\"\n"
    );
    codex_router_codex_config::unbind_app(&homes.config, &homes.bind_dir).unwrap();
    assert_eq!(fs::read(&homes.config).unwrap(), b"# mine\nmodel = \"o3\"\n");
}

#[test]
fn a_config_that_keeps_changing_gives_up_after_three_tries() {
    let homes = bound_homes();
    let config = homes.config.clone();
    let fs_ = FlakyFs::hooked("state.json", move |n| {
        fs::write(&config, format!("model = \"v{n}\"\n")).unwrap();
    });
    let err = bind_app_with(&fs_, &homes.config, &homes.bind_dir, &spec(), now()).unwrap_err();
    assert!(
        matches!(err, BindError::ConfigKeptChanging { attempts: 3, .. }),
        "{err}"
    );
    assert_eq!(
        fs::read(&homes.config).unwrap(),
        b"model = \"v3\"\n",
        "the other writer's file is kept"
    );
    assert!(!homes.bind_dir.join("state.json").exists());
}
