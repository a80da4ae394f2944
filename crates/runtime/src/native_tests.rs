use std::sync::atomic::{AtomicBool, Ordering};

use codex_router_test_support::make_jwt;
use serde_json::json;

use super::*;
use codex_router_test_support::ManualClock;

use crate::clock::Clock;

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

/// A login whose binding is `bound` (its stamp file is `home/state.json`), on a manual clock.
fn login_on(home: &Path, bound: Arc<AtomicBool>, clock: Arc<ManualClock>) -> NativeLogin {
    let codex = home.to_path_buf();
    let locate: Locate = Arc::new(move || bound.load(Ordering::SeqCst).then(|| codex.clone()));
    let now: Now = Arc::new(move || clock.now());
    NativeLogin::new(locate, home.join("state.json"), now)
}

/// Each check a second after the last: every reading is fresh.
fn login(home: &Path, bound: Arc<AtomicBool>) -> (NativeLogin, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::starting_now());
    (login_on(home, bound, Arc::clone(&clock)), clock)
}

#[test]
fn codexs_own_token_is_accepted_only_while_natively_bound() {
    let dir = tempfile::tempdir().unwrap();
    let t1 = token("acc-l", "user-l", 1);
    write_auth(dir.path(), &t1);
    let bound = Arc::new(AtomicBool::new(true));
    let (l, clock) = login(dir.path(), Arc::clone(&bound));
    assert!(l.accepts(t1.as_bytes()));
    assert!(!l.accepts(b"some-other-bearer"));
    assert!(!l.accepts(b""));
    let (view, _) = l.view();
    assert!(view.active && view.signed_in);
    assert_eq!(view.identity, Some(("acc-l".to_owned(), "user-l".to_owned())));
    bound.store(false, Ordering::SeqCst);
    clock.advance(Duration::from_secs(1));
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
    let (l, clock) = login(dir.path(), Arc::new(AtomicBool::new(true)));
    assert!(l.accepts(old.as_bytes()));
    // Codex rewrites auth.json with its refreshed token: read again once the second is over.
    let new = token("acc-l", "user-l", 1_000_000);
    write_auth(dir.path(), &new);
    assert!(
        l.accepts(old.as_bytes()),
        "within the second the last reading stands"
    );
    clock.advance(Duration::from_secs(1));
    assert!(l.accepts(new.as_bytes()));
    assert!(!l.accepts(old.as_bytes()));
}

#[test]
fn a_signed_out_codex_or_an_api_key_login_accepts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (l, clock) = login(dir.path(), Arc::new(AtomicBool::new(true)));
    assert!(!l.accepts(b"anything"));
    let (view, _) = l.view();
    assert!(view.active && !view.signed_in);
    std::fs::write(
        dir.path().join("auth.json"),
        r#"{"auth_mode":"apikey","OPENAI_API_KEY":"sk-x"}"#,
    )
    .unwrap();
    clock.advance(Duration::from_secs(1));
    assert!(!l.accepts(b"sk-x"));
}

#[test]
fn a_new_binding_takes_effect_at_once_not_a_second_later() {
    let dir = tempfile::tempdir().unwrap();
    let t = token("acc-l", "user-l", 1);
    write_auth(dir.path(), &t);
    let bound = Arc::new(AtomicBool::new(false));
    let (l, _clock) = login(dir.path(), Arc::clone(&bound));
    assert!(!l.accepts(t.as_bytes()), "not bound yet");
    // `bind-app --native` writes the bind state; the clock has not moved.
    bound.store(true, Ordering::SeqCst);
    std::fs::write(dir.path().join("state.json"), "{}").unwrap();
    assert!(
        l.accepts(t.as_bytes()),
        "the binding's own change is seen at once"
    );
}
