use std::time::Duration;

use codex_router_core::Secret;
use codex_router_oauth::{CODEX_CLIENT_ID, DEFAULT_REDIRECT_URI, client_builder};

use super::*;
use crate::fixtures::{ALICE, T0, assert_no_secrets, jwt};

const NOW: Timestamp = Timestamp::from_unix_secs(T0);

fn token_set(refresh: Option<&str>) -> TokenSet {
    TokenSet {
        access_token: Secret::new(jwt(ALICE, T0 + 3600)),
        refresh_token: refresh.map(Secret::new),
        id_token: Some(Secret::new(jwt(ALICE, T0 + 3600))),
        expires_in: Some(3600),
    }
}

fn oauth() -> OAuthClient {
    let http = client_builder(Duration::from_secs(1)).no_proxy().build().unwrap();
    OAuthClient::new(http, "http://127.0.0.1:9", CODEX_CLIENT_ID)
}

#[test]
fn a_token_set_becomes_a_login_account() {
    let a = account_from_tokens(token_set(Some("rt-SECRET")), Some("work"), NOW).unwrap();
    assert_eq!(a.source.as_deref(), Some(SOURCE_LOGIN));
    assert_eq!(a.label.as_deref(), Some("work"));
    assert_eq!(a.added_at, Some(NOW));
    assert_eq!(a.last_refresh, Some(NOW));
    assert_eq!(a.tokens.refresh_token.expose(), "rt-SECRET");
    assert_eq!(a.tokens.expires_at, Some(Timestamp::from_unix_secs(T0 + 3600)));
    assert_eq!(a.linked_auth_json, None);
}

#[test]
fn a_login_without_refresh_token_or_with_a_bad_label_adds_nothing() {
    let err = account_from_tokens(token_set(None), None, NOW).unwrap_err();
    assert!(err.to_string().contains("no refresh_token"), "{err}");
    let err = account_from_tokens(token_set(Some("rt-SECRET")), Some("me@example.test"), NOW).unwrap_err();
    assert!(matches!(err, LoginFlowError::InvalidLabel));
    assert_no_secrets(&err.to_string());
    assert!(check_label(None).is_ok() && check_label(Some("pro-2")).is_ok());
}

#[test]
fn the_authorize_url_carries_this_attempts_state_and_redirect() {
    let login = BrowserLogin::start(&oauth(), DEFAULT_REDIRECT_URI);
    assert!(
        login.url().starts_with("http://127.0.0.1:9/oauth/authorize?"),
        "{}",
        login.url()
    );
    assert!(login.url().contains(&format!("state={}", login.state())));
    assert!(
        login
            .url()
            .contains("redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback")
    );
    assert_eq!(login.redirect_uri(), DEFAULT_REDIRECT_URI);
    assert_ne!(
        login.state(),
        BrowserLogin::start(&oauth(), DEFAULT_REDIRECT_URI).state()
    );
}

#[test]
fn a_pasted_redirect_must_carry_this_attempts_state() {
    let url = "http://localhost:1455/auth/callback?code=ac_1&state=mine";
    assert_eq!(code_from_pasted(url, "mine").unwrap(), "ac_1");
    assert_eq!(code_from_pasted(&format!("  {url}\n"), "mine").unwrap(), "ac_1");
    let err = code_from_pasted(url, "theirs").unwrap_err();
    assert!(
        matches!(err, LoginFlowError::OAuth(LoginError::StateMismatch)),
        "{err:?}"
    );
    assert!(err.to_string().contains("state mismatch"), "{err}");
    assert!(code_from_pasted("not a url", "mine").is_err());
}

#[test]
fn debug_of_login_types_shows_no_secret() {
    let login = BrowserLogin::start(&oauth(), DEFAULT_REDIRECT_URI);
    let shown = format!("{login:?}");
    assert!(!shown.contains(login.state()), "{shown}");
    assert!(!shown.contains(login.pkce.verifier.expose()), "{shown}");
    let err = LoginFlowError::Timeout {
        waited: Duration::from_secs(600),
    };
    assert_eq!(
        err.to_string(),
        "no sign-in arrived within 600 s; nothing was added, start the login again"
    );
    assert_no_secrets(&format!("{err:?}"));
}
