//! Two `rotation enable` at once end consistent: two real `codexctl` processes, no service manager
//! (the harness's `--service-manager none`, as in a container), end with one daemon, one backup
//! and one binding; `disable --stop` undoes it all.

use std::process::Stdio;

use codex_router_e2e::process::wait_bounded;
use codex_router_e2e::{STEP, Upstream};

use crate::{codex_config, home_with_account, ok, show, stderr, stdout, write_user_config};

#[test]
fn two_concurrent_enables_end_with_one_backup_and_one_binding() {
    let upstream = Upstream::start();
    let home = home_with_account(&upstream);
    let original = write_user_config(&home);

    let spawn = || {
        let mut cmd = home.ctl(&["rotation", "enable"]);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.spawn().unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (wait_bounded(a, STEP), wait_bounded(b, STEP));
    for out in [&a, &b] {
        assert!(out.status.success(), "{}", show(out));
        // No service manager: said, with what it means.
        assert!(
            stderr(out).contains("will not come back after a reboot"),
            "{}",
            show(out)
        );
    }
    let changed = [&a, &b]
        .iter()
        .filter(|o| stdout(o).contains("bound Codex to the router"))
        .count();
    let unchanged = [&a, &b]
        .iter()
        .filter(|o| stdout(o).contains("already bound"))
        .count();
    assert_eq!(
        (changed, unchanged),
        (1, 1),
        "one wrote, the other found it done:\n{}\n{}",
        show(&a),
        show(&b)
    );

    let bound = std::fs::read_to_string(codex_config(&home)).unwrap();
    assert_eq!(
        bound.matches("[model_providers.codex-router]").count(),
        1,
        "{bound}"
    );
    assert_eq!(
        bound.matches("model_provider = \"codex-router\"").count(),
        1,
        "{bound}"
    );
    let mut bind_files: Vec<String> = std::fs::read_dir(&home.paths.bind_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".tmp"))
        .collect();
    bind_files.sort();
    assert_eq!(
        bind_files,
        ["bind.lock", "config.toml.orig", "state.json"],
        "one backup, one state"
    );
    assert_eq!(
        std::fs::read(home.paths.bind_dir.join("config.toml.orig")).unwrap(),
        original
    );
    assert!(home.lock_holder().is_some(), "one daemon runs");

    // A third enable changes nothing.
    let out = ok(&home, &["rotation", "enable"]);
    assert!(stdout(&out).contains("already bound"), "{}", show(&out));

    let out = ok(&home, &["rotation", "disable", "--stop"]);
    assert!(stdout(&out).contains("back as it was"), "{}", show(&out));
    assert!(stdout(&out).contains("stopped codex-routerd"), "{}", show(&out));
    assert_eq!(std::fs::read(codex_config(&home)).unwrap(), original);
    assert_eq!(home.lock_holder(), None, "--stop stopped the daemon");
    assert!(
        !stderr(&out).contains("requests fail"),
        "unbound first, so no warning: {}",
        show(&out)
    );
}
