//! The fake `auth.openai.com`: token endpoint (refresh and code grants), browser authorize redirect and the
//! device-code flow Codex uses (`codex-rs/login/src/device_code_auth.rs`).

pub(crate) mod authorize;
pub(crate) mod device;
pub(crate) mod token;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::{HeaderMap, Method, Uri};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::capture::CapturedRequest;
use crate::server::Shared;

/// The fields of a JSON or `application/x-www-form-urlencoded` body, as strings. The content type picks the
/// format; without one, JSON is tried first. Non-string JSON scalars are stringified; nested values skipped.
pub(crate) fn body_params(body: &[u8], content_type: Option<&str>) -> Vec<(String, String)> {
    let ct = content_type.unwrap_or("").to_ascii_lowercase();
    let form = || url::form_urlencoded::parse(body).into_owned().collect::<Vec<_>>();
    if ct.contains("x-www-form-urlencoded") {
        return form();
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => map
            .into_iter()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k, s)),
                Value::Number(n) => Some((k, n.to_string())),
                Value::Bool(b) => Some((k, b.to_string())),
                _ => None,
            })
            .collect(),
        _ if ct.contains("json") => Vec::new(),
        _ => form(),
    }
}

pub(crate) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// Records an issuer request; `account` is filled when a refresh token in it is known.
pub(crate) fn capture(shared: &Shared, method: &Method, uri: &Uri, headers: &HeaderMap, body: &Bytes) {
    let mut captured = CapturedRequest::new(method, uri, headers, body.clone());
    let mut state = shared.state.lock();
    captured.account = captured
        .param("refresh_token")
        .and_then(|t| state.refresh_owner(&t));
    state.issuer_requests.push(captured);
}

/// The PKCE S256 challenge of a verifier (RFC 7636 §4.2).
pub(crate) fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_matches_rfc7636_appendix_b() {
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn body_params_by_content_type() {
        let form = body_params(b"a=1&b=x%20y", Some("application/x-www-form-urlencoded"));
        assert_eq!(form, vec![("a".into(), "1".into()), ("b".into(), "x y".into())]);
        let json = body_params(br#"{"a":"1","n":2,"o":{}}"#, Some("application/json"));
        assert_eq!(json, vec![("a".into(), "1".into()), ("n".into(), "2".into())]);
        assert!(body_params(b"a=1", Some("application/json")).is_empty());
        assert_eq!(body_params(b"a=1", None), vec![("a".into(), "1".into())]);
    }
}
