//! Fake JWTs shaped like the ChatGPT issuer's.
//!
//! The router only ever *reads* these tokens (claims for the account id, plan and `exp`); it never verifies a
//! signature, so a fixed fake signature keeps the format honest without pulling in a crypto stack.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// The header every fake token carries. `alg: none` makes it obvious the signature is not real.
const HEADER: &str = r#"{"alg":"none","typ":"JWT","kid":"fake-codex-router-test"}"#;

/// Builds `header.payload.signature`, each part base64url without padding, like a real JWT.
pub fn make_jwt(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(HEADER);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signature = URL_SAFE_NO_PAD.encode(b"fake-signature");
    format!("{header}.{payload}.{signature}")
}

/// Reads the payload claims of a JWT without verifying it; `None` when the token is not a JWT.
///
/// Tests use it to assert what the router stored; the fake uses it to honour the `exp` claim.
pub fn decode_jwt_claims(token: &str) -> Option<Value> {
    let mut parts = token.split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The identity part of the claims, shared by access and id tokens as the real issuer does.
pub(crate) struct ClaimsInput<'a> {
    pub chatgpt_account_id: &'a str,
    pub user_id: &'a str,
    pub email: &'a str,
    pub plan_type: &'a str,
    pub iat: i64,
    pub exp: i64,
    pub jti: &'a str,
}

/// Claims in the layout the real tokens use (`https://api.openai.com/auth` and `/profile` namespaces).
pub(crate) fn identity_claims(input: &ClaimsInput<'_>) -> Value {
    json!({
        "iss": "https://auth.openai.com",
        "aud": ["https://api.openai.com/v1"],
        "exp": input.exp,
        "iat": input.iat,
        "jti": input.jti,
        "sub": input.user_id,
        "email": input.email,
        "email_verified": true,
        "https://api.openai.com/auth": {
            "chatgpt_account_id": input.chatgpt_account_id,
            "chatgpt_user_id": input.user_id,
            "user_id": input.user_id,
            "chatgpt_plan_type": input.plan_type,
        },
        "https://api.openai.com/profile": {
            "email": input.email,
            "email_verified": true,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_claims() {
        let claims = json!({"exp": 12, "sub": "user-a"});
        let token = make_jwt(&claims);
        assert_eq!(token.split('.').count(), 3);
        assert!(!token.contains('='));
        assert_eq!(decode_jwt_claims(&token), Some(claims));
    }

    #[test]
    fn rejects_non_jwt() {
        assert_eq!(decode_jwt_claims("rt_opaque"), None);
        assert_eq!(decode_jwt_claims("a.b.c.d"), None);
        assert_eq!(decode_jwt_claims("a.!!!.c"), None);
    }
}
