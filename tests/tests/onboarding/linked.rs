//! After `accounts import` of `$CODEX_HOME/auth.json`, a refresh done by the daemon rewrites that
//! file with the new token set, whole (other fields kept, mode 0600); once Codex is signed in to
//! another account, or its identity cannot be compared, the file is left alone.

use codex_router_e2e::{Home, Upstream};
use serde_json::Value;

use crate::import::{codex_auth, write};
use crate::{no_reuse, show, start_daemon, stdout, stored};

fn read_json(path: &std::path::Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn the_daemon_writes_refreshed_tokens_back_while_auth_json_holds_the_same_account() {
    let upstream = Upstream::start();
    let home = Home::with_fake(&upstream);
    let codex = upstream.account("ws-codex", "pro");
    let auth_path = home.codex_home().join("auth.json");
    let mut doc = codex_auth(&codex, "ws-codex");
    doc["custom_field"] = "kept as it is".into();
    write(&auth_path, &doc);
    #[cfg(unix)]
    set_mode(&auth_path, 0o600);
    start_daemon(&home);

    // No argument at all: Codex's own login.
    let out = home.run_ctl(&["accounts", "import"]);
    assert!(out.status.success(), "{}", show(&out));
    let text = stdout(&out);
    assert!(text.contains("added    pro-1\n"), "{text}");
    assert!(
        text.contains("codex-router is the only refresher") && text.contains(auth_path.to_str().unwrap()),
        "the import says who refreshes now: {text}"
    );

    let out = home.run_ctl(&["accounts", "refresh", "pro-1"]);
    assert!(out.status.success(), "{}", show(&out));
    let pool = stored(&home);
    let tokens = &pool["accounts"][0]["tokens"];
    let written = read_json(&auth_path);
    assert_ne!(
        written["tokens"]["refresh_token"], doc["tokens"]["refresh_token"],
        "rotated"
    );
    assert_eq!(
        written["tokens"]["refresh_token"], tokens["refresh_token"],
        "{written:#}"
    );
    assert_eq!(written["tokens"]["access_token"], tokens["access_token"]);
    assert_eq!(written["custom_field"], "kept as it is");
    assert_eq!(written["auth_mode"], "chatgpt");
    assert_eq!(written["tokens"]["account_id"], "ws-codex");
    assert_ne!(
        written["last_refresh"], doc["last_refresh"],
        "written with the tokens"
    );
    #[cfg(unix)]
    assert_eq!(mode(&auth_path), 0o600);

    // The user signs Codex in to another account: the file is theirs again.
    let other = upstream.account("ws-elsewhere", "plus");
    write(&auth_path, &codex_auth(&other, "ws-elsewhere"));
    let before = std::fs::read(&auth_path).unwrap();
    let out = home.run_ctl(&["accounts", "refresh", "pro-1"]);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(
        std::fs::read(&auth_path).unwrap(),
        before,
        "another account's file is left alone"
    );
    no_reuse(&upstream);
}
