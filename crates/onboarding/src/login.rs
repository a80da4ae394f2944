//! `codexctl accounts login [--device] [--no-browser] [--label L]` (SPEC §6): the orchestration
//! of the OAuth flows that `codex-router-oauth` implements step by step.
//!
//! - Browser (PKCE): [`BrowserLogin::start`] builds the authorize URL; the redirect comes back
//!   to a one-shot [`CallbackServer`] on `localhost:1455`, or, with `--no-browser`, is pasted
//!   by the user ([`BrowserLogin::complete_from_pasted`]; the caller reads stdin, so no TTY is
//!   needed). The `state` is checked before anything else.
//! - Device code: [`device_login`].
//!
//! Every flow *returns* a [`StoredAccount`] and writes nothing: a timeout, a refusal or a
//! Ctrl-C (dropping the future) leaves no half-added account behind. The caller adds the
//! account (IPC `accounts.add`, or `merge_into` with the daemon down).

mod browser;
mod callback;
mod device;

use std::time::{Duration, SystemTime};

use codex_router_core::Timestamp;
use codex_router_core::label::is_valid_label;
use codex_router_oauth::{
    LoginError, OAuthClient, Pkce, TokenSet, authorize_url, generate_state, parse_redirect,
};
use codex_router_store::{StoredAccount, StoredTokens};

pub use browser::{BrowserCommand, browser_command, open_browser};
pub use callback::{CALLBACK_PATH, CallbackServer, DEFAULT_CALLBACK_ADDR, DEFAULT_LOGIN_TIMEOUT};
pub use device::{device_login, device_login_paced};

use crate::error::LoginFlowError;

/// `source` of an account added by a login.
pub const SOURCE_LOGIN: &str = "login";

/// One browser login attempt: the URL to open, and the `state` and PKCE verifier that only this
/// attempt knows. Not `Clone`: an attempt is finished once.
pub struct BrowserLogin {
    url: String,
    state: String,
    pkce: Pkce,
    redirect_uri: String,
}

impl BrowserLogin {
    /// A fresh attempt with a new PKCE pair and `state`. `redirect_uri` is
    /// [`codex_router_oauth::DEFAULT_REDIRECT_URI`] in production (the one registered for the
    /// Codex client id); tests point it at their own callback server.
    pub fn start(oauth: &OAuthClient, redirect_uri: &str) -> Self {
        let pkce = Pkce::generate();
        let state = generate_state();
        let url = authorize_url(oauth.issuer(), oauth.client_id(), redirect_uri, &pkce, &state);
        Self {
            url,
            state,
            pkce,
            redirect_uri: redirect_uri.to_owned(),
        }
    }

    /// The authorize URL to open (or print, with `--no-browser`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The value the redirect must carry back.
    pub fn state(&self) -> &str {
        &self.state
    }

    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// `--no-browser`: the redirect URL the user pasted (the address bar of the page that
    /// failed to load) → the account.
    pub async fn complete_from_pasted(
        &self,
        oauth: &OAuthClient,
        pasted: &str,
        label: Option<&str>,
    ) -> Result<StoredAccount, LoginFlowError> {
        let code = code_from_pasted(pasted, &self.state)?;
        self.finish(oauth, &code, label).await
    }

    /// Waits for the redirect on `server` (up to `timeout`), then exchanges its code.
    pub async fn complete_with_server(
        &self,
        oauth: &OAuthClient,
        server: CallbackServer,
        timeout: Duration,
        label: Option<&str>,
    ) -> Result<StoredAccount, LoginFlowError> {
        check_label(label)?;
        let code = server.wait_for_code(&self.state, timeout).await?;
        self.finish(oauth, &code, label).await
    }

    /// Exchanges an authorization code obtained for this attempt.
    pub async fn finish(
        &self,
        oauth: &OAuthClient,
        code: &str,
        label: Option<&str>,
    ) -> Result<StoredAccount, LoginFlowError> {
        check_label(label)?;
        let set = oauth
            .exchange_code(code, &self.pkce.verifier, &self.redirect_uri)
            .await?;
        account_from_tokens(set, label, wall_clock())
    }
}

impl std::fmt::Debug for BrowserLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserLogin")
            .field("redirect_uri", &self.redirect_uri)
            .field("state", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// The authorization code in a pasted redirect URL (or just its query), after checking that
/// its `state` is `expected_state`. A redirect of another attempt is refused whatever it says.
pub fn code_from_pasted(url_text: &str, expected_state: &str) -> Result<String, LoginFlowError> {
    Ok(parse_redirect(url_text, expected_state)?)
}

/// Refuses a label that is not header-safe before the user goes through a sign-in for nothing.
pub fn check_label(label: Option<&str>) -> Result<(), LoginFlowError> {
    match label {
        Some(l) if !is_valid_label(l) => Err(LoginFlowError::InvalidLabel),
        _ => Ok(()),
    }
}

/// The account a login's token set makes (`source: login`). The rest (ids, plan, expiry from
/// the claims, a derived label) is completed when it joins the pool.
pub fn account_from_tokens(
    set: TokenSet,
    label: Option<&str>,
    now: Timestamp,
) -> Result<StoredAccount, LoginFlowError> {
    check_label(label)?;
    let Some(refresh_token) = set.refresh_token else {
        return Err(LoginError::InvalidResponse(
            "the token endpoint issued no refresh_token, so the account could not stay signed in".into(),
        )
        .into());
    };
    let mut account = StoredAccount::with_tokens(StoredTokens {
        access_token: set.access_token,
        refresh_token,
        id_token: set.id_token,
        expires_at: set.expires_in.map(|s| now.plus(Duration::from_secs(s))),
    });
    account.label = label.map(str::to_owned);
    account.source = Some(SOURCE_LOGIN.to_owned());
    account.added_at = Some(now);
    account.last_refresh = Some(now);
    Ok(account)
}

/// The wall clock, read at the IO edge: this crate performs logins, it is not the pure core.
fn wall_clock() -> Timestamp {
    Timestamp::now_from(SystemTime::now())
}

#[cfg(test)]
#[path = "login_tests.rs"]
mod tests;
