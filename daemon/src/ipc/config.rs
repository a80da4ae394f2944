//! `config.show` and `config.reload` (SPEC §8).
//!
//! Both read the router's `config.toml` now and the environment the daemon started with, through
//! the settings crate, so what they report is what the daemon would run. A reload validates
//! everything before it applies anything: an invalid file changes nothing. It then swaps each
//! part's configuration in place (the pool's, the proxy's, the OAuth client); nothing is rebound,
//! so no connection drops. Two keys cannot change live and are named instead: `proxy.listen`
//! (rebinding would drop connections) and `upstream.connect_timeout` (baked into the pooled
//! upstream client, whose warm connections a rebuild would throw away).

use codex_router_ipc::RpcError;
use codex_router_ipc::protocol::methods::ReloadResult;
use codex_router_oauth::OAuthClient;
use codex_router_settings::{Settings, SettingsError};
use serde_json::{Value, json};

use super::{Control, to_json};
use crate::config::proxy_config;

pub(super) async fn show(ctl: &Control) -> Result<Value, RpcError> {
    // File IO goes to the blocking pool: the daemon's one runtime worker also serves the proxy.
    let path = ctl.paths.config.clone();
    let text = tokio::task::spawn_blocking(move || codex_router_settings::read_file(&path))
        .await
        .map_err(|_| RpcError::internal("reading config.toml failed"))?
        .map_err(settings_error)?;
    let (file, entries) = codex_router_settings::load_with_sources(text.as_deref(), &|k| ctl.env.get(k))
        .map_err(settings_error)?;
    let running = ctl.settings.lock().clone();
    let (reload, restart) = split(&running, &file);
    let settings: Vec<Value> = entries
        .iter()
        .map(|e| json!({"key": e.key, "value": e.value, "source": e.source.to_string()}))
        .collect();
    Ok(json!({
        "path": ctl.paths.config.display().to_string(),
        "file_exists": text.is_some(),
        "settings": settings,
        "reload_pending": reload,
        "restart_pending": restart,
    }))
}

pub(super) async fn reload(ctl: &Control) -> Result<Value, RpcError> {
    let _gate = ctl.reload_gate.lock().await;
    let path = ctl.paths.config.clone();
    let text = tokio::task::spawn_blocking(move || codex_router_settings::read_file(&path))
        .await
        .map_err(|_| RpcError::internal("reading config.toml failed"))?
        .map_err(settings_error)?;
    let new = codex_router_settings::load(text.as_deref(), &|k| ctl.env.get(k)).map_err(settings_error)?;
    let old = ctl.settings.lock().clone();
    let (applied, needs_restart) = split(&old, &new);
    if applied.contains(&"log.filter") {
        crate::logging::set_filter(new.log_filter.as_deref())
            .map_err(|e| RpcError::invalid_params(format!("log.filter: {e}")))?;
    }
    // What is in effect now: the new settings, except the keys that wait for a restart.
    let mut effective = new;
    effective.proxy.listen = old.proxy.listen;
    effective.upstream.connect_timeout = old.upstream.connect_timeout;
    ctl.runtime.set_pool_config(effective.rotation.pool.clone());
    ctl.proxy.set_config(proxy_config(&effective));
    ctl.native.set_spare(effective.rotation.spare_codex_login);
    if effective.oauth != old.oauth {
        let oauth = &effective.oauth;
        ctl.runtime.set_oauth(OAuthClient::new(
            ctl.proxy.http.clone(),
            oauth.issuer.clone(),
            oauth.client_id.clone(),
        ));
    }
    *ctl.settings.lock() = effective;
    tracing::info!(applied = ?applied, needs_restart = ?needs_restart, "settings reloaded");
    to_json(&ReloadResult {
        applied: applied.into_iter().map(str::to_owned).collect(),
        needs_restart: needs_restart.into_iter().map(str::to_owned).collect(),
    })
}

/// The keys that differ between `old` and `new`: (applied live, needing a restart).
fn split(old: &Settings, new: &Settings) -> (Vec<&'static str>, Vec<&'static str>) {
    let mut restart = codex_router_settings::restart_required(old, new);
    if old.upstream.connect_timeout != new.upstream.connect_timeout {
        restart.push("upstream.connect_timeout");
    }
    let live = codex_router_settings::changed_keys(old, new)
        .into_iter()
        .filter(|k| !restart.contains(k))
        .collect();
    (live, restart)
}

/// Invalid settings are the caller's to fix: `invalid_params`, naming the key in `data`.
fn settings_error(e: SettingsError) -> RpcError {
    let data = json!({ "key": e.key() });
    RpcError::invalid_params(e.to_string()).with_data(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key the settings crate reports is one a reload can tell changed, and only the two
    /// that wait for a restart do.
    #[test]
    fn changed_keys_covers_every_setting() {
        let (_, entries) = codex_router_settings::load_with_sources(None, &|_| None).unwrap();
        let mut all = Settings::default();
        all.proxy.listen = all.proxy.listen.with_port(1);
        all.proxy.max_body_bytes += 1;
        all.proxy.hold_events += 1;
        all.proxy.hold_timeout *= 2;
        all.proxy.drain_timeout *= 2;
        all.proxy.ws_context_max_bytes += 1;
        all.upstream.base_url.push('x');
        all.upstream.connect_timeout *= 2;
        all.upstream.headers_timeout *= 2;
        all.upstream.idle_timeout *= 2;
        all.upstream.websocket = codex_router_settings::WebsocketMode::Off;
        all.oauth.issuer.push('x');
        all.oauth.client_id.push('x');
        all.rotation.pool.strategy = codex_router_settings::Strategy::FillFirst;
        all.rotation.pool.max_attempts += 1;
        all.rotation.pool.session_ttl *= 2;
        all.rotation.pool.max_sessions += 1;
        all.rotation.pool.preemptive_quota_percent -= 1.0;
        all.rotation.pool.rate_limit_default *= 2;
        all.rotation.pool.server_error_base *= 2;
        all.rotation.pool.network_error_base *= 2;
        all.rotation.pool.backoff_max *= 2;
        all.rotation.pool.outage_accounts += 1;
        all.rotation.pool.outage_window *= 2;
        all.rotation.spare_codex_login = false;
        all.quota.poll_interval *= 2;
        all.log_filter = Some("debug".into());
        let changed = codex_router_settings::changed_keys(&Settings::default(), &all);
        let keys: Vec<&str> = entries.iter().map(|e| e.key).collect();
        assert_eq!(changed, keys);
        let (live, restart) = split(&Settings::default(), &all);
        assert_eq!(restart, ["proxy.listen", "upstream.connect_timeout"]);
        assert_eq!(live.len() + 2, keys.len());
    }
}
