//! Quota, what the user sees: `accounts.check` (poll now), the quota fields of `status --json`
//! (age, staleness, countdowns, `pool`), and readings that survive a restart.

use std::time::Duration;

use codex_router_core::Timestamp;
use codex_router_ipc::protocol::ErrorCode;
use codex_router_test_support::{Behavior, UsageState, Window};
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::common::{Daemon, Setup, row};
use crate::schema::assert_valid;

fn code(res: Result<Value, codex_router_ipc::IpcError>) -> ErrorCode {
    res.unwrap_err()
        .code()
        .cloned()
        .expect("an error answer from the daemon")
}

/// Waits (on `status.subscribe`, no sleeping) until `counters.<name>` reaches `n`.
async fn counter_reaches(d: &Daemon, name: &str, n: u64) -> Value {
    let mut client = d.client().await;
    let mut events = Box::pin(client.subscribe("status.subscribe", json!({})).await.unwrap());
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let ev = events.next().await.unwrap().unwrap();
            if ev["counters"][name].as_u64().unwrap() >= n {
                return ev;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("counters.{name} never reached {n}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_check_polls_now_and_reports_each_account() {
    let d = Daemon::start(Setup::accounts(&["alpha", "bravo", "charlie"])).await;
    d.fake.set_usage(
        "alpha",
        UsageState {
            primary: Some(Window::new(42.0, 300, 3600)),
            secondary: Some(Window::new(7.0, 10080, 86_400)),
            plan_type: "pro".into(),
        },
    );
    d.call("accounts.disable", json!({"account": "charlie"}))
        .await
        .unwrap();
    let (alpha_before, charlie_before) = (d.fake.usage_calls("alpha"), d.fake.usage_calls("charlie"));

    let res = d.call("accounts.check", json!({"all": true})).await.unwrap();
    let rows = res["accounts"].as_array().unwrap();
    let labels: Vec<&str> = rows.iter().map(|r| r["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["alpha", "bravo", "charlie"], "pool order");
    let alpha = &rows[0];
    assert_eq!(
        (&alpha["ok"], &alpha["error"], &alpha["reset_early"]),
        (&json!(true), &Value::Null, &json!(false)),
        "{alpha}"
    );
    let q = &alpha["quota"];
    assert_eq!((&q["source"], &q["stale"]), (&json!("usage"), &json!(false)));
    assert!(q["age_s"].as_u64().unwrap() <= 1, "{q}");
    assert_eq!(q["primary"]["used_percent"], 42.0);
    let resets_in = q["primary"]["resets_in_s"].as_u64().unwrap();
    assert!((3590..=3600).contains(&resets_in), "{resets_in}");
    assert_eq!(q["secondary"]["window_minutes"], 10080);
    assert!(d.fake.usage_calls("alpha") > alpha_before, "the check polled");

    let charlie = &rows[2];
    assert_eq!(charlie["ok"], false);
    assert!(
        charlie["error"].as_str().unwrap().contains("disabled"),
        "{charlie}"
    );
    assert_eq!(
        d.fake.usage_calls("charlie"),
        charlie_before,
        "no poll for a disabled account"
    );
    assert_eq!(
        d.fake.refresh_calls(),
        0,
        "a check never presents a refresh token"
    );

    let one = d.call("accounts.check", json!({"account": "2"})).await.unwrap();
    assert_eq!(one["accounts"].as_array().unwrap().len(), 1);
    assert_eq!(
        (&one["accounts"][0]["label"], &one["accounts"][0]["ok"]),
        (&json!("bravo"), &json!(true))
    );
    assert_eq!(
        code(d.call("accounts.check", json!({"account": "nope"})).await),
        ErrorCode::NotFound
    );
    for bad in [
        json!({}),
        json!({"account": "alpha", "all": true}),
        json!({"all": true, "x": 1}),
    ] {
        assert_eq!(
            code(d.call("accounts.check", bad.clone()).await),
            ErrorCode::InvalidParams,
            "{bad}"
        );
    }

    // status --json right after: schema-valid, the reading fresh and not stale.
    let doc = d.status().await;
    assert_valid(&doc);
    let alpha = row(&doc, "alpha");
    assert_eq!(alpha["quota"]["stale"], false);
    assert_eq!(alpha["quota"]["primary"]["used_percent"], 42.0);
    assert_eq!(alpha["reset_early_at"], Value::Null);
    assert!(doc["counters"]["usage_polls"].as_u64().unwrap() >= 2);
    assert_eq!(
        doc["pool"],
        json!({"next_account_back_at": null, "lasts_s": null}),
        "nothing spent yet, nobody waiting"
    );
    d.stop().await.unwrap();
}

// A window the upstream reset early ends the account's cooldown; through `accounts check` the
// reset shows at once, in the check's answer and in status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_that_sees_a_reset_window_ends_the_cooldown() {
    let d = Daemon::start(Setup::accounts(&["alpha", "bravo"]).rotation("strategy = \"fill-first\"")).await;
    // The poller's first round is over, so the check below is the poll that sees the reset.
    counter_reaches(&d, "usage_polls", 2).await;
    d.fake.set_usage("alpha", UsageState::used("pro", 100.0, 100.0));
    d.fake.script("alpha", Behavior::usage_limit_in(3 * 86_400));
    assert_eq!(d.request().await.account(), Some("bravo"));
    let doc = d.status().await;
    assert_valid(&doc);
    let until = row(&doc, "alpha")["until"].as_str().unwrap().to_owned();
    assert_eq!(doc["pool"]["next_account_back_at"], until.as_str());

    d.fake.set_usage("alpha", UsageState::used("pro", 2.0, 30.0));
    let res = d
        .call("accounts.check", json!({"account": "alpha"}))
        .await
        .unwrap();
    let alpha = &res["accounts"][0];
    assert_eq!(
        (&alpha["ok"], &alpha["reset_early"]),
        (&json!(true), &json!(true)),
        "{alpha}"
    );
    let doc = d.status().await;
    assert_valid(&doc);
    let alpha = row(&doc, "alpha");
    assert_eq!(
        (&alpha["state"], &alpha["until"]),
        (&json!("ready"), &Value::Null)
    );
    assert!(alpha["reset_early_at"].is_string(), "{alpha}");
    assert_eq!(doc["counters"]["early_resets"], 1);
    assert_eq!(doc["pool"]["next_account_back_at"], Value::Null);
    d.stop().await.unwrap();
}

// Readings survive a restart, and a reading older than two poll intervals is reported stale, not
// as fact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readings_survive_a_restart_and_an_old_one_is_stale() {
    let quota = "[quota]\npoll_interval = \"10s\"";
    let d = Daemon::start(Setup::accounts(&["alpha"]).extra(quota)).await;
    d.fake.set_usage("alpha", UsageState::used("pro", 61.0, 17.0));
    let res = d.call("accounts.check", json!({"all": true})).await.unwrap();
    assert_eq!(res["accounts"][0]["ok"], true, "{res}");
    let doc = d.status().await;
    assert_valid(&doc);
    let before = row(&doc, "alpha")["quota"].clone();
    assert_eq!(
        (&before["stale"], &before["primary"]["used_percent"]),
        (&json!(false), &json!(61.0))
    );

    // Down for an hour: the saved reading is an hour old when the next daemon starts, and the
    // upstream is unreachable, so no poll can replace it.
    let mut setup = d.setup.clone();
    setup
        .env
        .push(("CODEX_ROUTER_UPSTREAM".into(), "http://127.0.0.1:1".into()));
    let d = d
        .restart(setup, |paths| {
            age_readings(&paths.state, Duration::from_secs(3600))
        })
        .await;
    let doc = d.status().await;
    assert_valid(&doc);
    let q = &row(&doc, "alpha")["quota"];
    assert_eq!(q["source"], "usage");
    for key in ["used_percent", "window_minutes", "resets_at"] {
        assert_eq!(q["primary"][key], before["primary"][key], "{key}");
    }
    assert_eq!(q["secondary"]["used_percent"], 17.0);
    assert!(q["age_s"].as_u64().unwrap() >= 3600, "{q}");
    assert_eq!(q["stale"], true, "{q}");

    // A check now fails (the upstream is down) and says so; the old reading stays, stale.
    let res = d
        .call("accounts.check", json!({"account": "alpha"}))
        .await
        .unwrap();
    let alpha = &res["accounts"][0];
    assert_eq!(alpha["ok"], false);
    assert!(
        alpha["error"].as_str().unwrap().contains("usage request failed"),
        "{alpha}"
    );
    assert_eq!(alpha["quota"]["stale"], true);
    assert!(
        d.status().await["counters"]["usage_poll_failures"]
            .as_u64()
            .unwrap()
            >= 1
    );
    d.stop().await.unwrap();
}

// `pool.lasts_s` from real readings: one saved ten minutes ago, one read now by a check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_lasts_at_the_pace_between_two_readings() {
    // Fixed reset times: both readings belong to the same instance of each window.
    let reset = Window::new(0.0, 300, 4 * 3600).reset_at;
    let week = Window::new(0.0, 10080, 5 * 86_400).reset_at;
    let usage = |used: f64| UsageState {
        primary: Some(Window {
            used_percent: used,
            window_minutes: 300,
            reset_at: reset,
        }),
        secondary: Some(Window {
            used_percent: 50.0,
            window_minutes: 10080,
            reset_at: week,
        }),
        plan_type: "pro".into(),
    };
    let d = Daemon::start(Setup::accounts(&["alpha"])).await;
    d.fake.set_usage("alpha", usage(10.0));
    d.call("accounts.check", json!({"all": true})).await.unwrap();

    // The next daemon starts with that reading ten minutes old and an upstream it cannot reach,
    // so the poller cannot add readings of its own; status sees the old one.
    let setup = Setup {
        upstream: Some("http://127.0.0.1:1/backend-api".into()),
        ..d.setup.clone()
    };
    let d = d
        .restart(setup, |paths| {
            age_readings(&paths.state, Duration::from_secs(600))
        })
        .await;
    let doc = d.status().await;
    assert_eq!(doc["pool"]["lasts_s"], Value::Null, "one reading is no pace");

    // Back on the fake (a reload applies to checks), 20 % more spent: 67 % left at 20 % per
    // ten minutes is 2010 s (plus the restart's moment, which lengthens the span).
    d.write_config("127.0.0.1:0", &[]);
    d.call("config.reload", json!({})).await.unwrap();
    d.fake.set_usage("alpha", usage(30.0));
    let res = d.call("accounts.check", json!({"all": true})).await.unwrap();
    assert_eq!(res["accounts"][0]["ok"], true, "{res}");
    let doc = d.status().await;
    assert_valid(&doc);
    let lasts = doc["pool"]["lasts_s"].as_u64().unwrap();
    assert!((2010..=2050).contains(&lasts), "{lasts}");
    d.stop().await.unwrap();
}

/// Moves every saved reading `by` into the past, as if the daemon had been down that long.
fn age_readings(state: &std::path::Path, by: Duration) {
    let mut doc: Value = serde_json::from_slice(&std::fs::read(state).unwrap()).unwrap();
    for (_, account) in doc["accounts"].as_object_mut().unwrap() {
        let read_at = &mut account["quota"]["read_at"];
        let t = Timestamp::parse_rfc3339(read_at.as_str().unwrap()).unwrap();
        *read_at = json!(t.minus(by).to_rfc3339());
    }
    std::fs::write(state, serde_json::to_vec(&doc).unwrap()).unwrap();
}
