use codex_router_core::Timestamp;
use serde_json::json;

use super::*;

fn doc() -> StatusDoc {
    let at = Timestamp::from_unix_ms(1_789_435_516_000);
    StatusDoc {
        daemon: DaemonSection {
            pid: 7,
            version: "0.1.0".to_owned(),
            instance_id: "i".to_owned(),
            started_at: at,
            uptime_s: 3,
            listen: "127.0.0.1:2456".to_owned(),
            socket: "/s".to_owned(),
        },
        binding: BindingView {
            config_path: Some("/c".to_owned()),
            state: "missing".to_owned(),
            ..BindingView::default()
        },
        storage: StorageSection {
            state: "ok".to_owned(),
            path: "/a".to_owned(),
            kept_aside: None,
            reason: None,
        },
        counters: Counters::default(),
        last_account: None,
        last_error: None,
        pool: PoolView::default(),
        accounts: vec![AccountRow {
            id: "id".to_owned(),
            label: "a".to_owned(),
            state: "ready".to_owned(),
            state_reason: None,
            until: None,
            plan_type: None,
            quota: Some(QuotaView {
                primary: Some(WindowView {
                    used_percent: 12.0,
                    window_minutes: Some(300),
                    resets_at: Some(at),
                    resets_in_s: Some(5),
                }),
                secondary: None,
                source: "headers".to_owned(),
                read_at: at,
                age_s: 0,
                stale: false,
            }),
            requests: 1,
            failures: 0,
            in_flight: 0,
            last_used: Some(at),
            reset_early_at: None,
        }],
        websocket: WsCounters::default(),
        codex_login: None,
        codex_links: Vec::new(),
        hint: None,
    }
}

/// The member order and nullability are a contract (SPEC §9): pinned here, to the byte.
#[test]
fn the_document_keeps_its_shape() {
    let text = serde_json::to_string(&doc()).unwrap();
    let at = "2026-09-15T01:25:16Z";
    let expected = json!({
        "daemon": {"pid": 7, "version": "0.1.0", "instance_id": "i", "started_at": at, "uptime_s": 3,
                   "listen": "127.0.0.1:2456", "socket": "/s"},
        "binding": {"bound": false, "config_path": "/c", "port": null, "matches_daemon": false,
                    "bypassed_by": [], "key_matches": null, "state": "missing",
                    "remote_compaction": false, "error": null},
        "storage": {"state": "ok", "path": "/a", "kept_aside": null, "reason": null},
        "counters": {"total_requests": 0, "upstream_requests": 0, "retries": 0, "rotations": 0,
                     "streams_started": 0, "streams_completed": 0, "streams_failed": 0, "refreshes": 0,
                     "refresh_failures": 0, "pool_exhausted": 0, "early_resets": 0, "usage_polls": 0,
                     "usage_poll_failures": 0},
        "last_account": null,
        "last_error": null,
        "pool": {"next_account_back_at": null, "lasts_s": null},
        "accounts": [{"id": "id", "label": "a", "state": "ready", "state_reason": null, "until": null,
                      "plan_type": null,
                      "quota": {"primary": {"used_percent": 12.0, "window_minutes": 300, "resets_at": at,
                                            "resets_in_s": 5},
                                "secondary": null, "source": "headers", "read_at": at, "age_s": 0,
                                "stale": false},
                      "requests": 1, "failures": 0, "in_flight": 0, "last_used": at,
                      "reset_early_at": null}],
        "websocket": {"open": 0, "connections": 0, "responses": 0, "incremental": 0, "full_resends": 0,
                      "forced_reconnects": 0, "http_fallbacks": 0, "context_bytes": 0},
        "codex_login": null,
        "codex_links": []
    });
    assert_eq!(text, expected.to_string());
    let back: StatusDoc = serde_json::from_str(&text).unwrap();
    assert_eq!(back, doc());
}

/// A document from before `pool`, `websocket`, `codex_login` and `codex_links` still decodes.
#[test]
fn an_older_document_decodes() {
    let mut v = serde_json::to_value(doc()).unwrap();
    let obj = v.as_object_mut().unwrap();
    for k in ["pool", "websocket", "codex_login", "codex_links"] {
        obj.remove(k);
    }
    obj["binding"].as_object_mut().unwrap().remove("state");
    let back: StatusDoc = serde_json::from_value(v).unwrap();
    assert_eq!(back.binding.state, "unknown");
    assert_eq!(back.websocket, WsCounters::default());
}
