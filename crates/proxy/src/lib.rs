//! The loopback HTTP proxy of the Codex Responses API (SPEC §4).
//!
//! Every request is checked (Origin/Host, client key, body size), mapped to an upstream path,
//! and sent as one account after another until one answers usefully. Nothing is buffered once a
//! stream is committed: chunks are relayed as they arrive. The proxy owns no state of its own
//! beyond its configuration; the pool lives in [`codex_router_runtime::Runtime`].
//!
//! # Layout
//! - [`guard`] — Origin/Host refusal and constant-time client-key checks.
//! - [`routes`] — client path → upstream path.
//! - [`forward`] — the attempt loop: select, send, classify, fail over.
//! - [`hold`] / [`sse`] — holding output-free opening events so in-band failures fail over.
//! - [`relay`] — the committed stream and the lease it carries.
//! - [`headers`], [`reply`], [`usage`], [`metrics`].

mod attempts;
mod collect;
pub mod forward;
pub mod guard;
pub mod headers;
pub mod hold;
pub mod metrics;
pub mod relay;
pub mod reply;
pub mod routes;
mod serve;
pub mod sse;
pub mod usage;
pub mod ws;

pub use serve::serve;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use codex_router_core::Secret;
use codex_router_runtime::Runtime;
use http::{HeaderValue, StatusCode};
use parking_lot::RwLock;

use crate::routes::Route;

/// What the proxy needs from the settings; replaced live on `config reload`.
#[derive(Clone, Debug, PartialEq)]
pub struct ProxyConfig {
    /// `https://chatgpt.com/backend-api`, no trailing slash.
    pub upstream_base: String,
    pub max_body_bytes: u64,
    pub hold_events: u32,
    pub hold_timeout: Duration,
    pub headers_timeout: Duration,
    pub idle_timeout: Duration,
    pub connect_timeout: Duration,
    /// `[upstream] websocket`: `true` for `"auto"` (WebSocket upstream when it accepts),
    /// `false` for `"off"` (client WebSockets are served over HTTP upstream).
    pub websocket: bool,
    /// `[proxy] ws_context_max_bytes`: kept WebSocket conversation context, all connections.
    pub ws_context_max_bytes: u64,
}

/// A second credential the proxy accepts besides the client key: Codex's own ChatGPT access
/// token while the native binding is active (SPEC §4). Implemented by the daemon, which knows
/// the binding; the proxy only asks.
pub trait NativeBearer: Send + Sync {
    fn accepts(&self, bearer: &[u8]) -> bool;
}

pub struct ProxyState {
    pub runtime: Runtime,
    pub http: reqwest::Client,
    client_key: Secret,
    config: RwLock<Arc<ProxyConfig>>,
    /// The WebSocket transport's connections, kept context and counters.
    pub ws: ws::WsShared,
    native: RwLock<Option<Arc<dyn NativeBearer>>>,
}

impl ProxyState {
    pub fn new(
        runtime: Runtime,
        http: reqwest::Client,
        client_key: Secret,
        config: ProxyConfig,
    ) -> Arc<Self> {
        Arc::new(Self {
            runtime,
            http,
            client_key,
            ws: ws::WsShared::new(config.ws_context_max_bytes),
            config: RwLock::new(Arc::new(config)),
            native: RwLock::new(None),
        })
    }

    /// Accept Codex's own bearer as `native` says (the native binding).
    pub fn set_native_bearer(&self, native: Arc<dyn NativeBearer>) {
        *self.native.write() = Some(native);
    }

    /// The client key, or Codex's own bearer while natively bound; both compared in constant
    /// time. Either is stripped from what goes upstream (`headers::outbound`).
    fn authorized(&self, headers: &http::HeaderMap) -> bool {
        if guard::authorized(headers, self.client_key.expose().as_bytes()) {
            return true;
        }
        let native = self.native.read().clone();
        match (native, guard::bearer(headers)) {
            (Some(n), Some(b)) => n.accepts(b),
            _ => false,
        }
    }

    pub fn config(&self) -> Arc<ProxyConfig> {
        self.config.read().clone()
    }

    pub fn set_config(&self, config: ProxyConfig) {
        let max = usize::try_from(config.ws_context_max_bytes).unwrap_or(usize::MAX);
        self.ws.contexts.lock().set_max_bytes(max);
        *self.config.write() = Arc::new(config);
    }
}

pub fn router(state: Arc<ProxyState>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(state)
}

async fn handle(State(state): State<Arc<ProxyState>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    if guard::has_origin(&parts.headers) || !guard::host_is_loopback(&parts.headers) {
        return reply::forbidden();
    }
    let route = routes::route(&parts.method, parts.uri.path());
    let upgrade = parts.method == http::Method::GET
        && routes::is_responses_path(parts.uri.path())
        && ws::is_upgrade(&parts.headers);
    if route == Route::Healthz {
        return reply::json_response(StatusCode::OK, &serde_json::json!({"status": "ok"}));
    }
    if !state.authorized(&parts.headers) {
        return reply::unauthorized();
    }
    if upgrade {
        drop(body);
        return ws::handshake(state, parts).await;
    }
    match route {
        Route::Metrics => {
            let body = metrics::render(&state.runtime.snapshot(), &state.ws.counters());
            let mut resp = Response::new(Body::from(body));
            resp.headers_mut().insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4"),
            );
            resp
        }
        Route::Upstream {
            upstream_path,
            responses,
        } => {
            let limit = state.config().max_body_bytes;
            let announced = parts
                .headers
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            let cap = usize::try_from(limit).unwrap_or(usize::MAX);
            let bytes = match collect::collect(body, announced, cap).await {
                Ok(b) => b,
                Err(collect::CollectError::TooLarge) => return reply::too_large(limit),
                Err(collect::CollectError::Broken) => return reply::bad_request_body(),
            };
            forward::forward(state, &upstream_path, responses, parts, bytes).await
        }
        Route::Healthz | Route::NotFound => reply::not_found(),
    }
}
