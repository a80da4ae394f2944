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
                     "refresh_failures": 0, "pool_exhausted": 0},
        "last_account": "pro-1",
        "last_error": {"at": "2026-01-01T00:58:00Z", "account": "team-1", "kind": "rate_limited",
                       "http_status": 429},
        "accounts": [
            {"id": "a1", "label": "pro-1", "state": "ready", "state_reason": null, "until": null,
             "plan_type": "pro",
             "quota": {"primary": {"used_percent": 12.0, "window_minutes": 300,
                                   "resets_at": "2026-01-01T03:03:00Z"},
                       "secondary": {"used_percent": 3.0, "window_minutes": 10080,
                                     "resets_at": "2026-01-06T01:00:00Z"},
                       "source": "headers", "read_at": "2026-01-01T00:59:00Z"},
             "requests": 10, "failures": 0, "in_flight": 1, "last_used": "2026-01-01T00:59:00Z"},
            {"id": "c3", "label": "team-1", "state": "rate_limited", "state_reason": "usage_limit",
             "until": "2026-01-01T05:00:00Z", "plan_type": "team", "quota": null,
             "requests": 2, "failures": 2, "in_flight": 0, "last_used": null}
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
    assert!(out.contains("12% of 5h, resets in 2h 03m"), "{out}");
    assert!(out.contains("3% of 7d, resets in 5d 0h"), "{out}");
    assert!(out.contains("rate_limited (usage_limit)  in 4h 00m"), "{out}");
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
fn missing_fields_show_as_dashes_and_non_objects_are_quoted_raw() {
    let out = render(&json!({"accounts": [{"label": "x"}]}), at_one_hour()).unwrap();
    assert!(out.contains("pid -, version -"), "{out}");
    // review #36
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
