use std::sync::atomic::{AtomicBool, Ordering};

use codex_router_test_support::make_jwt;
use serde_json::json;

use super::*;

fn token(account: &str, user: &str, n: u32) -> String {
    make_jwt(
        &json!({"sub": user, "n": n, "https://api.openai.com/auth": {"chatgpt_account_id": account, "chatgpt_user_id": user}}),
    )
}

fn write_auth(home: &Path, access: &str) {
    let doc = json!({"auth_mode": "chatgpt", "OPENAI_API_KEY": null,
        "tokens": {"access_token": access, "refresh_token": "r", "id_token": access, "account_id": "acc-l"}});
    std::fs::write(home.join("auth.json"), doc.to_string()).unwrap();
}

fn login(home: &Path, bound: Arc<AtomicBool>) -> NativeLogin {
    let home = home.to_path_buf();
    let locate: Locate = Arc::new(move || bound.load(Ordering::SeqCst).then(|| home.clone()));
    NativeLogin::with_recheck(locate, Duration::ZERO)
}

#[test]
fn codexs_own_token_is_accepted_only_while_natively_bound() {
    let dir = tempfile::tempdir().unwrap();
    let t1 = token("acc-l", "user-l", 1);
    write_auth(dir.path(), &t1);
    let bound = Arc::new(AtomicBool::new(true));
    let l = login(dir.path(), Arc::clone(&bound));
    assert!(l.accepts(t1.as_bytes()));
    assert!(!l.accepts(b"some-other-bearer"));
    assert!(!l.accepts(b""));
    let (view, _) = l.view();
    assert!(view.active && view.signed_in);
    assert_eq!(view.identity, Some(("acc-l".to_owned(), "user-l".to_owned())));
    bound.store(false, Ordering::SeqCst);
    assert!(
        !l.accepts(t1.as_bytes()),
        "the provider binding (or none) refuses the native bearer"
    );
    assert_eq!(l.view().0, NativeView::default());
}

#[test]
fn a_token_codex_refreshed_is_accepted_and_the_old_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    let old = token("acc-l", "user-l", 1);
    write_auth(dir.path(), &old);
    let l = login(dir.path(), Arc::new(AtomicBool::new(true)));
    assert!(l.accepts(old.as_bytes()));
    // Codex rewrites auth.json with its refreshed token (a longer file: a new stamp even when
    // the clock's resolution is coarse).
    let new = token("acc-l", "user-l", 1_000_000);
    write_auth(dir.path(), &new);
    assert!(l.accepts(new.as_bytes()));
    assert!(!l.accepts(old.as_bytes()));
}

#[test]
fn a_signed_out_codex_or_an_api_key_login_accepts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let l = login(dir.path(), Arc::new(AtomicBool::new(true)));
    assert!(!l.accepts(b"anything"));
    let (view, _) = l.view();
    assert!(view.active && !view.signed_in);
    std::fs::write(
        dir.path().join("auth.json"),
        r#"{"auth_mode":"apikey","OPENAI_API_KEY":"sk-x"}"#,
    )
    .unwrap();
    assert!(!l.accepts(b"sk-x"));
}
