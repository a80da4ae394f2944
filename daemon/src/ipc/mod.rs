//! The control plane: every method of `docs/ipc.md`, behind [`codex_router_ipc::Handler`].
//!
//! The transport (framing, limits, peer checks, panics) is the ipc crate's; this module only
//! decides what each method does. Methods read the pool through one snapshot and change
//! accounts through the runtime, which stays the only writer of `accounts.json` while the
//! daemon runs.
//!
//! # Layout
//! - this file: [`Control`] (what the methods act on), [`ControlHandler`] and dispatch.
//! - `accounts`: `accounts.*`.
//! - `check`: `accounts.check` (poll the usage endpoint now).
//! - `config`: `config.show`, `config.reload`.
//! - `watch`: the `status.subscribe` stream.

mod accounts;
mod check;
mod config;
mod watch;

use std::sync::Arc;
use std::time::Duration;

use codex_router_core::Secret;
use codex_router_ipc::protocol::ErrorCode;
use codex_router_ipc::protocol::methods::{Method, PingResult, ProxyInfo, StopResult, decode_params};
use codex_router_ipc::{BoxFuture, BoxStream, Handler, RpcError};
use codex_router_proxy::ProxyState;
use codex_router_runtime::Runtime;
use codex_router_settings::Settings;
use codex_router_store::RouterPaths;
use futures_util::FutureExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::binding::{Binding, BindingCache};
use crate::env::DaemonEnv;
use crate::status::pace::Pace;
use crate::status::{self, DaemonFacts};

/// Everything the control methods act on; shared by every connection.
pub struct Control {
    pub runtime: Runtime,
    pub proxy: Arc<ProxyState>,
    pub paths: RouterPaths,
    pub env: DaemonEnv,
    pub facts: DaemonFacts,
    /// Handed out by `proxy.info` only (for `codexctl rotation bind-app`); never logged.
    pub client_key: Secret,
    /// The settings in effect. A `parking_lot` mutex: read or swapped in a few instructions,
    /// never held across an `.await`.
    pub settings: parking_lot::Mutex<Settings>,
    /// Serialises `config.reload`s, so two reloads cannot interleave their "read, compare,
    /// apply" steps. Async because it is held across the apply.
    reload_gate: tokio::sync::Mutex<()>,
    /// Cancelled by `daemon.stop`: the same token SIGTERM cancels.
    pub shutdown: CancellationToken,
    /// Recent readings behind `pool.lasts_s`; fed by `status::pace::run_sampler` and by every
    /// status document.
    pub pace: Arc<Pace>,
    /// The native binding: Codex's own bearer for the proxy, its login spared in the pool.
    pub native: Arc<crate::native::DaemonNative>,
    /// The last `binding` object and the files it was read from.
    binding_cache: BindingCache,
}

impl Control {
    #[allow(
        clippy::too_many_arguments,
        reason = "a one-off constructor, each part named by its type"
    )]
    pub fn new(
        runtime: Runtime,
        proxy: Arc<ProxyState>,
        paths: RouterPaths,
        env: DaemonEnv,
        facts: DaemonFacts,
        client_key: Secret,
        settings: Settings,
        shutdown: CancellationToken,
    ) -> Self {
        let native = crate::native::DaemonNative::new(
            paths.bind_dir.clone(),
            runtime.clone(),
            settings.rotation.spare_codex_login,
        );
        proxy.set_native_bearer(native.clone());
        Self {
            native,
            runtime,
            proxy,
            paths,
            env,
            facts,
            client_key,
            settings: parking_lot::Mutex::new(settings),
            reload_gate: tokio::sync::Mutex::new(()),
            shutdown,
            pace: Arc::new(Pace::default()),
            binding_cache: BindingCache::default(),
        }
    }

    /// The `status` document as JSON.
    pub async fn status_value(self: &Arc<Self>) -> Result<Value, RpcError> {
        let binding = self.binding().await;
        // Reads Codex's auth.json (at most once a second): file IO, so off the worker too.
        let native = Arc::clone(&self.native);
        let codex_login = tokio::task::spawn_blocking(move || native.status())
            .await
            .ok()
            .flatten();
        to_json(&status::document(
            &self.facts,
            &self.runtime,
            binding,
            &self.pace,
            self.poll_interval(),
            self.proxy.ws.counters(),
            codex_login,
        ))
    }

    /// The `binding` object. Reading Codex's `config.toml` and the bind state (and hashing
    /// them) is file IO, up to ten times a second per `status --watch`: it runs on the blocking
    /// pool, never on the runtime worker that also serves the proxy, and the cache re-reads the
    /// files only when one of them changed.
    async fn binding(self: &Arc<Self>) -> Binding {
        let ctl = self.clone();
        tokio::task::spawn_blocking(move || {
            ctl.binding_cache.read(
                &ctl.facts.bind_dir,
                ctl.facts.codex_config.as_deref(),
                ctl.facts.listen.port(),
                &ctl.client_key,
            )
        })
        .await
        .unwrap_or_else(|_| Binding::unknown("reading the binding failed"))
    }

    /// `[quota] poll_interval` as configured now; a reading older than two is stale.
    pub fn poll_interval(&self) -> Duration {
        self.settings.lock().quota.poll_interval
    }

    async fn dispatch(self: Arc<Self>, method: String, params: Value) -> Result<Value, RpcError> {
        let Some(m) = Method::from_name(&method) else {
            return Err(RpcError::unknown_method(&method));
        };
        match m {
            Method::Ping => {
                no_params(&method, params)?;
                to_json(&PingResult {
                    version: self.facts.version.to_owned(),
                    pid: self.facts.pid,
                    instance_id: self.facts.instance_id.clone(),
                })
            }
            Method::Status => {
                no_params(&method, params)?;
                self.status_value().await
            }
            Method::StatusSubscribe => Err(RpcError::internal("status.subscribe is a subscription")),
            Method::AccountsList => {
                no_params(&method, params)?;
                accounts::list(&self)
            }
            Method::AccountsAdd => accounts::add(&self, decode(&method, params)?).await,
            Method::AccountsRemove => accounts::remove(&self, decode(&method, params)?).await,
            Method::AccountsEnable => accounts::set_enabled(&self, decode(&method, params)?, true).await,
            Method::AccountsDisable => accounts::set_enabled(&self, decode(&method, params)?, false).await,
            Method::AccountsLabel => accounts::label(&self, decode(&method, params)?).await,
            Method::AccountsRefresh => accounts::refresh(&self, decode(&method, params)?).await,
            Method::AccountsCheck => check::check(&self, decode(&method, params)?).await,
            Method::ConfigShow => {
                no_params(&method, params)?;
                config::show(&self).await
            }
            Method::ConfigReload => {
                no_params(&method, params)?;
                config::reload(&self).await
            }
            Method::DaemonStop => {
                no_params(&method, params)?;
                tracing::info!("stop requested over the control socket: draining in-flight streams");
                self.shutdown.cancel();
                to_json(&StopResult { pid: self.facts.pid })
            }
            Method::ProxyInfo => {
                no_params(&method, params)?;
                to_json(&ProxyInfo {
                    listen: self.facts.listen.to_string(),
                    client_key: self.client_key.expose().to_owned(),
                })
            }
        }
    }
}

/// The [`Handler`] the daemon serves: a cheap clone of the shared [`Control`].
#[derive(Clone)]
pub struct ControlHandler(Arc<Control>);

impl ControlHandler {
    pub fn new(control: Arc<Control>) -> Self {
        Self(control)
    }
}

impl Handler for ControlHandler {
    fn call(&self, method: String, params: Value) -> BoxFuture<'static, Result<Value, RpcError>> {
        Arc::clone(&self.0).dispatch(method, params).boxed()
    }

    fn subscribe(&self, method: &str, params: Value) -> Option<Result<BoxStream<'static, Value>, RpcError>> {
        match Method::from_name(method) {
            Some(Method::StatusSubscribe) => {
                Some(no_params(method, params).map(|()| watch::status_events(Arc::clone(&self.0))))
            }
            _ => None,
        }
    }
}

/// Decodes params; omitted params (`null`) read as `{}`.
fn decode<T: DeserializeOwned>(method: &str, params: Value) -> Result<T, RpcError> {
    let params = if params.is_null() {
        Value::Object(Default::default())
    } else {
        params
    };
    Ok(decode_params(method, params)?)
}

/// Methods without params still refuse unknown ones: a newer client's option is never ignored.
fn no_params(method: &str, params: Value) -> Result<(), RpcError> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct NoParams {}
    decode::<NoParams>(method, params).map(|_| ())
}

fn to_json<T: Serialize>(value: &T) -> Result<Value, RpcError> {
    serde_json::to_value(value).map_err(|e| RpcError::internal(format!("encoding the reply failed: {e}")))
}

fn error(code: ErrorCode, message: impl Into<String>) -> RpcError {
    RpcError::new(code, message)
}
