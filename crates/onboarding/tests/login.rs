//! Logins against the fake issuer of `codex-router-test-support`: the PKCE login (pasted
//! redirect or callback server, a wrong `state` refused) and the device-code login.
//! The browser is played by reqwest: GET the authorize URL without following redirects, and
//! read the redirect from `Location`.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failure here is a test failure"
)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use codex_router_core::Timestamp;
use codex_router_oauth::{CODEX_CLIENT_ID, DEFAULT_REDIRECT_URI, LoginError, OAuthClient, client_builder};
use codex_router_onboarding::{
    BrowserLogin, CallbackServer, LoginFlowError, SOURCE_LOGIN, device_login_paced, merge_into,
};
use codex_router_store::{AccountsFile, StoredAccount};
use codex_router_test_support::{FakeAccount, FakeBackend};
use common::assert_no_secrets;

fn oauth(fake: &FakeBackend) -> OAuthClient {
    let http = client_builder(Duration::from_secs(5)).no_proxy().build().unwrap();
    OAuthClient::new(http, fake.issuer_url(), CODEX_CLIENT_ID)
}

/// The browser: plain HTTP, never following redirects.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

/// What the issuer redirects the browser to after the (fake) user signed in.
async fn redirect_location(url: &str) -> String {
    let resp = browser().get(url).send().await.unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::FOUND);
    resp.headers()["location"].to_str().unwrap().to_owned()
}

fn with_state(location: &str, state: &str) -> String {
    let (base, _) = location.split_once("&state=").unwrap();
    format!("{base}&state={state}")
}

fn token_exchanges(fake: &FakeBackend) -> usize {
    fake.issuer_requests()
        .iter()
        .filter(|r| r.path == "/oauth/token")
        .count()
}

/// The account holds tokens the fake issued for the signed-in identity: the pool completes it
/// as that identity, and its refresh token is one the issuer accepts.
async fn assert_issued_for(fake: &FakeBackend, account: StoredAccount, who: &str) {
    assert_eq!(account.source.as_deref(), Some(SOURCE_LOGIN));
    let refresh = account.tokens.refresh_token.clone();
    let mut pool = AccountsFile::default();
    let report = merge_into(&mut pool, vec![account], Timestamp::from_unix_secs(0));
    assert_eq!(report.added, ["pro-1"]);
    assert_eq!(pool.accounts[0].chatgpt_account_id.as_deref(), Some(who));
    oauth(fake).refresh(&refresh).await.unwrap();
}

/// PKCE login, `--no-browser`: the pasted redirect adds the account the fake issued.
#[tokio::test]
async fn pasted_redirect_login_adds_the_issued_account() {
    let fake = FakeBackend::start().await;
    fake.set_login_identity(FakeAccount::new("ws-paste", "pro"));
    let oauth = oauth(&fake);
    let login = BrowserLogin::start(&oauth, DEFAULT_REDIRECT_URI);
    let location = redirect_location(login.url()).await;
    assert!(location.starts_with(DEFAULT_REDIRECT_URI), "{location}");

    let account = login.complete_from_pasted(&oauth, &location, None).await.unwrap();
    // The fake's tokens are JWTs (`eyJ...`) carrying `ws-paste@example.test`.
    assert_no_secrets(&format!("{account:?} {login:?}"));
    assert_issued_for(&fake, account, "ws-paste").await;
}

/// PKCE login: a redirect with another `state` is refused before any code exchange.
#[tokio::test]
async fn pasted_redirect_with_a_wrong_state_adds_nothing() {
    let fake = FakeBackend::start().await;
    fake.set_login_identity(FakeAccount::new("ws-paste", "pro"));
    let oauth = oauth(&fake);
    let login = BrowserLogin::start(&oauth, DEFAULT_REDIRECT_URI);
    let forged = with_state(&redirect_location(login.url()).await, "someone-elses");

    let err = login
        .complete_from_pasted(&oauth, &forged, None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, LoginFlowError::OAuth(LoginError::StateMismatch)),
        "{err:?}"
    );
    assert_eq!(token_exchanges(&fake), 0, "the code was never presented");
}

async fn callback_server() -> (CallbackServer, String) {
    let server = CallbackServer::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let redirect_uri = format!("http://{}/auth/callback", server.local_addr());
    (server, redirect_uri)
}

/// PKCE login, browser path: the redirect delivered to the callback server completes the login.
#[tokio::test]
async fn callback_server_login_adds_the_issued_account() {
    let fake = FakeBackend::start().await;
    fake.set_login_identity(FakeAccount::new("ws-browser", "pro"));
    let oauth = oauth(&fake);
    let (server, redirect_uri) = callback_server().await;
    let login = BrowserLogin::start(&oauth, &redirect_uri);
    let location = redirect_location(login.url()).await;
    assert_eq!(
        format!("{server:?}"),
        format!("CallbackServer {{ addr: {} }}", server.local_addr())
    );

    let deliver = async {
        // A browser asks for a favicon too; it must not decide the login.
        let favicon = browser()
            .get(redirect_uri.replace("/auth/callback", "/favicon.ico"))
            .send()
            .await
            .unwrap();
        assert_eq!(favicon.status(), 404);
        browser().get(&location).send().await.unwrap()
    };
    let (account, page) = tokio::join!(
        login.complete_with_server(&oauth, server, Duration::from_secs(30), None),
        deliver
    );
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Signed in"));
    assert_issued_for(&fake, account.unwrap(), "ws-browser").await;
}

/// PKCE login, browser path: a wrong `state` gets a 400 page and an error; nothing is added.
#[tokio::test]
async fn callback_with_a_wrong_state_gets_a_400_and_adds_nothing() {
    let fake = FakeBackend::start().await;
    fake.set_login_identity(FakeAccount::new("ws-browser", "pro"));
    let oauth = oauth(&fake);
    let (server, redirect_uri) = callback_server().await;
    let login = BrowserLogin::start(&oauth, &redirect_uri);
    let forged = with_state(&redirect_location(login.url()).await, "forged");

    let (result, page) = tokio::join!(
        login.complete_with_server(&oauth, server, Duration::from_secs(30), None),
        async { browser().get(&forged).send().await.unwrap() }
    );
    assert_eq!(page.status(), 400);
    assert!(page.text().await.unwrap().contains("state mismatch"));
    let err = result.unwrap_err();
    assert!(
        matches!(err, LoginFlowError::OAuth(LoginError::StateMismatch)),
        "{err:?}"
    );
    assert_eq!(token_exchanges(&fake), 0);
}

#[tokio::test]
async fn a_busy_callback_port_suggests_no_browser() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let err = CallbackServer::bind(addr).await.unwrap_err();
    assert!(matches!(err, LoginFlowError::CallbackPortBusy { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(&addr.to_string()) && msg.contains("--no-browser"),
        "{msg}"
    );
}

#[tokio::test]
async fn no_callback_before_the_timeout_is_an_error_and_frees_the_port() {
    let (server, _) = callback_server().await;
    let addr = server.local_addr();
    let err = server
        .wait_for_code("s", Duration::from_millis(20))
        .await
        .unwrap_err();
    assert!(matches!(err, LoginFlowError::Timeout { .. }), "{err:?}");
    CallbackServer::bind(addr).await.unwrap();
}

/// Device-code login: pending, pending, then the account.
#[tokio::test]
async fn device_login_polls_through_pending_to_the_account() {
    let fake = FakeBackend::start().await;
    fake.set_login_identity(FakeAccount::new("ws-device", "pro"));
    fake.set_device_pending(2);
    let oauth = oauth(&fake);
    let prompted = std::cell::Cell::new(false);
    let polls = std::cell::RefCell::new(Vec::new());

    let account = device_login_paced(
        &oauth,
        Some("dev-box"),
        |_| std::future::ready(()),
        |code| {
            assert!(!code.user_code.is_empty());
            assert!(code.verification_url.ends_with("/codex/device"));
            prompted.set(true);
        },
        |n| polls.borrow_mut().push(n),
    )
    .await
    .unwrap();
    assert!(prompted.get());
    assert_eq!(*polls.borrow(), [1, 2]);
    assert_eq!(fake.device_polls(), 3);
    assert_eq!(account.label.as_deref(), Some("dev-box"));
    let mut renamed = account;
    renamed.label = None;
    assert_issued_for(&fake, renamed, "ws-device").await;
}

/// Device-code login: an expired device code ends the login with a clear error.
#[tokio::test]
async fn device_login_expiry_is_a_clear_error() {
    let fake = FakeBackend::start().await;
    fake.set_login_identity(FakeAccount::new("ws-device", "pro"));
    fake.set_device_pending(100);
    let oauth = oauth(&fake);
    let err = device_login_paced(
        &oauth,
        None,
        |_| std::future::ready(()),
        |_| {},
        |_| fake.expire_device_code(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, LoginFlowError::OAuth(LoginError::DeviceExpired)),
        "{err:?}"
    );
    assert!(err.to_string().contains("expired"), "{err}");
    assert_eq!(fake.device_polls(), 2);
    assert_no_secrets(&format!("{err:?}"));
}
