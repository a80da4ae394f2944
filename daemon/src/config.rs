//! Settings → the proxy's own configuration type (the pool's is the settings' own `rotation.pool`).

use codex_router_proxy::ProxyConfig;
use codex_router_settings::Settings;

pub fn proxy_config(s: &Settings) -> ProxyConfig {
    ProxyConfig {
        upstream_base: s.upstream.base_url.trim_end_matches('/').to_owned(),
        max_body_bytes: s.proxy.max_body_bytes,
        hold_events: s.proxy.hold_events,
        hold_timeout: s.proxy.hold_timeout,
        headers_timeout: s.upstream.headers_timeout,
        idle_timeout: s.upstream.idle_timeout,
        connect_timeout: s.upstream.connect_timeout,
        websocket: s.upstream.websocket == codex_router_settings::WebsocketMode::Auto,
        ws_context_max_bytes: s.proxy.ws_context_max_bytes,
    }
}
