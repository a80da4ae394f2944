//! The device-code login (`codexctl accounts login --device`, SPEC §6), for machines without
//! a browser. Shapes follow codex-rs `login/src/device_code_auth.rs`:
//!
//! 1. `POST {issuer}/api/accounts/deviceauth/usercode` `{"client_id"}` answers
//!    `{"device_auth_id","user_code"` (or `"usercode"`)`,"interval":"5"}`; the interval is a
//!    string there, a number is accepted too. A 404 means the issuer has no device login.
//! 2. The user opens `{issuer}/codex/device` and types the user code.
//! 3. `POST {issuer}/api/accounts/deviceauth/token` `{"device_auth_id","user_code"}` answers
//!    403 or 404 while the user has not finished, then
//!    `{"authorization_code","code_challenge","code_verifier"}`: the issuer made the PKCE pair.
//! 4. The code is exchanged like a browser login's, with redirect `{issuer}/deviceauth/callback`.
//!
//! Codex gives up after 15 minutes; the issuer's answer names no lifetime in what codex-rs
//! reads, so that is the default here (an `expires_in` in seconds is honoured if present).
//! How the issuer itself reports an expired code is not captured anywhere we could read; a
//! `410` or an error code containing `expired` is taken to mean it (the test fake's choice).

use std::time::{Duration, SystemTime};

use codex_router_core::{Secret, Timestamp};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::client::OAuthClient;
use crate::login::{LoginError, issuer_failure, send};
use crate::tokens::TokenSet;

/// How long a user code stays valid when the issuer does not say.
pub const DEFAULT_DEVICE_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// Poll interval when the issuer does not say.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(5);

/// A pending device login. The user code is meant to be shown; the device id is what polls
/// for the result, so it is a [`Secret`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCode {
    pub device_auth_id: Secret,
    pub user_code: String,
    /// Wait at least this long between polls.
    pub interval: Duration,
    /// Where the user types [`DeviceCode::user_code`].
    pub verification_url: String,
    /// After this instant polling stops with [`LoginError::DeviceExpired`].
    pub expires_at: Timestamp,
}

/// One poll's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevicePoll {
    /// The user has not finished yet: wait [`DeviceCode::interval`] and poll again.
    Pending,
    /// Finished: exchange with [`OAuthClient::device_exchange`].
    Authorized {
        authorization_code: String,
        code_verifier: Secret,
    },
}

#[derive(Serialize)]
struct UserCodeRequest<'a> {
    client_id: &'a str,
}

#[derive(Serialize)]
struct PollRequest<'a> {
    device_auth_id: &'a str,
    user_code: &'a str,
}

impl OAuthClient {
    /// Asks the issuer for a user code (step 1).
    pub async fn device_start(&self) -> Result<DeviceCode, LoginError> {
        let request = self
            .post("/api/accounts/deviceauth/usercode")
            .json(&UserCodeRequest {
                client_id: self.client_id(),
            });
        let (status, bytes) = send(request).await?;
        match status {
            200..=299 => {}
            404 => return Err(LoginError::DeviceNotEnabled),
            _ => return Err(issuer_failure(status, &bytes, &[])),
        }
        let map = object(&bytes)?;
        let (Some(device_auth_id), Some(user_code)) = (
            text(&map, "device_auth_id"),
            text(&map, "user_code").or_else(|| text(&map, "usercode")),
        ) else {
            return Err(invalid(
                "the device code answer lacks device_auth_id or user_code",
            ));
        };
        let interval = seconds(&map, "interval")
            .filter(|s| *s > 0)
            .map(Duration::from_secs);
        let lifetime = seconds(&map, "expires_in").map(Duration::from_secs);
        let verification_url = text(&map, "verification_url")
            .or_else(|| text(&map, "verification_uri"))
            .unwrap_or_else(|| self.endpoint("/codex/device"));
        Ok(DeviceCode {
            device_auth_id: Secret::new(device_auth_id),
            user_code,
            interval: interval.unwrap_or(DEFAULT_POLL_INTERVAL),
            verification_url,
            expires_at: now().plus(lifetime.unwrap_or(DEFAULT_DEVICE_LIFETIME)),
        })
    }

    /// Polls once (step 3). 403 and 404 mean "not yet"; any other failure, or the code's
    /// expiry (ours, or the issuer's: `410 Gone` or a code naming `expired`), ends the login.
    pub async fn device_poll(&self, code: &DeviceCode) -> Result<DevicePoll, LoginError> {
        if now() >= code.expires_at {
            return Err(LoginError::DeviceExpired);
        }
        let request = self.post("/api/accounts/deviceauth/token").json(&PollRequest {
            device_auth_id: code.device_auth_id.expose(),
            user_code: &code.user_code,
        });
        let (status, bytes) = send(request).await?;
        match status {
            200..=299 => {}
            403 | 404 if now() >= code.expires_at => return Err(LoginError::DeviceExpired),
            403 | 404 => return Ok(DevicePoll::Pending),
            _ => return Err(poll_failure(status, &bytes, &code.device_auth_id)),
        }
        let map = object(&bytes)?;
        match (text(&map, "authorization_code"), text(&map, "code_verifier")) {
            (Some(authorization_code), Some(verifier)) => Ok(DevicePoll::Authorized {
                authorization_code,
                code_verifier: Secret::new(verifier),
            }),
            _ => Err(invalid(
                "the device token answer lacks authorization_code or code_verifier",
            )),
        }
    }

    /// The redirect URI the issuer registered for device codes; the exchange must repeat it.
    pub fn device_redirect_uri(&self) -> String {
        self.endpoint("/deviceauth/callback")
    }

    /// Exchanges an authorized device login for tokens (step 4).
    pub async fn device_exchange(
        &self,
        authorization_code: &str,
        code_verifier: &Secret,
    ) -> Result<TokenSet, LoginError> {
        self.exchange_code(authorization_code, code_verifier, &self.device_redirect_uri())
            .await
    }

    /// Polls every [`DeviceCode::interval`] until the user finishes, then exchanges the code.
    pub async fn device_complete(&self, code: &DeviceCode) -> Result<TokenSet, LoginError> {
        loop {
            match self.device_poll(code).await? {
                DevicePoll::Pending => tokio::time::sleep(code.interval).await,
                DevicePoll::Authorized {
                    authorization_code,
                    code_verifier,
                } => {
                    return self.device_exchange(&authorization_code, &code_verifier).await;
                }
            }
        }
    }
}

/// The wall clock; this crate is an IO layer, so it may read it (the core never does).
fn now() -> Timestamp {
    Timestamp::now_from(SystemTime::now())
}

/// A failed poll; an expiry the issuer reports becomes [`LoginError::DeviceExpired`].
fn poll_failure(status: u16, bytes: &[u8], device_auth_id: &Secret) -> LoginError {
    match issuer_failure(status, bytes, &[device_auth_id.expose()]) {
        _ if status == 410 => LoginError::DeviceExpired,
        LoginError::Issuer { code: Some(c), .. } if c.contains("expired") => LoginError::DeviceExpired,
        other => other,
    }
}

fn invalid(message: &str) -> LoginError {
    LoginError::InvalidResponse(message.to_owned())
}

fn object(bytes: &[u8]) -> Result<Map<String, Value>, LoginError> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(invalid(
            "the issuer answered success with a body that is not a JSON object",
        )),
    }
}

fn text(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A count of seconds sent as a number or as a numeric string (`"interval":"5"`).
fn seconds(map: &Map<String, Value>, key: &str) -> Option<u64> {
    match map.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
