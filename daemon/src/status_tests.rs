use std::time::Duration;

use codex_router_core::Timestamp;
use codex_router_core::account::{CoolReason, State};
use codex_router_core::pool::{AccountMeta, Pool, PoolConfig};
use codex_router_core::quota::{QuotaReading, QuotaSource, QuotaWindow};
use codex_router_runtime::StorageInfo;
use serde_json::json;

use super::*;

const T0: Timestamp = Timestamp::from_unix_secs(1_789_000_000);

fn facts() -> DaemonFacts {
    DaemonFacts {
        pid: 4242,
        version: "0.1.0",
        instance_id: "00ff".into(),
        started_at: T0,
        listen: "127.0.0.1:2456".parse().unwrap(),
        socket: "/h/run/codexctl.sock".into(),
        bind_dir: "/h/bind".into(),
        codex_config: Some("/c/config.toml".into()),
    }
}

fn storage(state: &'static str, kept_aside: Option<&str>) -> StorageInfo {
    StorageInfo {
        state,
        path: "/h/accounts.json".into(),
        kept_aside: kept_aside.map(Into::into),
        reason: kept_aside.map(|_| "line 1, column 2: expected value".to_owned()),
    }
}

const Q: QuotaContext = QuotaContext {
    stale_after: Duration::from_secs(600),
    lasts: None,
};

fn unbound() -> Binding {
    crate::binding::read(
        std::path::Path::new("/nonexistent/bind"),
        Some("/c/config.toml".as_ref()),
        2456,
        &codex_router_core::Secret::new("k"),
    )
}

#[test]
fn empty_pool_has_hint_and_nulls() {
    let snap = Pool::new(PoolConfig::default()).snapshot(T0);
    let now = T0.plus(Duration::from_millis(42_900));
    let doc = serde_json::to_value(build(
        &facts(),
        &snap,
        &storage("missing", None),
        unbound(),
        &Q,
        now,
    ))
    .unwrap();
    assert_eq!(
        doc["daemon"],
        json!({"pid":4242,"version":"0.1.0","instance_id":"00ff","started_at":"2026-09-10T00:26:40Z",
               "uptime_s":42,"listen":"127.0.0.1:2456","socket":"/h/run/codexctl.sock"})
    );
    assert_eq!(
        doc["binding"],
        json!({"bound":false,"config_path":"/c/config.toml","port":null,"matches_daemon":false,"bypassed_by":[],
               "key_matches":null,"state":"missing","remote_compaction":false,"error":null})
    );
    assert_eq!(
        doc["storage"],
        json!({"state":"missing","path":"/h/accounts.json","kept_aside":null,"reason":null})
    );
    assert_eq!(doc["last_account"], json!(null));
    assert_eq!(doc["last_error"], json!(null));
    assert_eq!(doc["accounts"], json!([]));
    assert_eq!(
        doc["pool"],
        json!({"next_account_back_at": null, "lasts_s": null})
    );
    let hint = doc["hint"].as_str().unwrap();
    assert!(
        hint.contains("codexctl accounts login") && hint.contains("codexctl accounts import"),
        "{hint}"
    );
    let counters = doc["counters"].as_object().unwrap();
    assert_eq!(counters.len(), 13);
    assert!(counters.values().all(|v| v == &json!(0)));
}

#[test]
fn corrupt_storage_hint_names_the_kept_aside_file() {
    let snap = Pool::new(PoolConfig::default()).snapshot(T0);
    let st = storage("corrupt", Some("/h/accounts.json.corrupt-1"));
    let doc = serde_json::to_value(build(&facts(), &snap, &st, unbound(), &Q, T0)).unwrap();
    assert_eq!(doc["storage"]["kept_aside"], "/h/accounts.json.corrupt-1");
    assert!(
        doc["hint"]
            .as_str()
            .unwrap()
            .contains("/h/accounts.json.corrupt-1")
    );
}

#[test]
fn account_rows_carry_cooldowns_and_quota_without_hint() {
    let mut pool = Pool::new(PoolConfig::default());
    let meta = |id: &str, label: &str| AccountMeta {
        id: id.into(),
        label: label.into(),
        plan_type: Some("pro".into()),
        enabled: true,
        status: Default::default(),
    };
    pool.sync_accounts(vec![meta("a1", "pro-1"), meta("b2", "pro-2")]);
    let until = T0.plus(Duration::from_secs(3600));
    pool.account_mut("a1")
        .unwrap()
        .cool_until(CoolReason::UsageLimit, until);
    pool.set_quota(
        "a1",
        QuotaReading {
            primary: Some(QuotaWindow {
                used_percent: 100.0,
                window_minutes: Some(300),
                resets_at: Some(until),
            }),
            secondary: None,
            source: QuotaSource::Headers,
            read_at: T0,
            plan_type: None,
        },
    );
    let snap = pool.snapshot(T0);
    assert_eq!(snap.accounts[0].state, State::RateLimited);
    let doc = serde_json::to_value(build(&facts(), &snap, &storage("ok", None), unbound(), &Q, T0)).unwrap();
    assert!(doc.get("hint").is_none());
    assert_eq!(
        doc["accounts"][0],
        json!({"id":"a1","label":"pro-1","state":"rate_limited","state_reason":"usage_limit",
               "until":"2026-09-10T01:26:40Z","plan_type":"pro",
               "quota":{"primary":{"used_percent":100.0,"window_minutes":300,"resets_at":"2026-09-10T01:26:40Z",
                                   "resets_in_s":3600},
                        "secondary":null,"source":"headers","read_at":"2026-09-10T00:26:40Z",
                        "age_s":0,"stale":false},
               "requests":0,"failures":0,"in_flight":0,"last_used":null,"reset_early_at":null})
    );
    assert_eq!(doc["accounts"][1]["state"], "ready");
    assert_eq!(doc["accounts"][1]["quota"], json!(null));
}

fn reading(used: f64, resets_at: Timestamp, read_at: Timestamp) -> QuotaReading {
    QuotaReading {
        primary: Some(QuotaWindow {
            used_percent: used,
            window_minutes: Some(300),
            resets_at: Some(resets_at),
        }),
        secondary: None,
        source: QuotaSource::Usage,
        read_at,
        plan_type: None,
    }
}

// A stale reading is not shown as fact: one older than two poll intervals is reported stale.
#[test]
fn quota_age_staleness_countdowns_and_the_pool_object() {
    let mut pool = Pool::new(PoolConfig::default());
    let meta = |id: &str| AccountMeta {
        id: id.into(),
        label: id.into(),
        plan_type: None,
        enabled: true,
        status: Default::default(),
    };
    pool.sync_accounts(vec![meta("a"), meta("b"), meta("c"), meta("d")]);
    let now = T0.plus(Duration::from_secs(3600));
    let reset = now.plus(Duration::from_secs(7200));
    pool.set_quota("a", reading(40.0, reset, now.minus(Duration::from_secs(600))));
    pool.set_quota(
        "b",
        reading(
            10.0,
            now.minus(Duration::from_secs(5)),
            now.minus(Duration::from_secs(601)),
        ),
    );
    // c is rate limited for 40 minutes, d cools down for 2 minutes after a server error.
    let c = pool.account_mut("c").unwrap();
    c.cool_until(CoolReason::UsageLimit, now.plus(Duration::from_secs(2400)));
    c.reset_early_at = Some(T0);
    pool.account_mut("d")
        .unwrap()
        .cool_until(CoolReason::ServerError, now.plus(Duration::from_secs(120)));
    let snap = pool.snapshot(now);
    let ctx = QuotaContext {
        stale_after: Duration::from_secs(600),
        lasts: Some(Duration::from_millis(5_400_900)),
    };
    let doc =
        serde_json::to_value(build(&facts(), &snap, &storage("ok", None), unbound(), &ctx, now)).unwrap();
    let a = &doc["accounts"][0]["quota"];
    assert_eq!(
        (&a["age_s"], &a["stale"]),
        (&json!(600), &json!(false)),
        "exactly two intervals is not stale"
    );
    assert_eq!(a["primary"]["resets_in_s"], 7200);
    let b = &doc["accounts"][1]["quota"];
    assert_eq!((&b["age_s"], &b["stale"]), (&json!(601), &json!(true)));
    assert_eq!(
        b["primary"]["resets_in_s"], 0,
        "a reset in the past counts down no further"
    );
    assert_eq!(doc["accounts"][2]["reset_early_at"], "2026-09-10T00:26:40Z");
    assert_eq!(
        doc["pool"],
        json!({"next_account_back_at": "2026-09-10T01:28:40Z", "lasts_s": 5400})
    );
}
