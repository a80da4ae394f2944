//! What the fake records about each request, for tests to assert on.

use std::fmt;

use bytes::Bytes;
use http::HeaderMap;
use serde_json::Value;

/// One request as the fake received it. `Debug` redacts credentials (the project's rule holds for fake ones
/// too, since assertion failures print these).
#[derive(Clone)]
pub struct CapturedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Names lowercased, in arrival order; repeated headers appear once per value.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    /// The `chatgpt_account_id` the bearer (or, at the issuer, the refresh token) belongs to, if the fake
    /// issued it.
    pub account: Option<String>,
}

impl fmt::Debug for CapturedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str(),
                    if is_credential(k) {
                        "<redacted>"
                    } else {
                        v.as_str()
                    },
                )
            })
            .collect();
        f.debug_struct("CapturedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &headers)
            .field("body_len", &self.body.len())
            .field("account", &self.account)
            .finish()
    }
}

fn is_credential(header: &str) -> bool {
    matches!(
        header,
        "authorization" | "cookie" | "x-api-key" | "x-codex-router-key"
    )
}

impl CapturedRequest {
    pub(crate) fn new(method: &http::Method, uri: &http::Uri, headers: &HeaderMap, body: Bytes) -> Self {
        Self {
            method: method.as_str().to_owned(),
            path: uri.path().to_owned(),
            query: uri.query().map(str::to_owned),
            headers: headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body,
            account: None,
        }
    }

    /// The first value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON, when it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// A field of a JSON or form-encoded body (the issuer accepts both), as a string.
    pub fn param(&self, name: &str) -> Option<String> {
        crate::issuer::body_params(&self.body, self.header("content-type"))
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// Input item types of a Responses request body, in order (handy for compaction and replay tests).
    pub fn input_types(&self) -> Vec<String> {
        self.json()
            .and_then(|v| v.get("input").and_then(Value::as_array).cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|item| item.get("type").and_then(Value::as_str).map(str::to_owned))
            .collect()
    }
}

/// One client text frame a fake WebSocket connection received, in arrival order across connections.
#[derive(Clone, Debug, PartialEq)]
pub struct WsFrame {
    /// The connection's serial: 1, 2, ... in handshake order over the fake's life.
    pub connection: u64,
    /// The account the connection's bearer belongs to.
    pub account: String,
    /// The frame as JSON; a frame that is not JSON is kept as a JSON string holding its text.
    pub json: Value,
    /// The frame's size in bytes (what an incremental request saves shows here).
    pub len: usize,
    /// It named a `previous_response_id`.
    pub incremental: bool,
    /// For a `response.create`: the input the fake built the response from (the named response's input
    /// and output items, then the frame's own items). `None` when the named response was not produced on
    /// this connection, or the frame is not a `response.create`.
    pub full_input: Option<Vec<Value>>,
}

/// The query of one `GET /oauth/authorize`, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizeRequest {
    pub params: Vec<(String, String)>,
}

impl AuthorizeRequest {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lookup_is_case_insensitive() {
        let mut headers = HeaderMap::new();
        headers.insert("Session-Id", http::HeaderValue::from_static("t1"));
        let uri: http::Uri = "/backend-api/codex/responses?x=1".parse().expect("uri");
        let req = CapturedRequest::new(
            &http::Method::POST,
            &uri,
            &headers,
            Bytes::from_static(br#"{"input":[{"type":"message"},{"type":"reasoning"}]}"#),
        );
        assert_eq!(req.header("SESSION-ID"), Some("t1"));
        assert_eq!(req.headers[0].0, "session-id");
        assert_eq!(req.query.as_deref(), Some("x=1"));
        assert_eq!(req.input_types(), vec!["message", "reasoning"]);
    }

    #[test]
    fn debug_redacts_credentials() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", http::HeaderValue::from_static("Bearer sekrit"));
        let uri: http::Uri = "/backend-api/x".parse().expect("uri");
        let req = CapturedRequest::new(&http::Method::GET, &uri, &headers, Bytes::new());
        let shown = format!("{req:?}");
        assert!(!shown.contains("sekrit"));
        assert!(shown.contains("authorization"));
        assert_eq!(req.header("authorization"), Some("Bearer sekrit"));
    }

    #[test]
    fn param_reads_form_and_json() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            http::HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let uri: http::Uri = "/oauth/token".parse().expect("uri");
        let form = CapturedRequest::new(
            &http::Method::POST,
            &uri,
            &headers,
            Bytes::from_static(b"grant_type=refresh_token&client_id=app%5Fx"),
        );
        assert_eq!(form.param("client_id").as_deref(), Some("app_x"));
        let json = CapturedRequest::new(
            &http::Method::POST,
            &uri,
            &HeaderMap::new(),
            Bytes::from_static(br#"{"grant_type":"refresh_token"}"#),
        );
        assert_eq!(json.param("grant_type").as_deref(), Some("refresh_token"));
    }
}
