//! [`TokenSet`], the success answer of `POST {issuer}/oauth/token` for every grant.

use codex_router_core::Secret;
use serde_json::Value;

/// Tokens the issuer handed out. Every token is a [`Secret`], so `Debug` shows none of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSet {
    pub access_token: Secret,
    /// The next refresh token. Refresh tokens rotate: after a refresh the presented one is
    /// spent and this one must be stored (durably, before use) in its place. `None` when the
    /// issuer kept the old one, which callers then keep.
    pub refresh_token: Option<Secret>,
    pub id_token: Option<Secret>,
    /// Lifetime of the access token in seconds, when the issuer says; the access token's own
    /// `exp` claim is the better source.
    pub expires_in: Option<u64>,
}

/// Parses a success body. `Err` carries a message that names what was wrong, never a value.
pub(crate) fn parse(body: &[u8]) -> Result<TokenSet, String> {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        return Err("the token endpoint answered success with a body that is not a JSON object".into());
    };
    let secret = |key: &str| {
        map.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(Secret::new)
    };
    let Some(access_token) = secret("access_token") else {
        return Err("the token endpoint answered success without an access_token".into());
    };
    let expires_in = map.get("expires_in").and_then(|v| match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    });
    Ok(TokenSet {
        access_token,
        refresh_token: secret("refresh_token"),
        id_token: secret("id_token"),
        expires_in,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_all_fields_and_tolerates_missing_optional_ones() {
        let full = br#"{"access_token":"at","refresh_token":"rt","id_token":"it","expires_in":3600,"token_type":"Bearer"}"#;
        let set = parse(full).unwrap();
        assert_eq!(set.access_token.expose(), "at");
        assert_eq!(set.refresh_token.as_ref().map(Secret::expose), Some("rt"));
        assert_eq!(set.id_token.as_ref().map(Secret::expose), Some("it"));
        assert_eq!(set.expires_in, Some(3600));

        let minimal = parse(br#"{"access_token":"at","refresh_token":"","expires_in":"60"}"#).unwrap();
        assert_eq!(minimal.refresh_token, None);
        assert_eq!(minimal.id_token, None);
        assert_eq!(minimal.expires_in, Some(60));
    }

    #[test]
    fn missing_access_token_is_an_error_without_values() {
        let err = parse(br#"{"refresh_token":"rt-secret"}"#).unwrap_err();
        assert!(err.contains("without an access_token"), "{err}");
        assert!(!err.contains("rt-secret"));
        assert!(parse(b"<html>").is_err());
        assert!(parse(br#"{"access_token":""}"#).is_err());
    }

    #[test]
    fn debug_shows_no_token() {
        let set =
            parse(br#"{"access_token":"at-secret","refresh_token":"rt-secret","id_token":"it-secret"}"#)
                .unwrap();
        assert!(!format!("{set:?}").contains("secret"));
    }
}
