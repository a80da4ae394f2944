//! Racing binds: two `enable`s at once end with one backup and one binding, because
//! `bind/bind.lock` serialises the read-modify-write.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod common;

use std::fs;
use std::sync::{Arc, Barrier};
use std::thread;

use codex_router_codex_config::{UnbindOutcome, bind_app, inspect, unbind_app};
use common::*;

const ORIGINAL: &[u8] = b"# mine\nmodel = \"gpt-5\"\n\n[tui]\nnotifications = true\n";

// Two overlapping binds end consistent: one backup, one binding.
#[test]
fn two_concurrent_binds_end_with_one_backup_and_one_binding() {
    for _ in 0..20 {
        let homes = homes();
        write_config(&homes, ORIGINAL, 0o644);
        let barrier = Arc::new(Barrier::new(2));
        let runs: Vec<_> = (0..2)
            .map(|_| {
                let (config, bind_dir, barrier) =
                    (homes.config.clone(), homes.bind_dir.clone(), barrier.clone());
                thread::spawn(move || {
                    barrier.wait();
                    bind_app(&config, &bind_dir, &spec(), now()).unwrap()
                })
            })
            .collect();
        let reports: Vec<_> = runs.into_iter().map(|t| t.join().unwrap()).collect();

        assert_eq!(
            reports.iter().filter(|r| r.first_bind).count(),
            1,
            "exactly one saved the original"
        );
        assert_eq!(
            reports.iter().filter(|r| r.changed).count(),
            1,
            "the other found it bound"
        );
        assert_eq!(
            fs::read(homes.bind_dir.join("config.toml.orig")).unwrap(),
            ORIGINAL
        );
        let bound = fs::read_to_string(&homes.config).unwrap();
        assert_eq!(bound.matches("[model_providers.codex-router]").count(), 1);
        assert_eq!(bound.matches("model_provider = ").count(), 1);
        assert!(inspect(&bound).unwrap().bound);
        let leftovers: Vec<_> = fs::read_dir(&homes.bind_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");

        unbind_app(&homes.config, &homes.bind_dir).unwrap();
        assert_eq!(fs::read(&homes.config).unwrap(), ORIGINAL);
    }
}

// A bind racing an unbind leaves a consistent pair, never a binding without state or a state
// without binding.
#[test]
fn a_bind_racing_an_unbind_ends_consistent() {
    for _ in 0..20 {
        let homes = homes();
        write_config(&homes, ORIGINAL, 0o644);
        bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
        let barrier = Arc::new(Barrier::new(2));
        let (config, bind_dir, b) = (homes.config.clone(), homes.bind_dir.clone(), barrier.clone());
        let unbind = thread::spawn(move || {
            b.wait();
            unbind_app(&config, &bind_dir).unwrap()
        });
        barrier.wait();
        bind_app(&homes.config, &homes.bind_dir, &spec(), now()).unwrap();
        assert_eq!(unbind.join().unwrap().outcome, UnbindOutcome::Restored);

        let state = homes.bind_dir.join("state.json").exists();
        let bound = inspect(&fs::read_to_string(&homes.config).unwrap())
            .unwrap()
            .bound;
        assert_eq!(state, bound, "state and binding must go together");
        if !bound {
            assert_eq!(fs::read(&homes.config).unwrap(), ORIGINAL);
        }
    }
}
