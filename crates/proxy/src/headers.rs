//! Header rewriting in both directions (SPEC §4 "Outbound headers", "Responses to the client").

use http::{HeaderMap, HeaderName, HeaderValue};

const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Never forwarded upstream: hop-by-hop, the client's credentials, and `accept-encoding`
/// (the router reads SSE events to classify failures, so it never asks for compression).
const DROP_OUTBOUND: &[&str] = &[
    "host",
    "content-length",
    "cookie",
    "x-api-key",
    "x-codex-router-key",
    "authorization",
    "chatgpt-account-id",
    "accept-encoding",
];

fn connection_listed(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The headers to send upstream for one attempt.
pub fn outbound(
    client: &HeaderMap,
    access_token: &str,
    account_id: Option<&str>,
    drop_turn_state: bool,
) -> HeaderMap {
    let listed = connection_listed(client);
    let mut out = HeaderMap::with_capacity(client.len() + 2);
    for (name, value) in client {
        let n = name.as_str();
        if HOP_BY_HOP.contains(&n)
            || DROP_OUTBOUND.contains(&n)
            || listed.iter().any(|l| l == n)
            || (drop_turn_state && n == "x-codex-turn-state")
        {
            continue;
        }
        out.append(name.clone(), value.clone());
    }
    if let Ok(mut v) = HeaderValue::from_str(&format!("Bearer {access_token}")) {
        v.set_sensitive(true);
        out.insert(http::header::AUTHORIZATION, v);
    }
    if let Some(id) = account_id.and_then(|id| HeaderValue::from_str(id).ok()) {
        out.insert(HeaderName::from_static("chatgpt-account-id"), id);
    }
    out
}

/// The upstream's response headers minus hop-by-hop ones and `content-length` (the body is
/// re-framed by our server).
pub fn inbound(upstream: &HeaderMap) -> HeaderMap {
    let listed = connection_listed(upstream);
    let mut out = HeaderMap::with_capacity(upstream.len() + 2);
    for (name, value) in upstream {
        let n = name.as_str();
        if HOP_BY_HOP.contains(&n) || n == "content-length" || listed.iter().any(|l| l == n) {
            continue;
        }
        // Copies, not clones: a clone shares the upstream connection's read buffer, and these
        // headers live as long as the response does (a thousand open streams would each pin
        // a whole 8 KiB buffer for a few hundred bytes of headers).
        let (Ok(name), Ok(mut copy)) = (
            HeaderName::from_bytes(name.as_str().as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) else {
            continue;
        };
        copy.set_sensitive(value.is_sensitive());
        out.append(name, copy);
    }
    out
}

pub fn set_router_headers(h: &mut HeaderMap, label: Option<&str>, attempts: u32) {
    if let Some(v) = label.and_then(|l| HeaderValue::from_str(l).ok()) {
        h.insert(HeaderName::from_static("x-codex-router-account"), v);
    }
    h.insert(
        HeaderName::from_static("x-codex-router-attempts"),
        HeaderValue::from(attempts),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbound_strips_client_credentials_and_injects_the_account() {
        let mut c = HeaderMap::new();
        for (k, v) in [
            ("authorization", "Bearer client-key"),
            ("x-api-key", "client-key"),
            ("x-codex-router-key", "client-key"),
            ("chatgpt-account-id", "spoofed"),
            ("cookie", "a=b"),
            ("host", "127.0.0.1:2456"),
            ("content-length", "10"),
            ("connection", "keep-alive, x-custom-hop"),
            ("x-custom-hop", "1"),
            ("te", "trailers"),
            ("accept-encoding", "gzip"),
            ("session-id", "thread"),
            ("x-codex-turn-state", "routing"),
            ("originator", "codex_exec"),
        ] {
            c.append(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        let out = outbound(&c, "access", Some("acct-1"), false);
        assert_eq!(out["authorization"], "Bearer access");
        assert!(out["authorization"].is_sensitive());
        assert_eq!(out["chatgpt-account-id"], "acct-1");
        assert_eq!(
            out.get_all("chatgpt-account-id").iter().count(),
            1,
            "the account-id header is set exactly once"
        );
        for gone in [
            "x-api-key",
            "x-codex-router-key",
            "cookie",
            "host",
            "content-length",
            "connection",
            "x-custom-hop",
            "te",
            "accept-encoding",
        ] {
            assert!(!out.contains_key(gone), "{gone}");
        }
        assert_eq!(out["session-id"], "thread");
        assert_eq!(out["x-codex-turn-state"], "routing");
        assert!(!outbound(&c, "access", None, true).contains_key("x-codex-turn-state"));
    }

    #[test]
    fn inbound_drops_hop_by_hop_and_length() {
        let mut u = HeaderMap::new();
        u.insert("content-type", HeaderValue::from_static("text/event-stream"));
        u.insert("transfer-encoding", HeaderValue::from_static("chunked"));
        u.insert("content-length", HeaderValue::from_static("5"));
        u.insert("x-codex-primary-used-percent", HeaderValue::from_static("3"));
        let out = inbound(&u);
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn inbound_copies_keep_values_order_and_sensitivity() {
        let raw = bytes::Bytes::from_static(b"x-codex-primary-used-percent42secret");
        let mut up = HeaderMap::new();
        let name = HeaderName::from_bytes(&raw[..28]).unwrap();
        let value = HeaderValue::from_maybe_shared(raw.slice(28..30)).unwrap();
        up.append(name.clone(), value);
        let mut hidden = HeaderValue::from_maybe_shared(raw.slice(30..)).unwrap();
        hidden.set_sensitive(true);
        up.append(HeaderName::from_static("set-cookie"), hidden);
        up.append(
            HeaderName::from_static("set-cookie"),
            HeaderValue::from_static("b=2"),
        );
        up.append(
            HeaderName::from_static("transfer-encoding"),
            HeaderValue::from_static("chunked"),
        );
        let out = inbound(&up);
        assert_eq!(out[&name], "42");
        let cookies: Vec<_> = out.get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["secret", "b=2"]);
        assert!(cookies[0].is_sensitive());
        assert!(out.get("transfer-encoding").is_none());
    }
}
