use codex_router_protocol::methods::CheckOutcome;
use serde_json::{Value, json};

use super::*;

fn outcome(label: &str, ok: bool, error: Option<&str>, quota: Value, reset_early: bool) -> CheckOutcome {
    CheckOutcome {
        id: format!("{label}-id"),
        label: label.into(),
        ok,
        error: error.map(Into::into),
        quota: serde_json::from_value(quota).unwrap(),
        reset_early,
    }
}

#[test]
fn snapshot_of_a_check() {
    let now = Timestamp::parse_rfc3339("2026-01-01T01:00:00Z").unwrap();
    let fresh = json!({"primary": {"used_percent": 2.0, "window_minutes": 300, "resets_at": "2026-01-01T05:59:00Z"},
                       "secondary": {"used_percent": 30.0, "window_minutes": 10080, "resets_at": "2026-01-04T00:00:00Z"},
                       "source": "usage", "read_at": "2026-01-01T01:00:00Z", "age_s": 0, "stale": false});
    let old = json!({"primary": {"used_percent": 88.0, "window_minutes": 300, "resets_at": "2026-01-01T02:00:00Z"},
                     "secondary": null, "source": "headers", "read_at": "2026-01-01T00:20:00Z", "age_s": 2400,
                     "stale": true});
    let result = CheckResult {
        accounts: vec![
            outcome("pro-1", true, None, fresh, true),
            outcome("team-1", false, Some("usage answer had status 500"), old, false),
            outcome(
                "spare",
                false,
                Some("the account needs a new login"),
                Value::Null,
                false,
            ),
        ],
    };
    let expected = [
        "LABEL   CHECK            PRIMARY                                    SECONDARY                              READING",
        "pro-1   ok, reset early  5h [----------] 2%, resets in 4h 59m       7d [###-------] 30%, resets in 2d 23h  usage 0s ago",
        "team-1  failed           5h [########--] was 88%, resets in 1h 00m  -                                      stale 40m",
        "spare   failed           -                                          -                                      -",
        "",
        "pro-1: the window reset before its announced time; the account is usable again",
        "team-1 (team-1-id): check failed: usage answer had status 500",
        "spare (spare-id): check failed: the account needs a new login",
        "",
    ]
    .join("\n");
    assert_eq!(render(&result, now), expected);
}

#[test]
fn an_empty_pool_says_so() {
    let now = Timestamp::from_unix_secs(0);
    assert_eq!(
        render(&CheckResult { accounts: vec![] }, now),
        "no accounts to check\n"
    );
}
