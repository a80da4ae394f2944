//! `codexctl accounts check` against the real binaries. It needs the daemon (exit 3
//! without), polls every account's usage endpoint now, prints bars and countdowns, and the
//! status table shows the same reading with its source and age.

use codex_router_e2e::home::account_record;
use codex_router_e2e::{Home, Upstream};
use codex_router_test_support::UsageState;
use serde_json::Value;

use crate::{show, stderr, stdout};

#[test]
fn accounts_check_all_polls_every_account_and_status_shows_the_reading() {
    let upstream = Upstream::start();
    let home = Home::with_fake(&upstream);
    home.write_accounts(&[
        account_record(&upstream.account("acc-1", "pro")),
        account_record(&upstream.account("acc-2", "team")),
    ]);
    upstream
        .fake
        .set_usage("acc-1", UsageState::used("pro", 42.0, 7.0));
    upstream
        .fake
        .set_usage("acc-2", UsageState::used("team", 100.0, 64.0));

    let out = home.run_ctl(&["accounts", "check", "--all"]);
    assert_eq!(out.status.code(), Some(3), "needs the daemon: {}", show(&out));
    assert!(stderr(&out).contains("codexctl daemon start"), "{}", show(&out));

    let out = home.run_ctl(&["daemon", "start"]);
    assert!(out.status.success(), "{}", show(&out));
    let before = (
        upstream.fake.usage_calls("acc-1"),
        upstream.fake.usage_calls("acc-2"),
    );
    let out = home.run_ctl(&["accounts", "check", "--all"]);
    assert!(out.status.success(), "{}", show(&out));
    let text = stdout(&out);
    assert!(text.contains("5h [####------] 42%, resets in "), "{text}");
    assert!(text.contains("7d [----------] 7%, resets in "), "{text}");
    assert!(text.contains("5h [##########] 100%, resets in "), "{text}");
    assert!(text.contains("usage ") && text.contains("s ago"), "{text}");
    assert!(upstream.fake.usage_calls("acc-1") > before.0, "acc-1 polled");
    assert!(upstream.fake.usage_calls("acc-2") > before.1, "acc-2 polled");
    assert_eq!(
        upstream.fake.refresh_calls(),
        0,
        "a check never presents a refresh token"
    );

    let out = home.run_ctl(&["accounts", "check", "1", "--json"]);
    assert!(out.status.success(), "{}", show(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = doc["accounts"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{doc:#}");
    assert_eq!(rows[0]["ok"], true);
    assert_eq!(rows[0]["error"], Value::Null);
    assert_eq!(rows[0]["quota"]["primary"]["used_percent"], 42.0);
    assert_eq!(rows[0]["quota"]["stale"], false);

    // The status table shows the same reading: a bar, its countdown, source and age, the pool.
    let out = home.run_ctl(&["status"]);
    assert!(out.status.success(), "{}", show(&out));
    let text = stdout(&out);
    assert!(text.contains("[####------] 42%"), "{text}");
    assert!(text.contains("READING"), "{text}");
    assert!(text.contains("pool      "), "{text}");
    assert!(
        text.contains("next account back in "),
        "acc-2 is at 100 % until its reset: {text}"
    );
    assert!(text.contains("usage polls"), "{text}");

    // A disabled account is not polled; the check says why and exits 1.
    let out = home.run_ctl(&["accounts", "disable", "2"]);
    assert!(out.status.success(), "{}", show(&out));
    let calls = upstream.fake.usage_calls("acc-2");
    let out = home.run_ctl(&["accounts", "check", "2"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stdout(&out).contains("failed") && stdout(&out).contains("disabled"),
        "{}",
        show(&out)
    );
    assert_eq!(upstream.fake.usage_calls("acc-2"), calls);

    let out = home.run_ctl(&["daemon", "stop"]);
    assert!(out.status.success(), "{}", show(&out));
}
