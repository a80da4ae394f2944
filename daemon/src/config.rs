//! Settings → the runtime's and the proxy's own configuration types.

use codex_router_core::pool::{PoolConfig, Strategy as CoreStrategy};
use codex_router_proxy::ProxyConfig;
use codex_router_settings::{Settings, Strategy};

pub fn pool_config(s: &Settings) -> PoolConfig {
    let r = &s.rotation;
    PoolConfig {
        strategy: match r.strategy {
            Strategy::Sticky => CoreStrategy::Sticky,
            Strategy::RoundRobin => CoreStrategy::RoundRobin,
            Strategy::FillFirst => CoreStrategy::FillFirst,
            Strategy::LeastUsed => CoreStrategy::LeastUsed,
            Strategy::ResetAware => CoreStrategy::ResetAware,
        },
        max_attempts: r.max_attempts,
        session_ttl: r.session_ttl,
        max_sessions: r.max_sessions,
        preemptive_quota_percent: r.preemptive_quota_percent,
        rate_limit_default: r.rate_limit_default,
        server_error_base: r.server_error_base,
        network_error_base: r.network_error_base,
        backoff_max: r.backoff_max,
        outage_accounts: r.outage_accounts,
        outage_window: r.outage_window,
    }
}

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
