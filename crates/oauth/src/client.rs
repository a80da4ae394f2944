//! [`OAuthClient`]: one issuer, one OAuth client id, one HTTP client.
//!
//! The issuer is configurable (SPEC §6) so tests run every flow against a local fake; the
//! flows themselves live in `refresh`, `login` and `device` as methods on this handle.

use std::time::Duration;

/// The issuer Codex signs in with.
pub const DEFAULT_ISSUER: &str = "https://auth.openai.com";

/// The public OAuth client id of the Codex CLI; the issuer only hands ChatGPT tokens usable
/// on the Codex backend to this client.
pub const CODEX_CLIENT_ID: &str = "app_EMoamEEZ73f0CkXaXp7hrann";

/// The browser login's redirect, registered for the Codex client id (SPEC §6).
pub const DEFAULT_REDIRECT_URI: &str = "http://localhost:1455/auth/callback";

/// Bound on one issuer call. A refresh that hangs would hold the account's single
/// refresh-in-flight slot, and every request waiting on it, indefinitely.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A cheap-to-clone handle on the issuer. It holds no token: tokens are passed per call.
#[derive(Debug, Clone)]
pub struct OAuthClient {
    http: reqwest::Client,
    issuer: String,
    client_id: String,
    request_timeout: Duration,
}

impl OAuthClient {
    /// `http` should come from [`crate::client_builder`]; `issuer` is a base URL such as
    /// [`DEFAULT_ISSUER`] (a trailing `/` is ignored).
    pub fn new(http: reqwest::Client, issuer: impl Into<String>, client_id: impl Into<String>) -> Self {
        let issuer = issuer.into().trim_end_matches('/').to_owned();
        Self {
            http,
            issuer,
            client_id: client_id.into(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }

    /// Replaces [`DEFAULT_REQUEST_TIMEOUT`] for every call made through this handle.
    #[must_use]
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    pub(crate) fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// A POST to `{issuer}{path}` with this handle's timeout and `Accept: application/json`.
    pub(crate) fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .post(self.endpoint(path))
            .timeout(self.request_timeout)
            .header(reqwest::header::ACCEPT, "application/json")
    }
}
