//! `doctor` exits 1 with the daemon down and 0 on a healthy setup. In the test environment
//! there is no service manager (`--service-manager none`, as in a container): the
//! service check is then skipped with its reason, never failed.

use codex_router_e2e::{Home, Upstream};
use serde_json::Value;

use crate::{home_with_account, ok, show, stdout};

fn checks(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", show(out)))
}

fn status_of<'a>(doc: &'a Value, id: &str) -> Vec<&'a str> {
    doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == id)
        .map(|c| c["status"].as_str().unwrap())
        .collect()
}

#[test]
fn doctor_fails_with_the_daemon_down_and_names_the_fix() {
    let home = Home::new();
    let out = home.run_ctl(&["doctor"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stdout(&out).contains("fix: run `codexctl daemon start`"),
        "{}",
        show(&out)
    );
    let out = home.run_ctl(&["doctor", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let doc = checks(&out);
    assert_eq!(doc["ok"], false);
    assert_eq!(status_of(&doc, "daemon"), ["fail"]);
    assert_eq!(status_of(&doc, "accounts"), ["fail"], "no account: {doc:#}");
    assert_eq!(status_of(&doc, "service"), ["skip"], "{doc:#}");
}

#[test]
fn doctor_passes_on_a_healthy_bound_setup() {
    let upstream = Upstream::start();
    let home = home_with_account(&upstream);
    ok(&home, &["rotation", "enable"]);
    let out = home.run_ctl(&["doctor", "--json"]);
    let doc = checks(&out);
    assert_eq!(out.status.code(), Some(0), "{doc:#}\n{}", show(&out));
    assert_eq!(doc["ok"], true);
    for id in [
        "daemon",
        "router_home",
        "run_dir",
        "socket",
        "client_key",
        "logs",
        "accounts_file",
        "accounts",
        "binding",
        "websocket",
        "clock",
        "proxy_env",
    ] {
        let ok_in_unix = if cfg!(unix) {
            vec!["ok"]
        } else {
            vec!["ok", "skip"]
        };
        let got = status_of(&doc, id);
        assert!(
            !got.is_empty() && got.iter().all(|s| ok_in_unix.contains(s)),
            "{id}: {got:?}\n{doc:#}"
        );
    }
    // No service manager in the test environment: skipped, with why, not failed.
    assert_eq!(status_of(&doc, "service"), ["skip"], "{doc:#}");
    let human = ok(&home, &["doctor"]);
    assert!(stdout(&human).contains("skip  service"), "{}", show(&human));
    assert!(stdout(&human).contains("all checks passed"), "{}", show(&human));

    // Daemon down: the key written into Codex's config is checked against client.key itself.
    ok(&home, &["daemon", "stop"]);
    let out = home.run_ctl(&["doctor"]);
    assert!(!stdout(&out).contains("not client.key's"), "{}", show(&out));
    std::fs::write(&home.paths.client_key, "f".repeat(64)).unwrap();
    let out = home.run_ctl(&["doctor"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stdout(&out).contains("not client.key's"), "{}", show(&out));

    // A proxy without NO_PROXY for the router fails the check (SPEC §4 Networks).
    let mut proxied = home_with_account(&upstream);
    proxied.set_env("HTTPS_PROXY", "http://127.0.0.1:9");
    proxied.set_env("NO_PROXY", "example.com");
    let out = proxied.run_ctl(&["doctor", "--json"]);
    assert_eq!(status_of(&checks(&out), "proxy_env"), ["fail"]);
}
