use codex_router_protocol::status::{QuotaView, WindowView};
use serde_json::json;

use super::*;

fn sample() -> Value {
    json!({
        "daemon": {"pid": 4242, "version": "0.1.0", "started_at": "2026-01-01T00:00:00Z", "uptime_s": 42,
                   "listen": "127.0.0.1:2456", "socket": "/h/run/codexctl.sock"},
        "binding": {"bound": true, "config_path": "/h/.codex/config.toml", "port": 2456,
                    "matches_daemon": true, "bypassed_by": []},
        "storage": {"state": "ok", "path": "/h/accounts.json", "kept_aside": null},
        "counters": {"total_requests": 12, "upstream_requests": 14, "retries": 2, "rotations": 1,
                     "streams_started": 10, "streams_completed": 9, "streams_failed": 1, "refreshes": 0,
                     "refresh_failures": 0, "pool_exhausted": 0, "early_resets": 1, "usage_polls": 30,
                     "usage_poll_failures": 2},
        "last_account": "pro-1",
        "last_error": {"at": "2026-01-01T00:58:00Z", "account": "team-1", "kind": "rate_limited",
                       "http_status": 429},
        "pool": {"next_account_back_at": "2026-01-01T01:42:00Z", "lasts_s": 18_500},
        "accounts": [
            {"id": "a1", "label": "pro-1", "state": "ready", "state_reason": null, "until": null,
             "plan_type": "pro",
             "quota": {"primary": {"used_percent": 72.0, "window_minutes": 300,
                                   "resets_at": "2026-01-01T04:12:00Z", "resets_in_s": 11_520},
                       "secondary": {"used_percent": 3.0, "window_minutes": 10080,
                                     "resets_at": "2026-01-06T01:00:00Z", "resets_in_s": 432_000},
                       "source": "headers", "read_at": "2026-01-01T00:59:50Z", "age_s": 10, "stale": false},
             "requests": 10, "failures": 0, "in_flight": 1, "last_used": "2026-01-01T00:59:00Z",
             "reset_early_at": null},
            {"id": "c3", "label": "team-1", "state": "rate_limited", "state_reason": "usage_limit",
             "until": "2026-01-01T01:42:00Z", "plan_type": "team", "quota": null,
             "requests": 2, "failures": 2, "in_flight": 0, "last_used": null, "reset_early_at": null},
            {"id": "e5", "label": "plus-1", "state": "ready", "state_reason": null, "until": null,
             "plan_type": "plus",
             "quota": {"primary": {"used_percent": 4.0, "window_minutes": 300,
                                   "resets_at": "2026-01-01T05:30:00Z", "resets_in_s": 16_200},
                       "secondary": {"used_percent": 55.5, "window_minutes": 10080,
                                     "resets_at": "2026-01-03T00:00:00Z", "resets_in_s": 169_200},
                       "source": "usage", "read_at": "2026-01-01T00:58:00Z", "age_s": 120, "stale": false},
             "requests": 0, "failures": 0, "in_flight": 0, "last_used": null,
             "reset_early_at": "2026-01-01T00:48:00Z"},
            {"id": "f7", "label": "old-1", "state": "disabled", "state_reason": "user", "until": null,
             "plan_type": "pro",
             "quota": {"primary": {"used_percent": 97.0, "window_minutes": 300,
                                   "resets_at": "2026-01-01T00:55:50Z", "resets_in_s": 0},
                       "secondary": {"used_percent": 20.0, "window_minutes": 10080,
                                     "resets_at": "2026-01-04T00:00:00Z", "resets_in_s": 255_600},
                       "source": "usage", "read_at": "2026-01-01T00:29:00Z", "age_s": 1860, "stale": true},
             "requests": 3, "failures": 0, "in_flight": 0, "last_used": "2025-12-31T20:00:00Z",
             "reset_early_at": "2025-12-31T12:00:00Z"}
        ]
    })
}

fn at_one_hour() -> Timestamp {
    Timestamp::parse_rfc3339("2026-01-01T01:00:00Z").unwrap()
}

#[test]
fn renders_every_part_of_the_snapshot() {
    let out = render(&sample(), at_one_hour()).unwrap();
    assert!(
        out.contains("pid 4242, version 0.1.0, up 1h 00m, listening on 127.0.0.1:2456"),
        "{out}"
    );
    assert!(
        out.contains("bound: Codex sends its requests to port 2456"),
        "{out}"
    );
    assert!(!out.contains("storage"), "ok storage needs no line: {out}");
    assert!(
        out.contains("12 requests, 14 upstream calls, 2 retries, 1 rotations"),
        "{out}"
    );
    assert!(
        out.contains("error 2m 00s ago on team-1: rate_limited (HTTP 429)"),
        "{out}"
    );
    assert!(out.contains("5h [#######---] 72%, resets in 3h 12m"), "{out}");
    assert!(out.contains("7d [----------] 3%, resets in 5d 0h"), "{out}");
    assert!(out.contains("rate_limited (usage_limit)  in 42m 00s"), "{out}");
    assert!(out.contains("1m 00s ago"), "{out}");
}

#[test]
fn no_accounts_says_how_to_add_one() {
    let mut s = sample();
    s["accounts"] = json!([]);
    let out = render(&s, at_one_hour()).unwrap();
    assert!(out.contains("codexctl accounts login"), "{out}");
}

#[test]
fn members_added_later_may_be_missing_and_other_replies_are_quoted_raw() {
    let mut s = sample();
    for k in ["pool", "websocket", "codex_login", "codex_links"] {
        s.as_object_mut().unwrap().remove(k);
    }
    let out = render(&s, at_one_hour()).unwrap();
    assert!(out.contains("pid 4242"), "{out}");
    let err = render(&json!(["not", "a", "status"]), at_one_hour()).unwrap_err();
    assert!(err.to_string().contains(r#"["not","a","status"]"#), "{err}");
}

#[test]
fn corrupt_storage_is_called_out() {
    let mut s = sample();
    s["storage"] =
        json!({"state": "corrupt", "path": "/h/accounts.json", "kept_aside": "/h/accounts.json.corrupt-1"});
    let out = render(&s, at_one_hour()).unwrap();
    assert!(out.contains("kept aside as /h/accounts.json.corrupt-1"), "{out}");
}

/// The status table renders readable bars and countdowns: the whole screen, byte for byte, at a
/// fixed `now`. Four accounts cover a fresh headers reading, no reading, a usage reading after an
/// early reset, and a stale reading whose 5-hour window has reset since (no percentage shown for
/// it).
#[test]
fn snapshot_of_bars_countdowns_readings_and_the_pool_line() {
    let expected = [
        "daemon    running: pid 4242, version 0.1.0, up 1h 00m, listening on 127.0.0.1:2456",
        "binding   bound: Codex sends its requests to port 2456 (/h/.codex/config.toml)",
        "counters  12 requests, 14 upstream calls, 2 retries, 1 rotations; streams 10 started, 9 completed, \
         1 failed; refreshes 0 (0 failed); pool exhausted 0; usage polls 30 (2 failed), early resets 1",
        "last      account pro-1; error 2m 00s ago on team-1: rate_limited (HTTP 429)",
        "pool      lasts ~5h at the current pace; next account back in 42m 00s",
        "",
        "#  LABEL   STATE                       UNTIL       PRIMARY                                \
         SECONDARY                                  READING          REQ  FAIL  IN-FLIGHT  LAST USED",
        "1  pro-1   ready                       -           5h [#######---] 72%, resets in 3h 12m  \
         7d [----------] 3%, resets in 5d 0h        headers 10s ago  10   0     1          1m 00s ago",
        "2  team-1  rate_limited (usage_limit)  in 42m 00s  -                                      \
         -                                          -                2    2     0          -",
        "3  plus-1  ready, reset early 12m ago  -           5h [----------] 4%, resets in 4h 30m   \
         7d [#####-----] 56%, resets in 1d 23h      usage 2m ago     0    0     0          -",
        "4  old-1   disabled (user)             -           5h reset 4m 10s ago                    \
         7d [##--------] was 20%, resets in 2d 23h  stale 31m        3    0     0          5h 00m ago",
        "",
    ]
    .join("\n");
    assert_eq!(render(&sample(), at_one_hour()).unwrap(), expected);
}

#[test]
fn quota_cells() {
    use super::quota::*;
    let now = at_one_hour();
    assert_eq!(bar(0.0), "[----------] 0%");
    assert_eq!(
        bar(99.6),
        "[#########-] 100%",
        "only an exhausted window fills the bar"
    );
    assert_eq!(bar(100.0), "[##########] 100%");
    assert_eq!(bar(130.0), "[##########] 130%");
    assert_eq!(bar(f64::NAN), "[----------] NaN%");
    fn typed<T: serde::de::DeserializeOwned>(v: Value) -> T {
        serde_json::from_value(v).unwrap()
    }
    let w: WindowView = typed(json!({"used_percent": 72.4, "window_minutes": 300, "resets_at": null}));
    assert_eq!(window_cell(Some(&w), false, now), "5h [#######---] 72%");
    let w: WindowView = typed(json!({"used_percent": 5, "window_minutes": null, "resets_at": null}));
    assert_eq!(window_cell(Some(&w), true, now), "[----------] was 5%");
    assert_eq!(window_cell(None, false, now), "-");
    let q: QuotaView = typed(json!({"primary": null, "secondary": null, "source": "usage",
                                    "read_at": "2025-12-31T23:00:00Z", "age_s": 7200}));
    assert_eq!(reading_cell(Some(&q), now), "usage 2h ago");
    let q: QuotaView = typed(json!({"primary": null, "secondary": null, "source": "usage",
                                    "read_at": "2025-12-31T00:00:00Z", "age_s": 90_000, "stale": true}));
    assert_eq!(reading_cell(Some(&q), now), "stale 1d");
    assert_eq!(reading_cell(None, now), "-");
    let pool = |lasts: Value, back: Value| {
        pool_line(
            &typed(json!({"lasts_s": lasts, "next_account_back_at": back})),
            now,
        )
    };
    assert_eq!(
        pool(json!(null), json!(null)),
        "too little recent usage to tell how long it lasts; no account is waiting to come back"
    );
    assert_eq!(
        pool(json!(30), json!("2026-01-01T01:00:00Z")),
        "lasts under a minute at the current pace; next account back now"
    );
    assert_eq!(
        pool(json!(2_400), json!(null)).split(';').next().unwrap(),
        "lasts ~40m at the current pace"
    );
    assert_eq!(
        pool(json!(200_000), json!(null)).split(';').next().unwrap(),
        "lasts ~2d 8h at the current pace"
    );
}

// Linked auth.json drift shows in status: the table says when Codex's linked auth.json is left
// alone, with the fix.
#[test]
fn a_linked_auth_json_left_alone_gets_a_line_with_its_fix() {
    let mut doc = sample();
    doc["codex_links"] = json!([
        {"account": "a", "path": "/h/.codex/auth.json", "state": "ok", "message": null, "fix": null},
        {"account": "b", "path": "/h/.codex/auth.json", "state": "other_account",
         "message": "Codex's /h/.codex/auth.json now holds another account", "fix": "run `codexctl accounts import`"}
    ]);
    let text = render(&doc, at_one_hour()).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("codex auth")).collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert!(
        lines[0].contains("now holds another account (other_account). Fix: run `codexctl accounts import`"),
        "{text}"
    );
}

#[test]
fn websocket_traffic_and_codexs_own_login_get_a_line_each_when_present() {
    let mut s = sample();
    let out = render(&s, at_one_hour()).unwrap();
    assert!(
        !out.contains("websocket") && !out.contains("codex login"),
        "{out}"
    );
    s["websocket"] = json!({"open": 2, "connections": 5, "responses": 40, "incremental": 30, "full_resends": 1,
                            "forced_reconnects": 0, "http_fallbacks": 0, "context_bytes": 204_800});
    s["codex_login"] = json!({"signed_in": true, "account": "pro-1", "in_pool": true, "spared": true});
    let out = render(&s, at_one_hour()).unwrap();
    assert!(
        out.contains("websocket 2 open (5 since start); 40 responses, 30 incremental, 1 re-sent in full"),
        "{out}"
    );
    assert!(out.contains("200 KiB of context kept"), "{out}");
    assert!(out.contains("codex login pro-1 (in the pool, spared"), "{out}");
    s["codex_login"] = json!({"signed_in": false, "account": null, "in_pool": false, "spared": false});
    let out = render(&s, at_one_hour()).unwrap();
    assert!(out.contains("Codex is signed out: run `codex login`"), "{out}");
}
