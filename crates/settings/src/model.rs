//! The validated settings (the typed layer) and their defaults, which are SPEC §8's.

use std::fmt;
use std::time::Duration;

pub use codex_router_core::pool_config::{PoolConfig, Strategy, UnknownStrategy};

use crate::listen::ListenAddr;

/// Effective router settings: defaults, overridden by `config.toml`, overridden by the
/// environment. Every value here has passed validation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Settings {
    pub proxy: ProxySettings,
    pub upstream: UpstreamSettings,
    pub oauth: OAuthSettings,
    pub rotation: RotationSettings,
    pub quota: QuotaSettings,
    /// A tracing filter (`[log] filter` / `CODEX_ROUTER_LOG`); `None` leaves the daemon's own
    /// default in force.
    pub log_filter: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProxySettings {
    pub listen: ListenAddr,
    /// Largest request body accepted; larger ones get 413 before any account is chosen.
    pub max_body_bytes: u64,
    /// How many output-free opening SSE events are held back so an in-band failure can still
    /// fail over (SPEC §4.2).
    pub hold_events: u32,
    /// How long those events may be held.
    pub hold_timeout: Duration,
    /// How long `daemon stop` waits for in-flight streams.
    pub drain_timeout: Duration,
    /// Bytes of WebSocket conversation context kept for moves, over all connections
    /// (SPEC §4.4); least recently used connections lose theirs first.
    pub ws_context_max_bytes: u64,
}

impl Default for ProxySettings {
    fn default() -> Self {
        Self {
            listen: ListenAddr::DEFAULT,
            max_body_bytes: 64 * 1024 * 1024,
            hold_events: 16,
            hold_timeout: Duration::from_secs(2),
            drain_timeout: Duration::from_secs(10),
            ws_context_max_bytes: 64 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamSettings {
    /// Without a trailing slash.
    pub base_url: String,
    pub connect_timeout: Duration,
    /// Until the upstream's response headers arrive.
    pub headers_timeout: Duration,
    /// Longest silence inside a streamed body. As long as Codex's own default, so a long silent
    /// reasoning phase is never cut by the router first.
    pub idle_timeout: Duration,
    /// Whether client WebSockets are carried over WebSocket upstream (SPEC §4.4).
    pub websocket: WebsocketMode,
}

/// `[upstream] websocket`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WebsocketMode {
    /// WebSocket upstream when the upstream accepts it, HTTP when it refuses.
    #[default]
    Auto,
    /// Always HTTP upstream (each `response.create` becomes a `POST` with the full input).
    Off,
}

impl WebsocketMode {
    pub fn as_str(self) -> &'static str {
        match self {
            WebsocketMode::Auto => "auto",
            WebsocketMode::Off => "off",
        }
    }
}

impl fmt::Display for WebsocketMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Default for UpstreamSettings {
    fn default() -> Self {
        Self {
            base_url: "https://chatgpt.com/backend-api".to_owned(),
            connect_timeout: Duration::from_secs(10),
            headers_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(300),
            websocket: WebsocketMode::Auto,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OAuthSettings {
    /// Without a trailing slash.
    pub issuer: String,
    pub client_id: String,
}

impl Default for OAuthSettings {
    fn default() -> Self {
        Self {
            issuer: "https://auth.openai.com".to_owned(),
            client_id: "app_EMoamEEZ73f0CkXaXp7hrann".to_owned(),
        }
    }
}

/// `[rotation]`: what the pool runs with, plus the one key the daemon applies around it.
#[derive(Debug, Clone, PartialEq)]
pub struct RotationSettings {
    pub pool: PoolConfig,
    /// While the native binding is active, the account Codex is signed in to serves only when
    /// no other account can (SPEC §7).
    pub spare_codex_login: bool,
}

impl Default for RotationSettings {
    fn default() -> Self {
        Self {
            pool: PoolConfig::default(),
            spare_codex_login: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuotaSettings {
    /// Usage polling per account; at least 10 s.
    pub poll_interval: Duration,
}

impl Default for QuotaSettings {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(5 * 60),
        }
    }
}
