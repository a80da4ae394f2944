//! Rejections: every bad value, type, key and environment variable is an error that names it.

use super::*;
use crate::tests::{env_err, err_of, no_env};

#[test]
fn invalid_values_name_the_key_the_value_and_the_accepted_form() {
    assert_eq!(
        err_of("[rotation]\nmax_attempts = 0\n"),
        r#"rotation.max_attempts: expected an integer >= 1, got "0""#
    );
    let cases = [
        ("[proxy]\nmax_body_bytes = 0", "proxy.max_body_bytes", "\"0\""),
        ("[proxy]\nmax_body_bytes = -5", "proxy.max_body_bytes", "\"-5\""),
        ("[proxy]\nhold_events = 0", "proxy.hold_events", "integer >= 1"),
        (
            "[proxy]\nhold_events = 4294967296",
            "proxy.hold_events",
            "\"4294967296\"",
        ),
        (
            "[proxy]\nhold_timeout = \"0s\"",
            "proxy.hold_timeout",
            "duration > 0",
        ),
        (
            "[proxy]\ndrain_timeout = \"10\"",
            "proxy.drain_timeout",
            "unit (ms, s, m, h or d)",
        ),
        (
            "[proxy]\ndrain_timeout = \"10 seconds\"",
            "proxy.drain_timeout",
            "\"10 seconds\"",
        ),
        (
            "[upstream]\nbase_url = \"ftp://example.com\"",
            "upstream.base_url",
            "http(s) URL",
        ),
        (
            "[upstream]\nbase_url = \"not a url\"",
            "upstream.base_url",
            "\"not a url\"",
        ),
        (
            "[upstream]\nbase_url = \"https://x.test/a?b=c\"",
            "upstream.base_url",
            "without query",
        ),
        (
            "[upstream]\nconnect_timeout = \"-1s\"",
            "upstream.connect_timeout",
            "\"-1s\"",
        ),
        ("[oauth]\nissuer = \"https://\"", "oauth.issuer", "http(s) URL"),
        ("[oauth]\nclient_id = \"\"", "oauth.client_id", "non-empty"),
        (
            "[oauth]\nclient_id = \"a b\"",
            "oauth.client_id",
            "without spaces",
        ),
        (
            "[rotation]\nstrategy = \"random\"",
            "rotation.strategy",
            r#"one of "sticky", "round-robin""#,
        ),
        (
            "[rotation]\nmax_sessions = 0",
            "rotation.max_sessions",
            "integer >= 1",
        ),
        (
            "[rotation]\npreemptive_quota_percent = 0",
            "rotation.preemptive_quota_percent",
            "greater than 0",
        ),
        (
            "[rotation]\npreemptive_quota_percent = 100.5",
            "rotation.preemptive_quota_percent",
            "at most 100",
        ),
        (
            "[rotation]\npreemptive_quota_percent = nan",
            "rotation.preemptive_quota_percent",
            "\"NaN\"",
        ),
        (
            "[rotation]\nrate_limit_default = \"0ms\"",
            "rotation.rate_limit_default",
            "duration > 0",
        ),
        (
            "[rotation]\nbackoff_max = \"1s\"",
            "rotation.backoff_max",
            "at least rotation.server_error_base (4s)",
        ),
        (
            "[rotation]\nnetwork_error_base = \"10m\"",
            "rotation.backoff_max",
            "rotation.network_error_base (10m)",
        ),
        (
            "[rotation]\noutage_accounts = 0",
            "rotation.outage_accounts",
            "integer >= 1",
        ),
        (
            "[rotation]\noutage_window = \"1x\"",
            "rotation.outage_window",
            "\"1x\"",
        ),
        (
            "[quota]\npoll_interval = \"9s\"",
            "quota.poll_interval",
            "at least 10s",
        ),
        (
            "[quota]\npoll_interval = \"9999ms\"",
            "quota.poll_interval",
            "\"9999ms\"",
        ),
        ("[log]\nfilter = \"\"", "log.filter", "tracing filter"),
    ];
    for (text, key, needle) in cases {
        let err = load(Some(text), &no_env).unwrap_err();
        let msg = err.to_string();
        assert_eq!(err.key(), Some(key), "{text}: {msg}");
        assert!(msg.starts_with(&format!("{key}: expected ")), "{text}: {msg}");
        assert!(msg.contains(needle), "{text}: {msg}");
    }
}

#[test]
fn a_password_in_a_url_is_never_echoed() {
    let msg = err_of("[upstream]\nbase_url = \"https://u:hunter2@x.test/\"");
    assert!(msg.starts_with("upstream.base_url: "), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
}

// Wrong TOML types are rejected, naming the key.
#[test]
fn wrong_types_name_the_key() {
    let cases = [
        ("[proxy]\nlisten = 2456", "proxy.listen", "an integer (2456)"),
        (
            "[proxy]\nmax_body_bytes = \"64MiB\"",
            "proxy.max_body_bytes",
            "a string (\"64MiB\")",
        ),
        ("[proxy]\nhold_events = 1.5", "proxy.hold_events", "a float (1.5)"),
        (
            "[proxy]\nhold_timeout = 2",
            "proxy.hold_timeout",
            "an integer (2)",
        ),
        (
            "[upstream]\nbase_url = true",
            "upstream.base_url",
            "a boolean (true)",
        ),
        (
            "[upstream]\nidle_timeout = [\"1s\"]",
            "upstream.idle_timeout",
            "an array",
        ),
        ("[oauth]\nclient_id = 7", "oauth.client_id", "an integer (7)"),
        (
            "[rotation]\nstrategy = { name = \"sticky\" }",
            "rotation.strategy",
            "a table",
        ),
        (
            "[rotation]\nmax_attempts = \"4\"",
            "rotation.max_attempts",
            "a string (\"4\")",
        ),
        (
            "[rotation]\npreemptive_quota_percent = \"97\"",
            "rotation.preemptive_quota_percent",
            "a string",
        ),
        (
            "[quota]\npoll_interval = false",
            "quota.poll_interval",
            "a boolean (false)",
        ),
        ("[log]\nfilter = 1", "log.filter", "an integer (1)"),
        ("proxy = 5", "proxy", "expected a table ([proxy])"),
        ("rotation = \"sticky\"", "rotation", "a string"),
        ("[[quota]]\npoll_interval = \"1m\"", "quota", "an array"),
    ];
    for (text, key, needle) in cases {
        let err = load(Some(text), &no_env).unwrap_err();
        let msg = err.to_string();
        assert_eq!(err.key(), Some(key), "{text}: {msg}");
        assert!(msg.contains(needle), "{text}: {msg}");
    }
    // A bare number where a duration is expected says the accepted form.
    let msg = err_of("[proxy]\nhold_timeout = 2");
    assert!(
        msg.contains(r#"a string with an integer and a unit (ms, s, m, h or d), e.g. "45s""#),
        "{msg}"
    );
}

#[test]
fn unknown_keys_and_tables_are_errors_naming_them() {
    let err = load(Some("[proxy]\nlisten = \"127.0.0.1:1\"\nport = 1\n"), &no_env).unwrap_err();
    assert_eq!(err.key(), Some("proxy.port"));
    assert_eq!(
        err.to_string(),
        "proxy.port: unknown key; the keys of [proxy] are: listen, max_body_bytes, hold_events, hold_timeout, drain_timeout, ws_context_max_bytes"
    );
    let err = load(Some("[proxies]\nlisten = \"127.0.0.1:1\"\n"), &no_env).unwrap_err();
    assert_eq!(err.key(), Some("proxies"));
    assert!(
        err.to_string()
            .contains("the tables are: proxy, upstream, oauth, rotation, quota, log"),
        "{err}"
    );
    let err = load(Some("strategy = \"sticky\"\n"), &no_env).unwrap_err();
    assert_eq!(err.key(), Some("strategy"));
    let err = load(Some("[quota]\npoll = \"1m\"\n"), &no_env).unwrap_err();
    assert_eq!(
        err.to_string(),
        "quota.poll: unknown key; the keys of [quota] are: poll_interval"
    );
    let err = load(Some("rotation.max_attempt = 3\n"), &no_env).unwrap_err();
    assert_eq!(err.key(), Some("rotation.max_attempt"));
}

#[test]
fn syntax_errors_give_line_and_column() {
    let err = load(Some("[proxy]\nlisten = \n"), &no_env).unwrap_err();
    assert!(matches!(err, SettingsError::Syntax { line: 2, .. }), "{err:?}");
    assert!(err.to_string().starts_with("config.toml line 2, column"), "{err}");
    let err = load(Some("[proxy]\n[proxy]\n"), &no_env).unwrap_err();
    assert!(matches!(err, SettingsError::Syntax { .. }), "{err:?}");
}

#[test]
fn a_byte_order_mark_is_ignored() {
    let s = load(Some("\u{feff}[rotation]\nmax_attempts = 2\n"), &no_env).unwrap();
    assert_eq!(s.rotation.pool.max_attempts, 2);
}

#[test]
fn invalid_environment_values_name_the_variable_and_the_form() {
    let cases = [
        (
            "CODEX_ROUTER_LISTEN",
            "0.0.0.0:2456",
            "proxy.listen",
            "loopback host:port",
        ),
        ("CODEX_ROUTER_LISTEN", "2456", "proxy.listen", "\"2456\""),
        (
            "CODEX_ROUTER_UPSTREAM",
            "chatgpt.com",
            "upstream.base_url",
            "http(s) URL",
        ),
        (
            "CODEX_ROUTER_ISSUER",
            "file:///etc",
            "oauth.issuer",
            "http(s) URL",
        ),
        (
            "CODEX_AUTH_FETCH_TIMEOUT_MS",
            "60s",
            "upstream.headers_timeout",
            "milliseconds >= 1",
        ),
        (
            "CODEX_AUTH_FETCH_TIMEOUT_MS",
            "0",
            "upstream.headers_timeout",
            "\"0\"",
        ),
        (
            "CODEX_AUTH_STREAM_STALL_TIMEOUT_MS",
            "-1",
            "upstream.idle_timeout",
            "milliseconds",
        ),
        (
            "CODEX_AUTH_STREAM_STALL_TIMEOUT_MS",
            "1e3",
            "upstream.idle_timeout",
            "\"1e3\"",
        ),
        ("CODEX_ROUTER_LOG", "a\nb", "log.filter", "tracing filter"),
    ];
    for (var, value, key, needle) in cases {
        let msg = env_err(&[(var, value)]);
        assert!(
            msg.starts_with(&format!(
                "environment variable {var} (overrides {key}): expected "
            )),
            "{var}={value:?}: {msg}"
        );
        assert!(msg.contains(needle), "{var}={value:?}: {msg}");
    }
}

#[test]
fn non_loopback_listen_is_refused_and_loopback_forms_accepted() {
    for bad in [
        "0.0.0.0:2456",
        "192.168.1.1:2456",
        "example.com:2456",
        "[::]:2456",
    ] {
        let err = load(Some(&format!("[proxy]\nlisten = {bad:?}\n")), &no_env).unwrap_err();
        assert_eq!(err.key(), Some("proxy.listen"), "{bad}");
        assert!(err.to_string().contains("loopback"), "{err}");
    }
    for good in ["127.0.0.2:0", "[::1]:2456", "localhost:2456"] {
        let s = load(Some(&format!("[proxy]\nlisten = {good:?}\n")), &no_env).unwrap();
        assert_eq!(s.proxy.listen.to_string(), good);
    }
}
