//! Refreshing an access token: `POST {issuer}/oauth/token` with the JSON body Codex itself
//! sends, and the classification of failures into "sign in again" and "try later".
//!
//! **No retries here.** Refresh tokens are single use: the issuer may have rotated the token
//! even when its answer never arrived (timeout, connection reset, 5xx after the commit), and
//! presenting it again then gets `refresh_token_reused`, which can cost the user the login.
//! Whether and when to try again is the runtime's decision, made with what it recorded
//! (SPEC §6: one refresh in flight per account, the in-flight mark written before the call).

use codex_router_core::Secret;
use serde::Serialize;

use crate::client::OAuthClient;
use crate::http::{describe, read_capped};
use crate::issuer_error;
use crate::tokens::{self, TokenSet};

/// Codes that mean the refresh token will never work again, at any HTTP status.
const PERMANENT_CODES: [&str; 3] = [
    "refresh_token_expired",
    "refresh_token_reused",
    "refresh_token_invalidated",
];

/// Why a refresh failed, sorted by what the caller can do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefreshError {
    /// The refresh token is dead (expired, reused, revoked, or the issuer said 401): the
    /// account needs a new login. Never retried.
    #[error("the issuer rejected the refresh token for good ({code}): {message}")]
    Permanent { code: String, message: String },
    /// Anything else: network errors, timeouts, 5xx, 429 and unknown 4xx, a malformed
    /// success. Retrying may work, but the presented token may already be spent (see the
    /// module docs), so a retry must expect `refresh_token_reused`.
    #[error("token refresh failed{}: {message}", fmt_status(*.status))]
    Transient { status: Option<u16>, message: String },
    /// `connect_failed`: no connection to the issuer could be made (refused, DNS, TLS or proxy
    /// handshake), so the request, and the refresh token in it, never left this process. Unlike
    /// a `Transient` without a status (`no_answer`: the request may have reached the issuer),
    /// the token is certainly not spent and may be presented again.
    #[error("token refresh failed: could not connect to the issuer: {message}")]
    ConnectFailed { message: String },
}

fn fmt_status(status: Option<u16>) -> String {
    status.map(|s| format!(" (HTTP {s})")).unwrap_or_default()
}

impl RefreshError {
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Permanent { .. })
    }

    /// The issuer's error code of a permanent failure (`http_401` when a 401 named none).
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Permanent { code, .. } => Some(code),
            Self::Transient { .. } | Self::ConnectFailed { .. } => None,
        }
    }

    /// The token had already been used. After a crash mid-refresh this is the answer that
    /// says the interrupted refresh went through (SPEC §6).
    pub fn is_reused(&self) -> bool {
        self.code()
            .is_some_and(|c| c.eq_ignore_ascii_case("refresh_token_reused"))
    }
}

#[derive(Serialize)]
struct RefreshRequest<'a> {
    client_id: &'a str,
    grant_type: &'static str,
    refresh_token: &'a str,
}

impl OAuthClient {
    /// Presents `refresh_token` once and returns the new tokens. See the module docs for why
    /// this never retries.
    pub async fn refresh(&self, refresh_token: &Secret) -> Result<TokenSet, RefreshError> {
        let body = RefreshRequest {
            client_id: self.client_id(),
            grant_type: "refresh_token",
            refresh_token: refresh_token.expose(),
        };
        let transient = |status: Option<u16>, message: String| RefreshError::Transient {
            status,
            message: issuer_error::scrub(message, &[refresh_token.expose()]),
        };
        let resp = self.post("/oauth/token").json(&body).send().await.map_err(|e| {
            if e.is_connect() {
                RefreshError::ConnectFailed {
                    message: issuer_error::scrub(describe(&e), &[refresh_token.expose()]),
                }
            } else {
                transient(None, describe(&e))
            }
        })?;
        let status = resp.status().as_u16();
        let bytes = read_capped(resp)
            .await
            .map_err(|e| transient(Some(status), format!("reading the answer: {}", describe(&e))))?;
        if (200..300).contains(&status) {
            return tokens::parse(&bytes).map_err(|m| transient(Some(status), m));
        }
        Err(classify(status, &bytes, refresh_token))
    }
}

/// Sorts a non-success answer of the token endpoint (backend-shapes §3, the newer codex-rs
/// rule): permanent when the status is 401, or the code is one of [`PERMANENT_CODES`] at any
/// status, or the status is 400 with `invalid_grant`; transient otherwise.
pub(crate) fn classify(status: u16, body: &[u8], presented: &Secret) -> RefreshError {
    let parsed = issuer_error::parse(body);
    let code = parsed.code;
    let is = |want: &str| code.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(want));
    let permanent =
        status == 401 || PERMANENT_CODES.iter().any(|c| is(c)) || (status == 400 && is("invalid_grant"));
    let message = parsed.message.unwrap_or_else(|| "no message".to_owned());
    let message = issuer_error::scrub(message, &[presented.expose()]);
    if permanent {
        let code = code.unwrap_or_else(|| format!("http_{status}"));
        RefreshError::Permanent { code, message }
    } else {
        let message = match code {
            Some(code) => format!("{code}: {message}"),
            None => message,
        };
        RefreshError::Transient {
            status: Some(status),
            message,
        }
    }
}

#[cfg(test)]
#[path = "refresh_tests.rs"]
mod tests;
