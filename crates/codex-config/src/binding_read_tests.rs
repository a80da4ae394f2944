use codex_router_core::Timestamp;

use super::*;
use crate::provider::BindSpec;

const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn bind(config: &Path, bind_dir: &Path) {
    let spec = BindSpec {
        port: 2456,
        client_key: Secret::new(KEY),
        remote_compaction: false,
        mode: BindMode::Provider,
    };
    crate::bind_app(config, bind_dir, &spec, Timestamp::from_unix_secs(1_789_000_000)).unwrap();
}

#[test]
fn no_codex_home_is_an_explained_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let read = read_binding(None, dir.path());
    assert_eq!(
        (read.config_path.as_deref(), read.error()),
        (None, Some(NO_CODEX_HOME))
    );
    let view = read.view(None);
    assert!(!view.bound);
    assert_eq!(
        (view.state.as_str(), view.error.as_deref()),
        ("unknown", Some(NO_CODEX_HOME))
    );
}

#[test]
fn a_moved_codex_home_is_followed_to_the_config_the_bind_state_names() {
    let dir = tempfile::tempdir().unwrap();
    let bound = dir.path().join("old").join("config.toml");
    let now_home = dir.path().join("new").join("config.toml");
    let bind_dir = dir.path().join("bind");
    std::fs::create_dir_all(bound.parent().unwrap()).unwrap();
    std::fs::write(
        &bound,
        "profile = \"b\"\n[profiles.a]\nmodel_provider = \"openai\"\n[profiles.b]\nmodel_provider = \"x\"\n",
    )
    .unwrap();
    bind(&bound, &bind_dir);

    let read = read_binding(Some(&now_home), &bind_dir);
    assert_eq!(read.config_path.as_deref(), Some(bound.as_path()));
    let view = read.view(Some((2456, &Secret::new(KEY))));
    assert_eq!(
        (view.bound, view.mode.as_deref(), view.port),
        (true, Some("provider"), Some(2456))
    );
    assert_eq!((view.matches_daemon, view.key_matches), (true, Some(true)));
    assert_eq!(
        view.bypassed_by,
        ["profiles.b", "profiles.a"],
        "the default profile first"
    );
    assert_eq!(view.state, "valid");

    let asked_nobody = read.view(None);
    assert_eq!(
        (asked_nobody.matches_daemon, asked_nobody.key_matches),
        (false, None)
    );
    let other_key = read.view(Some((2456, &Secret::new("f".repeat(64)))));
    assert_eq!(
        (other_key.matches_daemon, other_key.key_matches),
        (false, Some(false))
    );
}
