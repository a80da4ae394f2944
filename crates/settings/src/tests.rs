use std::collections::HashMap;
use std::time::Duration;

use super::*;

fn no_env(_: &str) -> Option<String> {
    None
}

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |key| map.get(key).cloned()
}

fn err_of(text: &str) -> String {
    load(Some(text), &no_env).unwrap_err().to_string()
}

fn env_err(pairs: &[(&str, &str)]) -> String {
    load(None, &env_of(pairs)).unwrap_err().to_string()
}

const FULL: &str = r#"
# every key, none at its default
[proxy]
listen = "localhost:3000"
max_body_bytes = 1048576
hold_events = 8
hold_timeout = "500ms"
drain_timeout = "0s"

[upstream]
base_url = "http://127.0.0.1:9999/backend-api/"
connect_timeout = "3s"
headers_timeout = "90s"
idle_timeout = "10m"

[oauth]
issuer = "http://127.0.0.1:8888"
client_id = "app_test"

[rotation]
strategy = "round-robin"
max_attempts = 2
session_ttl = "1h"
max_sessions = 50
preemptive_quota_percent = 90.5
rate_limit_default = "2m"
server_error_base = "1s"
network_error_base = "2s"
backoff_max = "1d"
outage_accounts = 5
outage_window = "30s"

[quota]
poll_interval = "10s"

[log]
filter = "debug"
"#;

#[test]
fn defaults_are_the_spec_defaults() {
    let s = load(None, &no_env).unwrap();
    assert_eq!(s, Settings::default());
    assert_eq!(s.proxy.listen.to_string(), "127.0.0.1:2456");
    assert_eq!(s.proxy.max_body_bytes, 67_108_864);
    assert_eq!(s.proxy.hold_events, 16);
    assert_eq!(s.proxy.hold_timeout, Duration::from_secs(2));
    assert_eq!(s.proxy.drain_timeout, Duration::from_secs(10));
    assert_eq!(s.upstream.base_url, "https://chatgpt.com/backend-api");
    assert_eq!(s.upstream.connect_timeout, Duration::from_secs(10));
    assert_eq!(s.upstream.headers_timeout, Duration::from_secs(60));
    assert_eq!(s.upstream.idle_timeout, Duration::from_secs(300));
    assert_eq!(s.oauth.issuer, "https://auth.openai.com");
    assert_eq!(s.oauth.client_id, "app_EMoamEEZ73f0CkXaXp7hrann");
    assert_eq!(s.rotation.strategy, Strategy::Sticky);
    assert_eq!(s.rotation.max_attempts, 4);
    assert_eq!(s.rotation.session_ttl, Duration::from_secs(1800));
    assert_eq!(s.rotation.max_sessions, 10_000);
    assert_eq!(s.rotation.preemptive_quota_percent, 97.0);
    assert_eq!(s.rotation.rate_limit_default, Duration::from_secs(60));
    assert_eq!(s.rotation.server_error_base, Duration::from_secs(4));
    assert_eq!(s.rotation.network_error_base, Duration::from_secs(6));
    assert_eq!(s.rotation.backoff_max, Duration::from_secs(300));
    assert_eq!(s.rotation.outage_accounts, 3);
    assert_eq!(s.rotation.outage_window, Duration::from_secs(10));
    assert_eq!(s.quota.poll_interval, Duration::from_secs(300));
    assert_eq!(s.log_filter, None);
    // An empty file and a file of comments are the defaults too.
    assert_eq!(load(Some(""), &no_env).unwrap(), s);
    assert_eq!(load(Some("# nothing\n\n[proxy]\n"), &no_env).unwrap(), s);
}

#[test]
fn the_spec_defaults_written_out_parse_to_the_defaults() {
    let text = r#"
[proxy]
listen = "127.0.0.1:2456"
max_body_bytes = 67108864
hold_events = 16
hold_timeout = "2s"
drain_timeout = "10s"
[upstream]
base_url = "https://chatgpt.com/backend-api"
connect_timeout = "10s"
headers_timeout = "60s"
idle_timeout = "300s"
[oauth]
issuer = "https://auth.openai.com"
client_id = "app_EMoamEEZ73f0CkXaXp7hrann"
[rotation]
strategy = "sticky"
max_attempts = 4
session_ttl = "30m"
max_sessions = 10000
preemptive_quota_percent = 97
rate_limit_default = "60s"
server_error_base = "4s"
network_error_base = "6s"
backoff_max = "5m"
outage_accounts = 3
outage_window = "10s"
[quota]
poll_interval = "5m"
"#;
    assert_eq!(load(Some(text), &no_env).unwrap(), Settings::default());
}

#[test]
fn every_key_is_read_from_the_file() {
    let (s, entries) = load_with_sources(Some(FULL), &no_env).unwrap();
    let expected = Settings {
        proxy: ProxySettings {
            listen: "localhost:3000".parse().unwrap(),
            max_body_bytes: 1_048_576,
            hold_events: 8,
            hold_timeout: Duration::from_millis(500),
            drain_timeout: Duration::ZERO,
        },
        upstream: UpstreamSettings {
            base_url: "http://127.0.0.1:9999/backend-api".into(),
            connect_timeout: Duration::from_secs(3),
            headers_timeout: Duration::from_secs(90),
            idle_timeout: Duration::from_secs(600),
        },
        oauth: OAuthSettings {
            issuer: "http://127.0.0.1:8888".into(),
            client_id: "app_test".into(),
        },
        rotation: RotationSettings {
            strategy: Strategy::RoundRobin,
            max_attempts: 2,
            session_ttl: Duration::from_secs(3600),
            max_sessions: 50,
            preemptive_quota_percent: 90.5,
            rate_limit_default: Duration::from_secs(120),
            server_error_base: Duration::from_secs(1),
            network_error_base: Duration::from_secs(2),
            backoff_max: Duration::from_secs(86_400),
            outage_accounts: 5,
            outage_window: Duration::from_secs(30),
        },
        quota: QuotaSettings {
            poll_interval: Duration::from_secs(10),
        },
        log_filter: Some("debug".into()),
    };
    assert_eq!(s, expected);
    assert!(s.proxy.listen.is_localhost_name());
    assert_eq!(entries.len(), 24);
    assert!(entries.iter().all(|e| e.source == Source::File), "{entries:?}");
}

#[test]
fn sources_and_values_for_config_show() {
    let env = env_of(&[("CODEX_ROUTER_LISTEN", "127.0.0.1:0")]);
    let (_, entries) = load_with_sources(Some("[rotation]\nstrategy = \"fill-first\"\n"), &env).unwrap();
    let get = |key: &str| entries.iter().find(|e| e.key == key).unwrap().clone();
    assert_eq!(
        get("proxy.listen"),
        SettingEntry {
            key: "proxy.listen",
            value: "127.0.0.1:0".into(),
            source: Source::Env("CODEX_ROUTER_LISTEN")
        }
    );
    assert_eq!(get("rotation.strategy").source, Source::File);
    assert_eq!(get("rotation.strategy").value, "fill-first");
    assert_eq!(
        get("proxy.hold_timeout"),
        SettingEntry {
            key: "proxy.hold_timeout",
            value: "2s".into(),
            source: Source::Default
        }
    );
    assert_eq!(get("upstream.idle_timeout").value, "5m");
    assert_eq!(get("log.filter").value, "");
    assert_eq!(Source::Env("X").to_string(), "env X");
    let keys: Vec<&str> = entries.iter().map(|e| e.key).collect();
    assert_eq!(keys.first(), Some(&"proxy.listen"));
    assert_eq!(keys.last(), Some(&"log.filter"));
}

// review #8: the effective value follows runtime precedence, env first.
#[test]
fn environment_beats_the_file() {
    let env = env_of(&[
        ("CODEX_ROUTER_LISTEN", "[::1]:2457"),
        ("CODEX_ROUTER_UPSTREAM", "http://127.0.0.1:1/x/"),
        ("CODEX_ROUTER_ISSUER", "http://127.0.0.1:2"),
        ("CODEX_ROUTER_LOG", "trace"),
        ("CODEX_AUTH_FETCH_TIMEOUT_MS", "1500"),
        ("CODEX_AUTH_STREAM_STALL_TIMEOUT_MS", "600000"),
    ]);
    let (s, entries) = load_with_sources(Some(FULL), &env).unwrap();
    assert_eq!(s.proxy.listen.to_string(), "[::1]:2457");
    assert_eq!(s.upstream.base_url, "http://127.0.0.1:1/x");
    assert_eq!(s.oauth.issuer, "http://127.0.0.1:2");
    assert_eq!(s.log_filter.as_deref(), Some("trace"));
    assert_eq!(s.upstream.headers_timeout, Duration::from_millis(1500));
    assert_eq!(s.upstream.idle_timeout, Duration::from_secs(600));
    // Keys without an override keep the file's value.
    assert_eq!(s.rotation.max_attempts, 2);
    let n_env = entries
        .iter()
        .filter(|e| matches!(e.source, Source::Env(_)))
        .count();
    assert_eq!(n_env, 6);
}

#[test]
fn empty_environment_values_count_as_unset() {
    let env = env_of(&[("CODEX_ROUTER_LISTEN", ""), ("CODEX_AUTH_FETCH_TIMEOUT_MS", "  ")]);
    assert_eq!(load(None, &env).unwrap(), Settings::default());
}

#[test]
fn a_bad_file_value_is_an_error_even_when_the_environment_overrides_it() {
    let env = env_of(&[("CODEX_ROUTER_LISTEN", "127.0.0.1:1")]);
    let err = load(Some("[proxy]\nlisten = \"0.0.0.0:1\"\n"), &env).unwrap_err();
    assert_eq!(err.key(), Some("proxy.listen"));
}

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

// review #1: wrong TOML types are rejected, naming the key.
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
        "proxy.port: unknown key; the keys of [proxy] are: listen, max_body_bytes, hold_events, hold_timeout, drain_timeout"
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
    assert_eq!(s.rotation.max_attempts, 2);
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

#[test]
fn only_a_listen_change_needs_a_restart() {
    let old = Settings::default();
    let mut new = old.clone();
    new.rotation.max_attempts = 9;
    new.upstream.base_url = "http://127.0.0.1:1".into();
    new.log_filter = Some("debug".into());
    assert!(restart_required(&old, &new).is_empty());
    new.proxy.listen = "localhost:2456".parse().unwrap();
    assert!(
        restart_required(&old, &new).is_empty(),
        "same socket, written differently"
    );
    new.proxy.listen = "127.0.0.1:2457".parse().unwrap();
    assert_eq!(restart_required(&old, &new), ["proxy.listen"]);
}

#[test]
fn read_file_handles_missing_and_non_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    assert_eq!(read_file(&path).unwrap(), None);
    std::fs::write(&path, "[proxy]\n").unwrap();
    assert_eq!(read_file(&path).unwrap().as_deref(), Some("[proxy]\n"));
    std::fs::write(&path, b"\xff\xfe").unwrap();
    let err = read_file(&path).unwrap_err();
    assert!(err.to_string().contains("config.toml"), "{err}");
}

// review #2: every setting is documented with its default and environment variable. The
// defaults in the doc's tables, written into a file, must load as exactly the code's defaults.
#[test]
fn docs_list_every_key_with_the_real_default_and_variable() {
    let doc_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/settings.md");
    let doc = std::fs::read_to_string(doc_path).unwrap();
    let mut section = String::new();
    let mut toml_text = String::new();
    let mut documented: HashMap<String, String> = HashMap::new();
    for line in doc.lines() {
        if let Some(rest) = line.strip_prefix("### `[") {
            section = rest.trim_end_matches("]`").to_owned();
            toml_text.push_str(&format!("[{section}]\n"));
            continue;
        }
        let cells: Vec<&str> = line.split(" | ").map(str::trim).collect();
        let Some(leaf) = cells
            .first()
            .and_then(|c| c.strip_prefix("| `"))
            .and_then(|c| c.strip_suffix('`'))
        else {
            continue;
        };
        let key = format!("{section}.{leaf}");
        if let Some(default) = cells[2].strip_prefix('`').and_then(|c| c.split('`').next()) {
            toml_text.push_str(&format!("{leaf} = {default}\n"));
        }
        documented.insert(key, cells[3].trim_matches('`').to_owned());
    }
    assert_eq!(
        load(Some(&toml_text), &no_env).unwrap(),
        Settings::default(),
        "{toml_text}"
    );

    let with_env: HashMap<&str, &str> = [
        ("proxy.listen", ENV_LISTEN),
        ("upstream.base_url", ENV_UPSTREAM),
        ("upstream.headers_timeout", ENV_FETCH_TIMEOUT_MS),
        ("upstream.idle_timeout", ENV_STREAM_STALL_TIMEOUT_MS),
        ("oauth.issuer", ENV_ISSUER),
        ("log.filter", ENV_LOG),
    ]
    .into();
    let (_, entries) = load_with_sources(None, &no_env).unwrap();
    assert_eq!(documented.len(), entries.len(), "{documented:?}");
    for entry in &entries {
        let env_cell = documented
            .get(entry.key)
            .unwrap_or_else(|| panic!("{} is not documented", entry.key));
        assert_eq!(
            env_cell,
            with_env.get(entry.key).copied().unwrap_or("—"),
            "env variable of {}",
            entry.key
        );
    }
}
