//! The claims codex-router reads from ChatGPT id and access tokens.
//!
//! The signature is not verified: the tokens come straight from the issuer over TLS (or from
//! the user's own files), and the claims only label and group accounts; the backend checks
//! the token itself on every request. Decoding is lenient on purpose: a missing or oddly typed
//! claim yields `None` rather than an error, so a token from a newer issuer still imports.
//! Only a value that is not a JWT with a JSON object payload is an error.

use std::fmt;

use crate::Timestamp;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// The namespaced claim holding the ChatGPT account, user and plan.
const AUTH_CLAIM: &str = "https://api.openai.com/auth";
/// The namespaced claim that holds `email` when it is not at the top level.
const PROFILE_CLAIM: &str = "https://api.openai.com/profile";

/// What a token says about its account. `Debug` omits the email: SPEC §5 keeps emails out
/// of logs, and claims are exactly the kind of value that ends up in a `{:?}`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Claims {
    /// The workspace (`chatgpt-account-id` header); shared by the members of a Team.
    pub chatgpt_account_id: Option<String>,
    /// The person; `chatgpt_user_id`, else the older `user_id`.
    pub chatgpt_user_id: Option<String>,
    pub sub: Option<String>,
    pub email: Option<String>,
    /// `chatgpt_plan_type` as sent (`plus`, `pro`, `team`, ...).
    pub plan_type: Option<String>,
    /// The token's expiry (`exp`, seconds since the epoch).
    pub exp: Option<Timestamp>,
}

impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claims")
            .field("chatgpt_account_id", &self.chatgpt_account_id)
            .field("chatgpt_user_id", &self.chatgpt_user_id)
            .field("sub", &self.sub)
            .field("email", &self.email.as_ref().map(|_| "<omitted>"))
            .field("plan_type", &self.plan_type)
            .field("exp", &self.exp)
            .finish()
    }
}

/// Why a value could not be read as a JWT. The messages never quote the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimsError {
    #[error("not a JWT: expected header.payload.signature")]
    NotAJwt,
    #[error("JWT payload is not valid base64url")]
    Base64,
    #[error("JWT payload is not a JSON object")]
    NotAnObject,
}

/// Decodes the payload of `jwt` without verifying its signature (see the module docs).
pub fn decode_claims(jwt: &str) -> Result<Claims, ClaimsError> {
    let payload = payload_object(jwt)?;
    let auth = payload.get(AUTH_CLAIM).and_then(Value::as_object);
    let auth_str = |key: &str| auth.and_then(|a| string_at(a, key));
    let email = string_at(&payload, "email").or_else(|| {
        let profile = payload.get(PROFILE_CLAIM).and_then(Value::as_object)?;
        string_at(profile, "email")
    });
    Ok(Claims {
        chatgpt_account_id: auth_str("chatgpt_account_id"),
        chatgpt_user_id: auth_str("chatgpt_user_id").or_else(|| auth_str("user_id")),
        sub: string_at(&payload, "sub"),
        email,
        plan_type: auth_str("chatgpt_plan_type"),
        exp: payload
            .get("exp")
            .and_then(seconds)
            .map(Timestamp::from_unix_secs),
    })
}

/// An account's identity per SPEC §5: (`chatgpt_account_id`, `chatgpt_user_id`, else `sub`).
/// Several people share one `chatgpt_account_id` in a Team workspace, so the account id alone
/// is not enough. `None` when either half is missing: such an identity cannot be compared, and
/// callers must then fail safe (never merge, never overwrite another file's tokens).
pub fn identity(claims: &Claims) -> Option<(String, String)> {
    let account = claims.chatgpt_account_id.clone()?;
    let user = claims.chatgpt_user_id.clone().or_else(|| claims.sub.clone())?;
    Some((account, user))
}

fn payload_object(jwt: &str) -> Result<Map<String, Value>, ClaimsError> {
    let mut parts = jwt.trim().split('.');
    let (Some(_header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ClaimsError::NotAJwt);
    };
    if payload.is_empty() {
        return Err(ClaimsError::NotAJwt);
    }
    // Some encoders pad; base64url in JWTs is unpadded by definition, so accept both.
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| ClaimsError::Base64)?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(ClaimsError::NotAnObject),
    }
}

/// A non-empty string claim; anything else (absent, null, number, "") is `None`.
fn string_at(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// `exp` as whole seconds; tolerate a float or a numeric string.
fn seconds(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
#[path = "claims_tests.rs"]
mod tests;
