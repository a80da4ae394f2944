//! The checks every request passes before anything else (SPEC §4 "Client authentication").
//!
//! The router holds several ChatGPT logins, so a drive-by web page or a DNS-rebinding attack
//! must never reach it: any `Origin` header (Codex never sends one, browsers always do) and any
//! non-loopback `Host` are refused, and the client key is compared in constant time.

use std::net::IpAddr;

use http::HeaderMap;
use subtle::ConstantTimeEq;

/// True when `Host` is absent or names a loopback address or `localhost`.
pub fn host_is_loopback(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(http::header::HOST) else {
        return true;
    };
    let Ok(host) = host.to_str() else { return false };
    let name = if let Some(rest) = host.strip_prefix('[') {
        match rest.split_once(']') {
            Some((inner, _)) => inner,
            None => return false,
        }
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

pub fn has_origin(headers: &HeaderMap) -> bool {
    headers.contains_key(http::header::ORIGIN)
}

/// The `Authorization: Bearer` value, if any.
pub fn bearer(headers: &HeaderMap) -> Option<&[u8]> {
    headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|v| v.trim().as_bytes())
}

/// The key the client presented, from `Authorization: Bearer`, `x-api-key` or `x-codex-router-key`.
fn presented_keys(headers: &HeaderMap) -> impl Iterator<Item = &[u8]> {
    let bearer = bearer(headers);
    let others = ["x-api-key", "x-codex-router-key"]
        .into_iter()
        .filter_map(|n| headers.get(n).map(|v| v.as_bytes()));
    bearer.into_iter().chain(others)
}

/// Constant-time check of every presented key against the client key (an empty configured key
/// never authorises anything).
pub fn authorized(headers: &HeaderMap, client_key: &[u8]) -> bool {
    if client_key.is_empty() {
        return false;
    }
    presented_keys(headers).fold(false, |ok, k| ok | bool::from(k.ct_eq(client_key)))
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn with(name: &'static str, v: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_static(v));
        h
    }

    #[test]
    fn loopback_hosts() {
        for ok in [
            "127.0.0.1:2456",
            "localhost",
            "LOCALHOST:1",
            "[::1]:2456",
            "127.9.9.9",
        ] {
            assert!(host_is_loopback(&with("host", ok)), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:2456",
            "192.168.1.2:2456",
            "[::2]:1",
            "0.0.0.0:2456",
        ] {
            assert!(!host_is_loopback(&with("host", bad)), "{bad}");
        }
        assert!(host_is_loopback(&HeaderMap::new()));
    }

    #[test]
    fn key_forms() {
        let key = b"k3y";
        assert!(authorized(&with("authorization", "Bearer k3y"), key));
        assert!(authorized(&with("x-api-key", "k3y"), key));
        assert!(authorized(&with("x-codex-router-key", "k3y"), key));
        assert!(!authorized(&with("authorization", "Bearer nope"), key));
        assert!(!authorized(&with("authorization", "k3y"), key));
        assert!(!authorized(&HeaderMap::new(), key));
        assert!(!authorized(&with("x-api-key", ""), b""));
    }
}
