//! The typed layer: raw file values and environment overrides become a validated [`Settings`],
//! recording where each value came from (for `codexctl config show`).
//!
//! Precedence is environment > file > default. A file value is validated even when the
//! environment overrides it, so removing the override later cannot reveal a broken file.

use std::fmt;
use std::time::Duration;

use toml::Value;

use crate::convert::{self, Input, Min};
use crate::duration::format_duration;
use crate::error::{Problem, SettingsError};
use crate::listen::ListenAddr;
use crate::model::{
    OAuthSettings, PoolConfig, ProxySettings, QuotaSettings, RotationSettings, Settings, Strategy,
    UpstreamSettings, WebsocketMode,
};
use crate::raw::{RawFile, RawOAuth, RawProxy, RawRotation, RawUpstream};

/// The environment variables that override settings.
pub const ENV_LISTEN: &str = "CODEX_ROUTER_LISTEN";
pub const ENV_UPSTREAM: &str = "CODEX_ROUTER_UPSTREAM";
pub const ENV_ISSUER: &str = "CODEX_ROUTER_ISSUER";
pub const ENV_LOG: &str = "CODEX_ROUTER_LOG";
pub const ENV_FETCH_TIMEOUT_MS: &str = "CODEX_AUTH_FETCH_TIMEOUT_MS";
pub const ENV_STREAM_STALL_TIMEOUT_MS: &str = "CODEX_AUTH_STREAM_STALL_TIMEOUT_MS";

/// One effective setting, for `codexctl config show`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingEntry {
    /// Dotted key, e.g. `proxy.listen`.
    pub key: &'static str,
    /// The effective value as it would be written in the file, unquoted (`2s`, `sticky`);
    /// empty for an unset optional value.
    pub value: String,
    pub source: Source,
}

/// Where an effective value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Default,
    File,
    /// The environment variable that set it.
    Env(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File => f.write_str("config.toml"),
            Source::Env(var) => write!(f, "env {var}"),
        }
    }
}

type Conv<'c, T> = &'c dyn Fn(Input<'_>) -> Result<T, Problem>;

struct Builder<'e> {
    env: &'e dyn Fn(&str) -> Option<String>,
    entries: Vec<SettingEntry>,
}

impl Builder<'_> {
    /// A key without an environment override.
    fn get<T: Shown>(
        &mut self,
        key: &'static str,
        file: &Option<Value>,
        default: T,
        conv: Conv<'_, T>,
    ) -> Result<T, SettingsError> {
        self.resolve(key, file.as_ref(), default, conv, None)
    }

    /// A key that environment variable `var` overrides, its text converted by `env_conv`.
    fn get_env<T: Shown>(
        &mut self,
        key: &'static str,
        file: &Option<Value>,
        default: T,
        conv: Conv<'_, T>,
        (var, env_conv): (&'static str, Conv<'_, T>),
    ) -> Result<T, SettingsError> {
        self.resolve(key, file.as_ref(), default, conv, Some((var, env_conv)))
    }

    /// Resolve one key: validate the file value, let a non-empty environment value override
    /// it, fall back to `default`; record the outcome.
    fn resolve<T: Shown>(
        &mut self,
        key: &'static str,
        file: Option<&Value>,
        default: T,
        conv: Conv<'_, T>,
        env: Option<(&'static str, Conv<'_, T>)>,
    ) -> Result<T, SettingsError> {
        let mut value = default;
        let mut source = Source::Default;
        if let Some(raw) = file {
            value = conv(Input::Toml(raw)).map_err(|p| SettingsError::InvalidValue {
                key: key.to_owned(),
                expected: p.expected,
                got: p.got,
            })?;
            source = Source::File;
        }
        if let Some((var, env_conv)) = env
            && let Some(text) = (self.env)(var)
            && !text.trim().is_empty()
        {
            value = env_conv(Input::Env(text.trim())).map_err(|p| SettingsError::InvalidEnv {
                var,
                key,
                expected: p.expected,
                got: p.got,
            })?;
            source = Source::Env(var);
        }
        self.entries.push(SettingEntry {
            key,
            value: value.shown(),
            source,
        });
        Ok(value)
    }
}

/// How `config show` prints a value: as written in the file, unquoted.
trait Shown {
    fn shown(&self) -> String;
}

impl Shown for Duration {
    fn shown(&self) -> String {
        format_duration(*self)
    }
}

impl Shown for Option<String> {
    fn shown(&self) -> String {
        self.clone().unwrap_or_default()
    }
}

macro_rules! shown_by_display {
    ($($t:ty),*) => {$(
        impl Shown for $t {
            fn shown(&self) -> String {
                self.to_string()
            }
        }
    )*};
}

shown_by_display!(
    u32,
    u64,
    usize,
    f64,
    bool,
    String,
    ListenAddr,
    Strategy,
    WebsocketMode
);

fn dur(min: Min) -> impl Fn(Input<'_>) -> Result<Duration, Problem> {
    move |input| convert::duration(input, min)
}

fn int<T: TryFrom<i64> + Into<u64> + Copy>(min: T) -> impl Fn(Input<'_>) -> Result<T, Problem> {
    move |input| convert::integer(input, min)
}

/// Build the settings from the raw file (default when there is none) and the environment.
pub(crate) fn build(
    raw: &RawFile,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Settings, Vec<SettingEntry>), SettingsError> {
    let (settings, entries) = build_over(raw, env, Settings::default())?;
    check_backoff_cap(&settings.rotation.pool)?;
    Ok((settings, entries))
}

/// Every key of `settings` with its value as `config show` prints it, in file order: the list
/// the builder records, so comparing two of them compares every key without naming each.
pub(crate) fn entries(settings: &Settings) -> Vec<SettingEntry> {
    // Nothing is read from a file or the environment, so no converter runs and nothing can
    // fail; the empty list is only the type's due.
    build_over(&RawFile::default(), &|_| None, settings.clone())
        .map(|(_, entries)| entries)
        .unwrap_or_default()
}

/// [`build`] with `defaults` where neither the file nor the environment sets a key, without
/// the checks across keys.
fn build_over(
    raw: &RawFile,
    env: &dyn Fn(&str) -> Option<String>,
    defaults: Settings,
) -> Result<(Settings, Vec<SettingEntry>), SettingsError> {
    let mut b = Builder {
        env,
        entries: Vec::new(),
    };
    let proxy = build_proxy(&mut b, &raw.proxy, defaults.proxy)?;
    let upstream = build_upstream(&mut b, &raw.upstream, defaults.upstream)?;
    let oauth = build_oauth(&mut b, &raw.oauth, defaults.oauth)?;
    let rotation = build_rotation(&mut b, &raw.rotation, defaults.rotation)?;

    let poll = &dur(Min::AtLeast(Duration::from_secs(10)));
    let quota = QuotaSettings {
        poll_interval: b.get(
            "quota.poll_interval",
            &raw.quota.poll_interval,
            defaults.quota.poll_interval,
            poll,
        )?,
    };

    let filter = &|i: Input<'_>| convert::filter(i).map(Some);
    let log_filter = b.get_env(
        "log.filter",
        &raw.log.filter,
        defaults.log_filter,
        filter,
        (ENV_LOG, filter),
    )?;

    let settings = Settings {
        proxy,
        upstream,
        oauth,
        rotation,
        quota,
        log_filter,
    };
    Ok((settings, b.entries))
}

fn build_proxy(
    b: &mut Builder<'_>,
    file: &RawProxy,
    default: ProxySettings,
) -> Result<ProxySettings, SettingsError> {
    let positive = &dur(Min::Positive);
    let listen = &convert::listen;
    Ok(ProxySettings {
        listen: b.get_env(
            "proxy.listen",
            &file.listen,
            default.listen,
            listen,
            (ENV_LISTEN, listen),
        )?,
        max_body_bytes: b.get(
            "proxy.max_body_bytes",
            &file.max_body_bytes,
            default.max_body_bytes,
            &int(1u64),
        )?,
        hold_events: b.get(
            "proxy.hold_events",
            &file.hold_events,
            default.hold_events,
            &int(1u32),
        )?,
        hold_timeout: b.get(
            "proxy.hold_timeout",
            &file.hold_timeout,
            default.hold_timeout,
            positive,
        )?,
        drain_timeout: b.get(
            "proxy.drain_timeout",
            &file.drain_timeout,
            default.drain_timeout,
            &dur(Min::Zero),
        )?,
        ws_context_max_bytes: b.get(
            "proxy.ws_context_max_bytes",
            &file.ws_context_max_bytes,
            default.ws_context_max_bytes,
            &int(0u64),
        )?,
    })
}

fn build_upstream(
    b: &mut Builder<'_>,
    file: &RawUpstream,
    default: UpstreamSettings,
) -> Result<UpstreamSettings, SettingsError> {
    let positive = &dur(Min::Positive);
    let base_url = &|i: Input<'_>| convert::http_url(i, "https://chatgpt.com/backend-api");
    let millis = &convert::millis;
    Ok(UpstreamSettings {
        base_url: b.get_env(
            "upstream.base_url",
            &file.base_url,
            default.base_url,
            base_url,
            (ENV_UPSTREAM, base_url),
        )?,
        connect_timeout: b.get(
            "upstream.connect_timeout",
            &file.connect_timeout,
            default.connect_timeout,
            positive,
        )?,
        headers_timeout: b.get_env(
            "upstream.headers_timeout",
            &file.headers_timeout,
            default.headers_timeout,
            positive,
            (ENV_FETCH_TIMEOUT_MS, millis),
        )?,
        idle_timeout: b.get_env(
            "upstream.idle_timeout",
            &file.idle_timeout,
            default.idle_timeout,
            positive,
            (ENV_STREAM_STALL_TIMEOUT_MS, millis),
        )?,
        websocket: b.get(
            "upstream.websocket",
            &file.websocket,
            default.websocket,
            &convert::websocket,
        )?,
    })
}

fn build_oauth(
    b: &mut Builder<'_>,
    file: &RawOAuth,
    default: OAuthSettings,
) -> Result<OAuthSettings, SettingsError> {
    let issuer = &|i: Input<'_>| convert::http_url(i, "https://auth.openai.com");
    Ok(OAuthSettings {
        issuer: b.get_env(
            "oauth.issuer",
            &file.issuer,
            default.issuer,
            issuer,
            (ENV_ISSUER, issuer),
        )?,
        client_id: b.get(
            "oauth.client_id",
            &file.client_id,
            default.client_id,
            &convert::word,
        )?,
    })
}

fn build_rotation(
    b: &mut Builder<'_>,
    file: &RawRotation,
    RotationSettings {
        pool: default,
        spare_codex_login,
    }: RotationSettings,
) -> Result<RotationSettings, SettingsError> {
    let positive = &dur(Min::Positive);
    let at_least_one = &int(1u32);
    let pool = PoolConfig {
        strategy: b.get(
            "rotation.strategy",
            &file.strategy,
            default.strategy,
            &convert::strategy,
        )?,
        max_attempts: b.get(
            "rotation.max_attempts",
            &file.max_attempts,
            default.max_attempts,
            at_least_one,
        )?,
        session_ttl: b.get(
            "rotation.session_ttl",
            &file.session_ttl,
            default.session_ttl,
            positive,
        )?,
        max_sessions: b.get(
            "rotation.max_sessions",
            &file.max_sessions,
            default.max_sessions,
            &|i| convert::count(i, 1),
        )?,
        preemptive_quota_percent: b.get(
            "rotation.preemptive_quota_percent",
            &file.preemptive_quota_percent,
            default.preemptive_quota_percent,
            &convert::percent,
        )?,
        rate_limit_default: b.get(
            "rotation.rate_limit_default",
            &file.rate_limit_default,
            default.rate_limit_default,
            positive,
        )?,
        server_error_base: b.get(
            "rotation.server_error_base",
            &file.server_error_base,
            default.server_error_base,
            positive,
        )?,
        network_error_base: b.get(
            "rotation.network_error_base",
            &file.network_error_base,
            default.network_error_base,
            positive,
        )?,
        backoff_max: b.get(
            "rotation.backoff_max",
            &file.backoff_max,
            default.backoff_max,
            positive,
        )?,
        outage_accounts: b.get(
            "rotation.outage_accounts",
            &file.outage_accounts,
            default.outage_accounts,
            at_least_one,
        )?,
        outage_window: b.get(
            "rotation.outage_window",
            &file.outage_window,
            default.outage_window,
            positive,
        )?,
    };
    Ok(RotationSettings {
        pool,
        spare_codex_login: b.get(
            "rotation.spare_codex_login",
            &file.spare_codex_login,
            spare_codex_login,
            &convert::boolean,
        )?,
    })
}

/// The cap of the doubling cooldowns cannot be below their starting points.
fn check_backoff_cap(r: &PoolConfig) -> Result<(), SettingsError> {
    for (base_key, base) in [
        ("rotation.server_error_base", r.server_error_base),
        ("rotation.network_error_base", r.network_error_base),
    ] {
        if r.backoff_max < base {
            return Err(SettingsError::InvalidValue {
                key: "rotation.backoff_max".to_owned(),
                expected: format!("a duration of at least {base_key} ({})", format_duration(base)),
                got: format!("{:?}", format_duration(r.backoff_max)),
            });
        }
    }
    Ok(())
}
