use codex_router_codex_config::{BindSpec, bind_app};
use codex_router_core::Timestamp;

use super::*;

const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn key() -> Secret {
    Secret::new(KEY)
}

fn bind(config: &Path, bind_dir: &Path, port: u16) {
    let spec = BindSpec {
        port,
        client_key: key(),
        remote_compaction: false,
        mode: codex_router_codex_config::BindMode::Provider,
    };
    bind_app(config, bind_dir, &spec, Timestamp::from_unix_secs(1_789_000_000)).unwrap();
}

#[test]
fn absent_then_bound_to_this_daemon_then_to_another_port() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("codex").join("config.toml");
    let bind_dir = dir.path().join("bind");
    let b = read(&bind_dir, Some(&config), 2456, &key());
    assert!(!b.bound && !b.matches_daemon && b.port.is_none());
    assert_eq!((b.state.as_str(), b.key_matches), ("missing", None));
    assert_eq!(b.config_path, Some(config.display().to_string()));
    assert!(!bind_dir.exists(), "reading created nothing");

    bind(&config, &bind_dir, 2456);
    let b = read(&bind_dir, Some(&config), 2456, &key());
    assert_eq!((b.bound, b.port, b.matches_daemon), (true, Some(2456), true));
    assert_eq!((b.state.as_str(), b.key_matches), ("valid", Some(true)));
    assert!(
        !serde_json::to_string(&b).unwrap().contains(KEY),
        "the key is never shown"
    );

    assert!(!read(&bind_dir, Some(&config), 3000, &key()).matches_daemon);
    let other = read(&bind_dir, Some(&config), 2456, &Secret::new("f".repeat(64)));
    assert_eq!((other.matches_daemon, other.key_matches), (false, Some(false)));
}

#[test]
fn tampered_state_is_invalid_and_profiles_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "profile = \"w\"\n[profiles.w]\nmodel_provider = \"openai\"\n",
    )
    .unwrap();
    let bind_dir = dir.path().join("bind");
    bind(&config, &bind_dir, 2456);
    let b = read(&bind_dir, Some(&config), 2456, &key());
    assert_eq!(b.bypassed_by, vec!["profiles.w".to_owned()]);

    // A persisted port is validated and a tampered state rejected: a state with a port outside
    // 1..65535 is not trusted; the file still decides.
    std::fs::write(bind_dir.join("state.json"), r#"{"port":0}"#).unwrap();
    let b = read(&bind_dir, Some(&config), 2456, &key());
    assert_eq!(b.state, "invalid");
    assert!(b.bound && b.matches_daemon);

    std::fs::write(&config, "model = \n").unwrap();
    let b = read(&bind_dir, Some(&config), 2456, &key());
    assert!(!b.bound && b.error.is_some(), "{b:?}");
    assert!(read(&bind_dir, None, 2456, &key()).error.is_some());
}

#[test]
fn a_native_binding_reports_mode_native_and_matches_by_port_alone() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("codex").join("config.toml");
    let bind_dir = dir.path().join("bind");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(
        config.with_file_name("auth.json"),
        r#"{"tokens":{"access_token":"at-1"}}"#,
    )
    .unwrap();
    let spec = BindSpec {
        port: 2456,
        client_key: key(),
        remote_compaction: false,
        mode: codex_router_codex_config::BindMode::Native,
    };
    bind_app(
        &config,
        &bind_dir,
        &spec,
        Timestamp::from_unix_secs(1_789_000_000),
    )
    .unwrap();
    let b = read(&bind_dir, Some(&config), 2456, &Secret::new("f".repeat(64)));
    assert_eq!(
        (b.bound, b.mode.as_deref(), b.port),
        (true, Some("native"), Some(2456))
    );
    assert_eq!((b.matches_daemon, b.key_matches), (true, None));
    assert!(!read(&bind_dir, Some(&config), 3000, &key()).matches_daemon);

    bind(&config, &bind_dir, 2456);
    let b = read(&bind_dir, Some(&config), 2456, &key());
    assert_eq!((b.mode.as_deref(), b.matches_daemon), (Some("provider"), true));
    let json = serde_json::to_value(&b).unwrap();
    assert_eq!(json["mode"], "provider");
}

/// No file IO per status call: `status --watch` asks for the binding ten times a second. The
/// cache reads the files once while they stay the same, and every change to any of them shows in
/// the next answer.
#[test]
fn the_cache_reads_files_only_when_they_change_and_reports_every_change() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("codex").join("config.toml");
    let bind_dir = dir.path().join("bind");
    let cache = BindingCache::default();
    let same = |cache: &BindingCache| {
        let b = cache.read(&bind_dir, Some(&config), 2456, &key());
        assert_eq!(
            b,
            read(&bind_dir, Some(&config), 2456, &key()),
            "the cache agrees with a fresh read"
        );
        b
    };

    for _ in 0..100 {
        assert!(!same(&cache).bound);
    }
    assert_eq!(cache.reads(), 1, "unchanged files are not read again");

    // Bound: config.toml and the bind state appear.
    bind(&config, &bind_dir, 2456);
    let b = same(&cache);
    assert_eq!(
        (b.bound, b.matches_daemon, b.state.as_str()),
        (true, true, "valid")
    );
    assert_eq!(cache.reads(), 2);
    same(&cache);
    assert_eq!(cache.reads(), 2);

    // Codex's config edited in place, same length: another port.
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, text.replace("2456", "2457")).unwrap();
    let b = same(&cache);
    assert_eq!((b.bound, b.port, b.matches_daemon), (true, Some(2457), false));

    // The bind state replaced (atomically, as every writer does) by an invalid one.
    let tmp = bind_dir.join("state.json.tmp");
    std::fs::write(&tmp, r#"{"port":0}"#).unwrap();
    std::fs::rename(&tmp, bind_dir.join("state.json")).unwrap();
    assert_eq!(same(&cache).state, "invalid");

    // Everything removed.
    std::fs::remove_dir_all(&bind_dir).unwrap();
    std::fs::remove_file(&config).unwrap();
    let b = same(&cache);
    assert_eq!((b.bound, b.state.as_str()), (false, "missing"));
    let reads = cache.reads();
    same(&cache);
    assert_eq!(cache.reads(), reads);

    // Another key or port is never answered from the cache of the first.
    let other = cache.read(&bind_dir, Some(&config), 3000, &key());
    assert_eq!(other, read(&bind_dir, Some(&config), 3000, &key()));
    assert_eq!(cache.reads(), reads + 1);
}

/// A bind state naming another `config.toml` (Codex's home moved): the cache watches that file too.
#[test]
fn the_cache_watches_the_config_a_bind_state_names() {
    let dir = tempfile::tempdir().unwrap();
    let bound_config = dir.path().join("old-home").join("config.toml");
    let home_config = dir.path().join("new-home").join("config.toml");
    let bind_dir = dir.path().join("bind");
    bind(&bound_config, &bind_dir, 2456);
    let cache = BindingCache::default();
    let b = cache.read(&bind_dir, Some(&home_config), 2456, &key());
    assert_eq!(b.config_path, Some(bound_config.display().to_string()));
    assert!(b.matches_daemon);
    cache.read(&bind_dir, Some(&home_config), 2456, &key());
    assert_eq!(cache.reads(), 1);

    let text = std::fs::read_to_string(&bound_config).unwrap();
    std::fs::write(&bound_config, text.replace("2456", "2457")).unwrap();
    let b = cache.read(&bind_dir, Some(&home_config), 2456, &key());
    assert_eq!((b.port, b.matches_daemon), (Some(2457), false));
    assert_eq!(b, read(&bind_dir, Some(&home_config), 2456, &key()));
}
