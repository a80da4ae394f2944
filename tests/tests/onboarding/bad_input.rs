//! Corrupt or wrong-format input files give a clear error naming the file, exit 1,
//! and change nothing — not the pool on disk, not the daemon's pool, not the source files.

use codex_router_e2e::{Home, Upstream};
use serde_json::json;

use crate::import::{codex_auth, write};
use crate::{assert_no_secrets, listed, no_reuse, show, start_daemon, stderr};

/// (file name, bytes, kind flag, what the error must say).
fn bad_files(token_json: &str) -> Vec<(&'static str, Vec<u8>, Option<&'static str>, &'static str)> {
    vec![
        ("empty.json", Vec::new(), None, "the file is empty"),
        (
            "truncated.json",
            token_json.as_bytes()[..token_json.len() / 2].to_vec(),
            None,
            "ends early",
        ),
        (
            "array.json",
            b"[1, 2]".to_vec(),
            None,
            "expected a JSON object at the top level, found an array",
        ),
        ("binary.json", vec![0xff, 0xfe, 0x00, 0x7b], None, "not UTF-8"),
        (
            "apikey.json",
            br#"{"auth_mode":"apikey","OPENAI_API_KEY":"sk-SECRET"}"#.to_vec(),
            None,
            "holds an API key",
        ),
        (
            "multi-as-codex.json",
            br#"{"version":3,"accounts":[]}"#.to_vec(),
            None,
            "pass it with --multi-auth",
        ),
        (
            "codex-as-multi.json",
            token_json.as_bytes().to_vec(),
            Some("--multi-auth"),
            "pass it without --multi-auth",
        ),
        (
            "v2.json",
            br#"{"version":2,"accounts":[]}"#.to_vec(),
            Some("--multi-auth"),
            "unsupported version 2",
        ),
    ]
}

#[test]
fn bad_files_are_named_and_change_nothing() {
    let upstream = Upstream::start();
    let home = Home::with_fake(&upstream);
    let good = upstream.account("ws-good", "pro");
    let good_path = write(&home.root().join("good-auth.json"), &codex_auth(&good, "ws-good"));
    let kept = upstream.account("ws-kept", "plus");
    home.write_accounts(&[json!({"label": "kept", "tokens": {
        "access_token": kept.access_token, "refresh_token": kept.refresh_token}})]);
    let pool_before = std::fs::read(&home.paths.accounts).unwrap();
    let token_json = std::fs::read_to_string(&good_path).unwrap();

    for (name, bytes, flag, says) in bad_files(&token_json) {
        let path = home.root().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let path_arg = path.to_str().unwrap();
        // The bad file after a good one: the good one must not get in either.
        let mut args = vec!["accounts", "import", good_path.to_str().unwrap()];
        args.extend(flag);
        args.push(path_arg);
        let out = home.run_ctl(&args);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", show(&out));
        let err = stderr(&out);
        assert!(err.contains(path_arg), "{name}: the error names the file: {err}");
        assert!(err.contains(says), "{name}: expected {says:?} in {err}");
        assert!(err.contains("nothing was imported"), "{name}: {err}");
        assert_no_secrets(&err);
        assert!(!err.contains("SECRET"), "{err}");
        assert_eq!(
            std::fs::read(&home.paths.accounts).unwrap(),
            pool_before,
            "{name}: pool unchanged"
        );
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{name}: source untouched");
    }

    // A missing file, and the daemon's pool: unchanged too.
    start_daemon(&home);
    let missing = home.root().join("nope.json");
    let out = home.run_ctl(&[
        "accounts",
        "import",
        good_path.to_str().unwrap(),
        missing.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stderr(&out).contains(missing.to_str().unwrap()), "{}", show(&out));
    let rows = listed(&home);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["label"], "kept");
    no_reuse(&upstream);
}

#[test]
fn no_codex_login_to_import_says_what_to_do() {
    let home = Home::new();
    let out = home.run_ctl(&["accounts", "import"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let err = stderr(&out);
    assert!(
        err.contains("auth.json does not exist") && err.contains("codex login"),
        "{err}"
    );
    assert!(!home.paths.accounts.exists());
}
