//! The OAuth flows against `codex-router-test-support`'s FakeBackend, which behaves like the
//! real issuer: rotating single-use refresh tokens, PKCE-checked single-use codes, device logins.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failure here is a test failure"
)]

use std::time::Duration;

use codex_router_core::Secret;
use codex_router_oauth::{
    CODEX_CLIENT_ID, DEFAULT_REDIRECT_URI, LoginError, OAuthClient, Pkce, RefreshError, authorize_url,
    client_builder, decode_claims, generate_state, identity, parse_redirect,
};
use codex_router_test_support::{FakeAccount, FakeBackend, RefreshBehavior, bodies};

/// The project's client configuration, minus proxies: loopback must not go through a proxy
/// the environment may name.
fn oauth(fake: &FakeBackend) -> OAuthClient {
    let http = client_builder(Duration::from_secs(5)).no_proxy().build().unwrap();
    OAuthClient::new(http, fake.issuer_url(), CODEX_CLIENT_ID)
}

fn claims_identity(token: &Secret) -> (String, String) {
    identity(&decode_claims(token.expose()).unwrap()).unwrap()
}

#[tokio::test]
async fn refresh_rotates_and_a_second_presentation_is_permanent_and_reused() {
    let fake = FakeBackend::start().await;
    let issued = fake.add_account(FakeAccount::new("acct-1", "plus"));
    let client = oauth(&fake);
    let first = Secret::new(issued.refresh_token.clone());

    let set = client.refresh(&first).await.unwrap();
    let rotated = set.refresh_token.clone().unwrap();
    assert_ne!(rotated, first, "refresh tokens rotate");
    assert_ne!(set.access_token.expose(), issued.access_token);
    let id_token = set.id_token.clone().unwrap();
    assert_eq!(
        claims_identity(&id_token),
        ("acct-1".to_owned(), "user-acct-1".to_owned())
    );
    let access = decode_claims(set.access_token.expose()).unwrap();
    assert_eq!(access.plan_type.as_deref(), Some("plus"));
    assert!(access.exp.is_some());

    let err = client.refresh(&first).await.unwrap_err();
    assert!(err.is_permanent(), "{err:?}");
    assert!(err.is_reused(), "{err:?}");
    assert!(!format!("{err} {err:?}").contains(first.expose()));
    assert_eq!(fake.refresh_calls(), 2, "no retry inside refresh");
    assert_eq!(fake.refresh_reuse_count(), 1);
}

#[tokio::test]
async fn server_error_is_transient_and_presented_once() {
    let fake = FakeBackend::start().await;
    let issued = fake.add_account(FakeAccount::new("acct-1", "plus"));
    let client = oauth(&fake);
    let token = Secret::new(issued.refresh_token);
    fake.script_refresh(RefreshBehavior::Status(
        500,
        r#"{"error":{"code":"server_error","message":"oops"}}"#.into(),
    ));

    let err = client.refresh(&token).await.unwrap_err();
    assert!(
        matches!(
            err,
            RefreshError::Transient {
                status: Some(500),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        fake.refresh_calls(),
        1,
        "a transient failure is not retried by refresh itself"
    );

    // The fake did not consume the token on a 500, so the caller's own retry works.
    assert!(client.refresh(&token).await.is_ok());
}

#[tokio::test]
async fn a_lost_answer_is_transient_and_may_have_spent_the_token() {
    let fake = FakeBackend::start().await;
    let issued = fake.add_account(FakeAccount::new("acct-1", "plus"));
    let client = oauth(&fake);
    let token = Secret::new(issued.refresh_token);

    fake.script_refresh(RefreshBehavior::DropConnection);
    let err = client.refresh(&token).await.unwrap_err();
    assert!(
        matches!(err, RefreshError::Transient { status: None, .. }),
        "{err:?}"
    );

    // The crash-in-the-middle case of SPEC §6: the issuer rotated, the answer never came.
    fake.script_refresh(RefreshBehavior::RotateThenDrop);
    let err = client.refresh(&token).await.unwrap_err();
    assert!(!err.is_permanent(), "{err:?}");
    let err = client.refresh(&token).await.unwrap_err();
    assert!(
        err.is_reused(),
        "the one re-presentation learns the token was spent: {err:?}"
    );
}

#[tokio::test]
async fn revoked_and_unknown_refresh_tokens_are_permanent() {
    let fake = FakeBackend::start().await;
    let issued = fake.add_account(FakeAccount::new("acct-1", "plus"));
    let client = oauth(&fake);
    fake.invalidate_account("acct-1");
    let err = client
        .refresh(&Secret::new(issued.refresh_token))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("refresh_token_invalidated"));

    let err = client.refresh(&Secret::new("never-issued")).await.unwrap_err();
    assert_eq!(err.code(), Some("invalid_grant"));

    fake.script_refresh(RefreshBehavior::Status(401, bodies::refresh_token_reused()));
    let err = client.refresh(&Secret::new("whatever")).await.unwrap_err();
    assert!(err.is_reused());
}

#[tokio::test]
async fn pkce_browser_login_end_to_end() {
    let fake = FakeBackend::start().await;
    fake.set_login_identity(FakeAccount::new("acct-2", "pro"));
    let client = oauth(&fake);
    let pkce = Pkce::generate();
    let state = generate_state();

    // The "browser": follow the authorize URL to the redirect it answers with.
    let url = authorize_url(
        client.issuer(),
        CODEX_CLIENT_ID,
        DEFAULT_REDIRECT_URI,
        &pkce,
        &state,
    );
    let browser = client_builder(Duration::from_secs(5))
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = browser.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(DEFAULT_REDIRECT_URI), "{location}");

    let code = parse_redirect(&location, &state).unwrap();
    assert_eq!(
        parse_redirect(&location, "another-attempt"),
        Err(LoginError::StateMismatch)
    );

    let wrong = Pkce::generate();
    let err = client
        .exchange_code(&code, &wrong.verifier, DEFAULT_REDIRECT_URI)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, LoginError::Issuer { status: 400, code: Some(c), .. } if c == "invalid_grant"),
        "{err:?}"
    );

    let set = client
        .exchange_code(&code, &pkce.verifier, DEFAULT_REDIRECT_URI)
        .await
        .unwrap();
    assert_eq!(
        claims_identity(&set.id_token.clone().unwrap()),
        ("acct-2".to_owned(), "user-acct-2".to_owned())
    );
    assert_eq!(
        decode_claims(set.access_token.expose())
            .unwrap()
            .plan_type
            .as_deref(),
        Some("pro")
    );

    // Codes are single use, and the fresh refresh token works.
    let err = client
        .exchange_code(&code, &pkce.verifier, DEFAULT_REDIRECT_URI)
        .await
        .unwrap_err();
    assert!(matches!(err, LoginError::Issuer { status: 400, .. }), "{err:?}");
    assert!(client.refresh(&set.refresh_token.unwrap()).await.is_ok());

    let seen = &fake.authorize_requests()[0].params;
    let get = |k: &str| seen.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    assert_eq!(get("code_challenge"), Some(pkce.challenge.as_str()));
    assert_eq!(get("scope"), Some("openid profile email offline_access"));
}

#[tokio::test]
async fn device_login_end_to_end_and_expiry() {
    let fake = FakeBackend::start().await;
    fake.set_login_identity(FakeAccount::new("acct-3", "team").with_user("user-b"));
    fake.set_device_pending(2);
    let client = oauth(&fake);

    let mut code = client.device_start().await.unwrap();
    assert_eq!(
        code.interval,
        Duration::from_secs(1),
        "the string interval is read"
    );
    assert_eq!(
        code.verification_url,
        format!("{}/codex/device", fake.issuer_url())
    );
    code.interval = Duration::from_millis(1);
    let set = client.device_complete(&code).await.unwrap();
    assert_eq!(fake.device_polls(), 3, "two pending answers, then authorized");
    assert_eq!(
        claims_identity(&set.id_token.unwrap()),
        ("acct-3".to_owned(), "user-b".to_owned())
    );

    let code = client.device_start().await.unwrap();
    fake.expire_device_code();
    assert_eq!(client.device_poll(&code).await, Err(LoginError::DeviceExpired));
}
