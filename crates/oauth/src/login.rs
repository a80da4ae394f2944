//! The browser login of SPEC §6: an authorize URL with PKCE, the redirect it comes back on
//! (caught by a local listener or pasted by the user with `--no-browser`), and the exchange
//! of the authorization code for tokens.

use std::collections::HashMap;

use codex_router_core::Secret;
use url::form_urlencoded;

use crate::client::OAuthClient;
use crate::http::{describe, read_capped};
use crate::issuer_error;
use crate::pkce::Pkce;
use crate::tokens::{self, TokenSet};

/// The scopes Codex asks for; `offline_access` is what yields a refresh token.
pub const SCOPE: &str = "openid profile email offline_access";

/// Why a login step failed. Messages may quote the issuer, never a token, code or verifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("not a login redirect URL (expected .../auth/callback?code=...&state=...)")]
    InvalidRedirect,
    /// The redirect belongs to another login attempt (or to an attacker's): never exchanged.
    #[error("the redirect does not belong to this login attempt (state mismatch); start the login again")]
    StateMismatch,
    #[error("the sign-in was refused ({error}){}", .description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Denied {
        error: String,
        description: Option<String>,
    },
    #[error("the redirect URL carries no authorization code")]
    MissingCode,
    #[error("the issuer answered HTTP {status}{}: {message}", .code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Issuer {
        status: u16,
        code: Option<String>,
        message: String,
    },
    #[error("could not reach the issuer: {0}")]
    Network(String),
    #[error("unexpected answer from the issuer: {0}")]
    InvalidResponse(String),
    #[error("device code login is not enabled on this issuer; use the browser login")]
    DeviceNotEnabled,
    #[error("the device code expired before the sign-in was completed; start the login again")]
    DeviceExpired,
}

/// The URL that starts a browser login at `{issuer}/oauth/authorize`, with the parameters
/// Codex sends (SPEC §6). Values are percent-encoded with `%20` for spaces, as Codex does.
pub fn authorize_url(issuer: &str, client_id: &str, redirect_uri: &str, pkce: &Pkce, state: &str) -> String {
    let params = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("scope", SCOPE),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("id_token_add_organizations", "true"),
        ("codex_cli_simplified_flow", "true"),
        ("state", state),
    ];
    let query: Vec<String> = params
        .iter()
        .map(|(key, value)| format!("{key}={}", encode(value)))
        .collect();
    format!(
        "{}/oauth/authorize?{}",
        issuer.trim_end_matches('/'),
        query.join("&")
    )
}

/// `byte_serialize` writes a space as `+` (and a literal `+` as `%2B`), so every `+` left
/// is a space; `%20` is what every server reads as a space in a URL query.
fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

/// The authorization code from a redirect URL (or just its query), after checking `state`.
/// The state is checked first: a redirect that is not ours is refused whatever it says.
pub fn parse_redirect(url: &str, expected_state: &str) -> Result<String, LoginError> {
    let text = url.trim();
    let query = match url::Url::parse(text) {
        Ok(parsed) => parsed.query().unwrap_or_default().to_owned(),
        Err(_) => {
            let after_mark = text.split_once('?').map_or(text, |(_, q)| q);
            after_mark.split('#').next().unwrap_or_default().to_owned()
        }
    };
    let params: HashMap<String, String> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let get = |key: &str| params.get(key).filter(|v| !v.is_empty());
    if !["code", "state", "error"].iter().any(|k| params.contains_key(*k)) {
        return Err(LoginError::InvalidRedirect);
    }
    if expected_state.is_empty() || get("state").map(String::as_str) != Some(expected_state) {
        return Err(LoginError::StateMismatch);
    }
    if let Some(error) = get("error") {
        return Err(LoginError::Denied {
            error: error.clone(),
            description: get("error_description").cloned(),
        });
    }
    get("code").cloned().ok_or(LoginError::MissingCode)
}

impl OAuthClient {
    /// Exchanges an authorization code for tokens (`grant_type=authorization_code`,
    /// form-encoded, as the issuer expects for this grant). A success without a refresh token
    /// is an error: such a login could not be kept alive.
    pub async fn exchange_code(
        &self,
        code: &str,
        verifier: &Secret,
        redirect_uri: &str,
    ) -> Result<TokenSet, LoginError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("client_id", self.client_id())
            .append_pair("code_verifier", verifier.expose())
            .finish();
        let request = self
            .post("/oauth/token")
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        let (status, bytes) = send(request).await?;
        if !(200..300).contains(&status) {
            return Err(issuer_failure(status, &bytes, &[code, verifier.expose()]));
        }
        let set = tokens::parse(&bytes).map_err(LoginError::InvalidResponse)?;
        if set.refresh_token.is_none() {
            return Err(LoginError::InvalidResponse(
                "the token endpoint issued no refresh_token, so the account could not stay signed in".into(),
            ));
        }
        Ok(set)
    }
}

/// Sends a request and reads the whole (capped) answer.
pub(crate) async fn send(request: reqwest::RequestBuilder) -> Result<(u16, Vec<u8>), LoginError> {
    let resp = request
        .send()
        .await
        .map_err(|e| LoginError::Network(describe(&e)))?;
    let status = resp.status().as_u16();
    let bytes = read_capped(resp)
        .await
        .map_err(|e| LoginError::Network(format!("reading the answer: {}", describe(&e))))?;
    Ok((status, bytes))
}

/// A non-success answer as [`LoginError::Issuer`], with `secrets` scrubbed from the message.
pub(crate) fn issuer_failure(status: u16, body: &[u8], secrets: &[&str]) -> LoginError {
    let parsed = issuer_error::parse(body);
    let message = parsed.message.unwrap_or_else(|| "no message".to_owned());
    LoginError::Issuer {
        status,
        code: parsed.code,
        message: issuer_error::scrub(message, secrets),
    }
}

#[cfg(test)]
#[path = "login_tests.rs"]
mod tests;
