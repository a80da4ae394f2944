use std::collections::HashMap;
use std::fs;

use super::*;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |key| map.get(key).cloned()
}

#[test]
fn layout_under_the_home_matches_the_spec() {
    let p = RouterPaths::from_home(PathBuf::from("/h"));
    let h = Path::new("/h");
    assert_eq!(p.config, h.join("config.toml"));
    assert_eq!(p.accounts, h.join("accounts.json"));
    assert_eq!(p.state, h.join("state.json"));
    assert_eq!(p.client_key, h.join("client.key"));
    assert_eq!(p.run_dir, h.join("run"));
    assert_eq!(p.socket, h.join("run").join("codexctl.sock"));
    assert_eq!(p.daemon_lock, h.join("run").join("daemon.lock"));
    assert_eq!(p.accounts_lock, h.join("run").join("accounts.lock"));
    assert_eq!(p.daemon_json, h.join("run").join("daemon.json"));
    assert_eq!(p.logs_dir, h.join("logs"));
    assert_eq!(p.bind_dir, h.join("bind"));
}

#[test]
fn the_override_wins_and_an_empty_one_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("router home");
    let env = env_of(&[
        ("CODEX_ROUTER_HOME", home.to_str().unwrap()),
        ("HOME", "/ignored"),
    ]);
    assert_eq!(RouterPaths::resolve(&env).unwrap().home, home);

    let env = env_of(&[
        ("CODEX_ROUTER_HOME", ""),
        ("HOME", "/home/u"),
        ("USERPROFILE", r"C:\Users\u"),
    ]);
    let fallback = RouterPaths::resolve(&env).unwrap().home;
    assert!(fallback.ends_with(APP_DIR), "{}", fallback.display());
    assert_ne!(fallback, PathBuf::from(""));
}

#[test]
fn a_relative_override_is_made_absolute() {
    let env = env_of(&[("CODEX_ROUTER_HOME", "relative/home")]);
    let home = RouterPaths::resolve(&env).unwrap().home;
    assert!(home.is_absolute());
    assert!(home.ends_with("relative/home"));
}

#[test]
fn linux_data_dir_follows_xdg() {
    let env = env_of(&[("HOME", "/home/u")]);
    assert_eq!(
        platform_data_dir(Platform::Linux, &env),
        Some(PathBuf::from("/home/u").join(".local").join("share"))
    );
    let env = env_of(&[("HOME", "/home/u"), ("XDG_DATA_HOME", "/data")]);
    assert_eq!(
        platform_data_dir(Platform::Linux, &env),
        Some(PathBuf::from("/data"))
    );
    // A relative XDG_DATA_HOME is invalid per the XDG spec and ignored, as `directories` does.
    let env = env_of(&[("HOME", "/home/u"), ("XDG_DATA_HOME", "data")]);
    assert_eq!(
        platform_data_dir(Platform::Linux, &env),
        Some(PathBuf::from("/home/u").join(".local").join("share"))
    );
    assert_eq!(platform_data_dir(Platform::Linux, &env_of(&[])), None);
}

#[test]
fn macos_data_dir_is_application_support() {
    let env = env_of(&[("HOME", "/Users/John Smith"), ("XDG_DATA_HOME", "/ignored")]);
    assert_eq!(
        platform_data_dir(Platform::MacOs, &env),
        Some(
            PathBuf::from("/Users/John Smith")
                .join("Library")
                .join("Application Support")
        )
    );
}

#[test]
fn windows_data_dir_is_local_app_data() {
    let local = r"C:\Users\John Smith\AppData\Local";
    let env = env_of(&[("LOCALAPPDATA", local), ("HOME", "/ignored")]);
    assert_eq!(
        platform_data_dir(Platform::Windows, &env),
        Some(PathBuf::from(local))
    );
    assert_eq!(
        platform_data_dir(Platform::Windows, &env_of(&[("HOME", "/x")])),
        None
    );
}

/// On the machine running the tests, the pure function agrees with the `directories` crate.
#[test]
fn agrees_with_the_directories_crate_on_this_host() {
    let real_env = |key: &str| std::env::var(key).ok();
    let (Some(ours), Some(base)) = (
        platform_data_dir(Platform::current(), &real_env),
        directories::BaseDirs::new(),
    ) else {
        return; // no home in this environment: nothing to compare
    };
    assert_eq!(ours, base.data_local_dir());
}

#[test]
fn codex_home_is_the_override_or_dot_codex() {
    let dir = tempfile::tempdir().unwrap();
    let env = env_of(&[("CODEX_HOME", dir.path().to_str().unwrap())]);
    assert_eq!(codex_home(&env).unwrap(), dir.path());
    let home_var = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
    let env = env_of(&[("CODEX_HOME", " "), (home_var, "/home/u")]);
    assert_eq!(codex_home(&env).unwrap(), PathBuf::from("/home/u").join(".codex"));
}

#[test]
fn ensure_dirs_creates_everything_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let paths = RouterPaths::from_home(dir.path().join("a").join("codex-router"));
    paths.ensure_dirs().unwrap();
    paths.ensure_dirs().unwrap();
    for d in [&paths.home, &paths.run_dir, &paths.logs_dir, &paths.bind_dir] {
        assert!(d.is_dir(), "{}", d.display());
    }
}

#[cfg(unix)]
#[test]
fn ensure_dirs_makes_and_tightens_to_0700() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = tempfile::tempdir().unwrap();
    let paths = RouterPaths::from_home(dir.path().join("codex-router"));
    fs::create_dir_all(&paths.run_dir).unwrap();
    fs::set_permissions(&paths.home, fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(&paths.run_dir, fs::Permissions::from_mode(0o777)).unwrap();
    paths.ensure_dirs().unwrap();
    for d in [&paths.home, &paths.run_dir, &paths.logs_dir, &paths.bind_dir] {
        assert_eq!(mode(d), 0o700, "{}", d.display());
    }
}

#[test]
fn a_home_that_is_a_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    fs::write(&home, b"").unwrap();
    let err = RouterPaths::from_home(home).ensure_dirs().unwrap_err();
    assert!(err.to_string().contains("home"), "{err}");
}
