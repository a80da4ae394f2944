//! Accounts with the daemon down (SPEC §9): `list` reads the file and exits 0 with a
//! notice on stderr; `disable` edits the file itself under `run/daemon.lock` and
//! `run/accounts.lock`.

use codex_router_e2e::Home;
use codex_router_store::try_lock;
use serde_json::{Value, json};

use crate::{show, stderr, stdout};

fn record(id: &str, label: &str, email: &str) -> Value {
    json!({"id": id, "label": label, "email": email, "plan_type": "pro", "enabled": true,
           "tokens": {"access_token": "at-secret", "refresh_token": "rt-secret"}})
}

fn stored(home: &Home) -> Value {
    serde_json::from_slice(&std::fs::read(&home.paths.accounts).unwrap()).unwrap()
}

#[test]
fn list_reads_the_file_and_disable_edits_it_under_the_locks() {
    let home = Home::new();
    let out = home.run_ctl(&["accounts", "list"]);
    assert!(
        out.status.success(),
        "missing storage is not an error (exit 0): {}",
        show(&out)
    );
    assert!(stdout(&out).contains("no accounts yet"), "{}", show(&out));

    home.write_accounts(&[
        record("a1b2", "pro-1", "one@example.test"),
        record("c3d4", "pro-2", "two@example.test"),
    ]);
    let out = home.run_ctl(&["accounts", "list"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(stderr(&out).contains("daemon is not running"), "{}", show(&out));
    for needle in ["pro-1", "c3d4", "two@example.test", "ready"] {
        assert!(stdout(&out).contains(needle), "{needle}: {}", show(&out));
    }
    assert!(!stdout(&out).contains("secret"), "{}", show(&out));
    let out = home.run_ctl(&["accounts", "list", "--json"]);
    assert!(out.status.success(), "{}", show(&out));
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list["daemon_running"], false);
    assert_eq!(list["accounts"][1]["index"], 2);
    assert_eq!(list["accounts"][1]["label"], "pro-2");

    // While something holds run/daemon.lock (a daemon starting), codexctl must not write.
    let held = try_lock(&home.paths.daemon_lock).unwrap().unwrap();
    let out = home.run_ctl(&["accounts", "disable", "pro-2"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stderr(&out).contains("daemon.lock"), "{}", show(&out));
    assert_eq!(stored(&home)["accounts"][1]["enabled"], true);
    drop(held);

    let out = home.run_ctl(&["accounts", "disable", "2"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(stdout(&out).contains("disabled account pro-2"), "{}", show(&out));
    let file = stored(&home);
    assert_eq!(file["accounts"][1]["enabled"], false);
    assert_eq!(file["accounts"][0]["enabled"], true);
    assert_eq!(
        file["accounts"][1]["tokens"]["refresh_token"], "rt-secret",
        "tokens kept"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&home.paths.accounts)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(home.paths.accounts_lock.exists(), "the writer lock was taken");
    assert_eq!(home.lock_holder(), None, "and released");
    let out = home.run_ctl(&["accounts", "list"]);
    assert!(stdout(&out).contains("disabled (user)"), "{}", show(&out));

    // config show works without the daemon, from this environment.
    let out = home.run_ctl(&["config", "show", "--json"]);
    assert!(out.status.success(), "{}", show(&out));
    let config: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(config["daemon_running"], false);
    let listen = config["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == "proxy.listen")
        .unwrap();
    assert_eq!(listen["source"], "env CODEX_ROUTER_LISTEN");
    assert_eq!(home.run_ctl(&["config", "reload"]).status.code(), Some(3));

    let out = home.run_ctl(&["accounts", "refresh", "--all"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "refresh needs the daemon: {}",
        show(&out)
    );
    let out = home.run_ctl(&["accounts", "disable", "nope"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
}
