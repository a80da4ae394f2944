//! `service install --dry-run` prints every step and changes nothing (the `codexctl` side; the
//! generated files are tested in crates/service); `service status` reports and exits 0 without a
//! service manager.
//!
//! The dry run uses the platform's real manager (not `--service-manager none`) with HOME
//! and XDG_CONFIG_HOME in the test's temporary root: the only thing it runs is the manager's
//! read-only availability probe (`systemctl --user show-environment`, `launchctl print`), so it
//! passes the same in a container (where the probe fails and the dry run says a real install
//! would fail) as on a desktop.

use codex_router_e2e::Home;
use serde_json::Value;

use crate::{ok, show, stdout, tree};

fn system_home() -> Home {
    let mut home = Home::new();
    let xdg = home.root().join("xdg");
    home.use_system_service_manager();
    home.set_env("XDG_CONFIG_HOME", &xdg.to_string_lossy());
    home.set_env("USER", "tester");
    home
}

#[test]
fn install_dry_run_prints_the_steps_and_changes_nothing() {
    let home = system_home();
    let before = tree(home.root());
    let out = ok(&home, &["service", "install", "--dry-run", "--no-linger"]);
    let text = stdout(&out);
    assert!(
        text.contains("would install the codex-router service"),
        "{}",
        show(&out)
    );
    assert!(text.contains("nothing was changed"), "{}", show(&out));
    let router_home = home.paths.home.to_string_lossy().into_owned();
    assert!(
        text.contains(&router_home),
        "the definition carries the router home: {}",
        show(&out)
    );
    if cfg!(target_os = "linux") {
        let unit = home.root().join("xdg/systemd/user/codex-routerd.service");
        assert!(
            text.contains(&format!("write {}", unit.display())),
            "{}",
            show(&out)
        );
        assert!(
            text.contains("| ExecStart="),
            "the unit's text is shown: {}",
            show(&out)
        );
        assert!(text.contains("Restart=on-failure"), "{}", show(&out));
        assert!(
            text.contains("run systemctl --user enable --now codex-routerd.service"),
            "{}",
            show(&out)
        );
    }
    assert_eq!(tree(home.root()), before, "a dry run changes nothing");

    let out = ok(
        &home,
        &["service", "install", "--dry-run", "--no-linger", "--json"],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", show(&out)));
    assert_eq!(v["dry_run"], true);
    let actions = v["actions"].as_array().unwrap();
    assert!(actions.iter().any(|a| a["action"] == "write_file"), "{v:#}");
    assert!(actions.iter().any(|a| a["action"] == "run"), "{v:#}");
    assert_eq!(tree(home.root()), before, "a dry run changes nothing");

    let out = ok(&home, &["service", "uninstall", "--dry-run"]);
    assert!(stdout(&out).contains("not installed"), "{}", show(&out));
    assert_eq!(tree(home.root()), before);
}

#[test]
fn without_a_service_manager_status_reports_and_install_refuses() {
    let home = Home::new();
    let out = ok(&home, &["service", "status"]);
    assert!(stdout(&out).contains("is not available"), "{}", show(&out));
    assert!(stdout(&out).contains("installed  no"), "{}", show(&out));
    let v: Value = serde_json::from_slice(&ok(&home, &["service", "status", "--json"]).stdout).unwrap();
    assert_eq!(
        (v["installed"].clone(), v["manager"]["available"].clone()),
        (false.into(), false.into())
    );

    let before = tree(home.root());
    let out = home.run_ctl(&["service", "install", "--no-linger"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        crate::stderr(&out).contains("codexctl daemon start"),
        "says what to do instead: {}",
        show(&out)
    );
    assert_eq!(tree(home.root()), before, "refused before touching anything");
}
