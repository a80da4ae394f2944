//! Accounts through a running daemon: every change goes over the socket (the daemon owns the
//! pool), and `refresh` reaches the fake issuer.

use codex_router_e2e::home::account_record;
use codex_router_e2e::{Home, Upstream};
use serde_json::Value;

use crate::{show, stdout};

#[test]
fn list_label_disable_enable_refresh_remove_through_the_daemon() {
    let upstream = Upstream::start();
    let home = Home::with_fake(&upstream);
    home.write_accounts(&[
        account_record(&upstream.account("acc-1", "pro")),
        account_record(&upstream.account("acc-2", "team")),
    ]);
    let out = home.run_ctl(&["daemon", "start"]);
    assert!(out.status.success(), "{}", show(&out));

    let out = home.run_ctl(&["accounts", "list", "--json"]);
    assert!(out.status.success(), "{}", show(&out));
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list["daemon_running"], true);
    assert_eq!(
        list["accounts"][1]["email"], "acc-2@example.test",
        "emails only in accounts list"
    );
    let out = home.run_ctl(&["accounts", "list"]);
    assert!(stdout(&out).contains("acc-1@example.test"), "{}", show(&out));

    let out = home.run_ctl(&["accounts", "label", "2", "work"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(stdout(&out).contains("labelled account work"), "{}", show(&out));
    assert!(
        !stdout(&out).contains("daemon not running"),
        "went through the daemon: {}",
        show(&out)
    );
    let out = home.run_ctl(&["accounts", "disable", "work"]);
    assert!(out.status.success(), "{}", show(&out));
    let out = home.run_ctl(&["status", "--json"]);
    let status: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["accounts"][1]["state"], "disabled", "{status:#}");
    assert_eq!(status["accounts"][1]["state_reason"], "user", "{status:#}");
    let out = home.run_ctl(&["accounts", "enable", "work"]);
    assert!(out.status.success(), "{}", show(&out));

    let before = upstream.fake.refresh_calls();
    let out = home.run_ctl(&["accounts", "refresh", "--all"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(stdout(&out).contains("refreshed work"), "{}", show(&out));
    assert_eq!(upstream.fake.refresh_calls(), before + 2);

    let out = home.run_ctl(&["accounts", "remove", "1"]);
    assert!(out.status.success(), "{}", show(&out));
    let out = home.run_ctl(&["accounts", "label", "nope", "x"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(show(&out).contains("not_found"), "{}", show(&out));

    let out = home.run_ctl(&["daemon", "stop"]);
    assert!(out.status.success(), "{}", show(&out));
    let file: Value = serde_json::from_slice(&std::fs::read(&home.paths.accounts).unwrap()).unwrap();
    let accounts = file["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 1, "{file:#}");
    assert_eq!(accounts[0]["label"], "work");
    assert_eq!(accounts[0]["enabled"], true);
}
