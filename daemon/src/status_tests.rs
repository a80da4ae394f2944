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
    let doc =
        serde_json::to_value(build(&facts(), &snap, &storage("missing", None), unbound(), now)).unwrap();
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
    let doc = serde_json::to_value(build(&facts(), &snap, &st, unbound(), T0)).unwrap();
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
    let doc = serde_json::to_value(build(&facts(), &snap, &storage("ok", None), unbound(), T0)).unwrap();
    assert!(doc.get("hint").is_none());
    assert_eq!(
        doc["accounts"][0],
        json!({"id":"a1","label":"pro-1","state":"rate_limited","state_reason":"usage_limit",
               "until":"2026-09-10T01:26:40Z","plan_type":"pro",
               "quota":{"primary":{"used_percent":100.0,"window_minutes":300,"resets_at":"2026-09-10T01:26:40Z"},
                        "secondary":null,"source":"headers","read_at":"2026-09-10T00:26:40Z"},
               "requests":0,"failures":0,"in_flight":0,"last_used":null})
    );
    assert_eq!(doc["accounts"][1]["state"], "ready");
    assert_eq!(doc["accounts"][1]["quota"], json!(null));
}
