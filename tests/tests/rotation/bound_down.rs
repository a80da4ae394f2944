//! Bound but daemon down (SPEC §7): `daemon stop`, `status`, `rotation status` and `doctor` say
//! plainly that Codex requests fail and how to fix it, and `unbind-app` works with the daemon down.

use codex_router_e2e::Upstream;
use serde_json::Value;

use crate::{codex_config, home_with_account, ok, show, stderr, stdout, write_user_config};

const FAIL: &str = "Codex requests fail until `codexctl daemon start` or `codexctl rotation disable`";

#[test]
fn bound_and_down_is_said_plainly_and_unbind_still_works() {
    let upstream = Upstream::start();
    let home = home_with_account(&upstream);
    let original = write_user_config(&home);
    ok(&home, &["rotation", "bind-app"]);

    let out = ok(&home, &["daemon", "stop"]);
    assert!(stderr(&out).contains(FAIL), "daemon stop: {}", show(&out));
    assert_eq!(home.lock_holder(), None);

    let out = home.run_ctl(&["status"]);
    assert_eq!(out.status.code(), Some(3), "{}", show(&out));
    assert!(stdout(&out).contains(FAIL), "status: {}", show(&out));
    let out = home.run_ctl(&["status", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", show(&out)));
    assert_eq!(v["binding"]["bound"], true, "{v:#}");

    // rotation status reports and exits 0 either way, and names both fixes.
    let out = ok(&home, &["rotation", "status"]);
    assert!(stdout(&out).contains(FAIL), "rotation status: {}", show(&out));
    let v: Value = serde_json::from_slice(&ok(&home, &["rotation", "status", "--json"]).stdout).unwrap();
    assert_eq!(v["daemon"]["running"], false, "{v:#}");
    assert_eq!(v["problems"][0]["severity"], "fail", "{v:#}");
    assert!(
        v["problems"][0]["fix"]
            .as_str()
            .unwrap()
            .contains("codexctl daemon start"),
        "{v:#}"
    );

    let out = home.run_ctl(&["doctor"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let text = stdout(&out);
    assert!(text.contains("FAIL  daemon"), "{}", show(&out));
    assert!(text.contains(FAIL), "doctor: {}", show(&out));
    assert!(
        text.contains("fix: run `codexctl daemon start`, or `codexctl rotation disable`"),
        "{}",
        show(&out)
    );

    // The daemon is down and unbind needs only bind/ and the file.
    let out = ok(&home, &["rotation", "unbind-app"]);
    assert!(stdout(&out).contains("back as it was"), "{}", show(&out));
    assert_eq!(std::fs::read(codex_config(&home)).unwrap(), original);
    assert_eq!(home.lock_holder(), None, "unbind-app did not start a daemon");
    let out = home.run_ctl(&["status"]);
    assert!(
        !stdout(&out).contains(FAIL),
        "unbound: no warning any more: {}",
        show(&out)
    );
}

#[test]
fn rotation_status_reads_without_writing_anything() {
    // A read-only command creates no file, not even a lock or the router home.
    let home = codex_router_e2e::Home::new();
    let before = crate::tree(home.root());
    let out = ok(&home, &["rotation", "status"]);
    assert!(stdout(&out).contains("not bound"), "{}", show(&out));
    let out = ok(&home, &["rotation", "status", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["bound"], false);
    assert_eq!(v["daemon"]["running"], false);
    assert_eq!(crate::tree(home.root()), before);
}
