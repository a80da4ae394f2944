//! Everything codex-router says to the OpenAI issuer (`https://auth.openai.com`): token refresh,
//! the browser (PKCE) and device-code logins, and reading the claims of the tokens it hands out.
//! It also owns the one place where outbound HTTP clients are configured for the whole project.
//!
//! # Layout
//!
//! - [`http`]: [`client_builder`], the configured `reqwest` builder every outbound client starts
//!   from (trust roots, proxies, `TCP_NODELAY`, pooling, no decompression); `trust` adds the OS
//!   trust store back when `SSL_CERT_FILE`/`SSL_CERT_DIR` would otherwise replace it.
//! - [`claims`]: unverified JWT payload decoding and the account identity of SPEC §5; pure, so
//!   it lives in `codex-router-core` (the store completes accounts with it) and is re-exported here.
//! - [`client`]: [`OAuthClient`], the issuer endpoint, client id and HTTP client in one handle.
//! - [`refresh`]: `POST {issuer}/oauth/token` with a refresh token, and the permanent/transient
//!   classification of its failures (backend-shapes §3). It never retries: refresh tokens are
//!   single use, so retrying is the caller's decision.
//! - [`pkce`], [`login`], [`device`]: the login flows of SPEC §6.
//! - `tokens`, `issuer_error`: the token-endpoint success and error bodies shared by all flows.
//!
//! # Invariant
//!
//! No token, refresh token, verifier or device id ever appears in a `Debug` output, a log line
//! or an error message from this crate: they are held as [`Secret`](codex_router_core::Secret)
//! and issuer messages are scrubbed of the value that was presented.

pub mod client;
pub mod device;
pub mod http;
mod issuer_error;
pub mod login;
pub mod pkce;
pub mod refresh;
mod tokens;
mod trust;

pub use client::{CODEX_CLIENT_ID, DEFAULT_ISSUER, DEFAULT_REDIRECT_URI, OAuthClient};
pub use codex_router_core::claims::{self, Claims, ClaimsError, decode_claims, identity};
pub use device::{DeviceCode, DevicePoll};
pub use http::client_builder;
pub use login::{LoginError, authorize_url, parse_redirect};
pub use pkce::{Pkce, generate_state};
pub use refresh::RefreshError;
pub use tokens::TokenSet;
pub use trust::root_store;
