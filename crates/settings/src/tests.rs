use std::collections::HashMap;
use std::time::Duration;

use super::*;

pub(crate) fn no_env(_: &str) -> Option<String> {
    None
}

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |key| map.get(key).cloned()
}

pub(crate) fn err_of(text: &str) -> String {
    load(Some(text), &no_env).unwrap_err().to_string()
}

pub(crate) fn env_err(pairs: &[(&str, &str)]) -> String {
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
ws_context_max_bytes = 4096

[upstream]
base_url = "http://127.0.0.1:9999/backend-api/"
connect_timeout = "3s"
headers_timeout = "90s"
idle_timeout = "10m"
websocket = "off"

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
spare_codex_login = false

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
    assert_eq!(s.rotation.pool.strategy, Strategy::Sticky);
    assert_eq!(s.rotation.pool.max_attempts, 4);
    assert_eq!(s.rotation.pool.session_ttl, Duration::from_secs(1800));
    assert_eq!(s.rotation.pool.max_sessions, 10_000);
    assert_eq!(s.rotation.pool.preemptive_quota_percent, 97.0);
    assert_eq!(s.rotation.pool.rate_limit_default, Duration::from_secs(60));
    assert_eq!(s.rotation.pool.server_error_base, Duration::from_secs(4));
    assert_eq!(s.rotation.pool.network_error_base, Duration::from_secs(6));
    assert_eq!(s.rotation.pool.backoff_max, Duration::from_secs(300));
    assert_eq!(s.rotation.pool.outage_accounts, 3);
    assert_eq!(s.rotation.pool.outage_window, Duration::from_secs(10));
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
ws_context_max_bytes = 67108864
[upstream]
base_url = "https://chatgpt.com/backend-api"
connect_timeout = "10s"
headers_timeout = "60s"
idle_timeout = "300s"
websocket = "auto"
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
spare_codex_login = true
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
            ws_context_max_bytes: 4096,
        },
        upstream: UpstreamSettings {
            base_url: "http://127.0.0.1:9999/backend-api".into(),
            connect_timeout: Duration::from_secs(3),
            headers_timeout: Duration::from_secs(90),
            idle_timeout: Duration::from_secs(600),
            websocket: WebsocketMode::Off,
        },
        oauth: OAuthSettings {
            issuer: "http://127.0.0.1:8888".into(),
            client_id: "app_test".into(),
        },
        rotation: RotationSettings {
            pool: PoolConfig {
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
            spare_codex_login: false,
        },
        quota: QuotaSettings {
            poll_interval: Duration::from_secs(10),
        },
        log_filter: Some("debug".into()),
    };
    assert_eq!(s, expected);
    assert!(s.proxy.listen.is_localhost_name());
    assert_eq!(entries.len(), 27);
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

// The effective value follows runtime precedence, env first.
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
    assert_eq!(s.rotation.pool.max_attempts, 2);
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
fn only_a_listen_change_needs_a_restart() {
    let old = Settings::default();
    let mut new = old.clone();
    new.rotation.pool.max_attempts = 9;
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

// Every setting is documented (docs/settings.md) with its default and environment variable. The
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
