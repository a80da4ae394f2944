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
use crate::model::{RotationSettings, Settings};
use crate::raw::RawFile;

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
    /// Resolve one key: validate the file value, let a non-empty environment value override
    /// it, fall back to `default`; record the outcome.
    fn resolve<T>(
        &mut self,
        key: &'static str,
        file: Option<&Value>,
        default: T,
        conv: Conv<'_, T>,
        env: Option<(&'static str, Conv<'_, T>)>,
        show: impl Fn(&T) -> String,
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
            value: show(&value),
            source,
        });
        Ok(value)
    }
}

fn dur(min: Min) -> impl Fn(Input<'_>) -> Result<Duration, Problem> {
    move |input| convert::duration(input, min)
}

fn show_dur(d: &Duration) -> String {
    format_duration(*d)
}

fn show<T: ToString>(v: &T) -> String {
    v.to_string()
}

/// Build the settings from the raw file (default when there is none) and the environment.
pub(crate) fn build(
    raw: &RawFile,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Settings, Vec<SettingEntry>), SettingsError> {
    let d = Settings::default();
    let mut b = Builder {
        env,
        entries: Vec::new(),
    };
    let mut s = Settings::default();

    let (p, dp) = (&raw.proxy, d.proxy);
    s.proxy.listen = b.resolve(
        "proxy.listen",
        p.listen.as_ref(),
        dp.listen,
        &convert::listen,
        Some((ENV_LISTEN, &convert::listen)),
        show,
    )?;
    let bytes = |i: Input<'_>| convert::integer::<u64>(i, 1);
    s.proxy.max_body_bytes = b.resolve(
        "proxy.max_body_bytes",
        p.max_body_bytes.as_ref(),
        dp.max_body_bytes,
        &bytes,
        None,
        show,
    )?;
    let events = |i: Input<'_>| convert::integer::<u32>(i, 1);
    s.proxy.hold_events = b.resolve(
        "proxy.hold_events",
        p.hold_events.as_ref(),
        dp.hold_events,
        &events,
        None,
        show,
    )?;
    s.proxy.hold_timeout = b.resolve(
        "proxy.hold_timeout",
        p.hold_timeout.as_ref(),
        dp.hold_timeout,
        &dur(Min::Positive),
        None,
        show_dur,
    )?;
    s.proxy.drain_timeout = b.resolve(
        "proxy.drain_timeout",
        p.drain_timeout.as_ref(),
        dp.drain_timeout,
        &dur(Min::Zero),
        None,
        show_dur,
    )?;

    let (u, du) = (&raw.upstream, d.upstream);
    let base_url = |i: Input<'_>| convert::http_url(i, "https://chatgpt.com/backend-api");
    s.upstream.base_url = b.resolve(
        "upstream.base_url",
        u.base_url.as_ref(),
        du.base_url,
        &base_url,
        Some((ENV_UPSTREAM, &base_url)),
        show,
    )?;
    let positive = dur(Min::Positive);
    s.upstream.connect_timeout = b.resolve(
        "upstream.connect_timeout",
        u.connect_timeout.as_ref(),
        du.connect_timeout,
        &positive,
        None,
        show_dur,
    )?;
    s.upstream.headers_timeout = b.resolve(
        "upstream.headers_timeout",
        u.headers_timeout.as_ref(),
        du.headers_timeout,
        &positive,
        Some((ENV_FETCH_TIMEOUT_MS, &convert::millis)),
        show_dur,
    )?;
    s.upstream.idle_timeout = b.resolve(
        "upstream.idle_timeout",
        u.idle_timeout.as_ref(),
        du.idle_timeout,
        &positive,
        Some((ENV_STREAM_STALL_TIMEOUT_MS, &convert::millis)),
        show_dur,
    )?;

    let (o, dop) = (&raw.oauth, d.oauth);
    let issuer = |i: Input<'_>| convert::http_url(i, "https://auth.openai.com");
    s.oauth.issuer = b.resolve(
        "oauth.issuer",
        o.issuer.as_ref(),
        dop.issuer,
        &issuer,
        Some((ENV_ISSUER, &issuer)),
        show,
    )?;
    s.oauth.client_id = b.resolve(
        "oauth.client_id",
        o.client_id.as_ref(),
        dop.client_id,
        &convert::word,
        None,
        show,
    )?;

    build_rotation(&mut b, raw, &mut s)?;

    let poll = dur(Min::AtLeast(Duration::from_secs(10)));
    s.quota.poll_interval = b.resolve(
        "quota.poll_interval",
        raw.quota.poll_interval.as_ref(),
        d.quota.poll_interval,
        &poll,
        None,
        show_dur,
    )?;

    let filter = |i: Input<'_>| convert::filter(i).map(Some);
    s.log_filter = b.resolve(
        "log.filter",
        raw.log.filter.as_ref(),
        None,
        &filter,
        Some((ENV_LOG, &filter)),
        |f| f.clone().unwrap_or_default(),
    )?;

    check_backoff_cap(&s)?;
    Ok((s, b.entries))
}

fn build_rotation(b: &mut Builder<'_>, raw: &RawFile, s: &mut Settings) -> Result<(), SettingsError> {
    let (r, dr) = (&raw.rotation, RotationSettings::default());
    let positive = dur(Min::Positive);
    let at_least_one = |i: Input<'_>| convert::integer::<u32>(i, 1);
    let rot = &mut s.rotation;
    rot.strategy = b.resolve(
        "rotation.strategy",
        r.strategy.as_ref(),
        dr.strategy,
        &convert::strategy,
        None,
        show,
    )?;
    rot.max_attempts = b.resolve(
        "rotation.max_attempts",
        r.max_attempts.as_ref(),
        dr.max_attempts,
        &at_least_one,
        None,
        show,
    )?;
    rot.session_ttl = b.resolve(
        "rotation.session_ttl",
        r.session_ttl.as_ref(),
        dr.session_ttl,
        &positive,
        None,
        show_dur,
    )?;
    let sessions = |i: Input<'_>| convert::count(i, 1);
    rot.max_sessions = b.resolve(
        "rotation.max_sessions",
        r.max_sessions.as_ref(),
        dr.max_sessions,
        &sessions,
        None,
        show,
    )?;
    rot.preemptive_quota_percent = b.resolve(
        "rotation.preemptive_quota_percent",
        r.preemptive_quota_percent.as_ref(),
        dr.preemptive_quota_percent,
        &convert::percent,
        None,
        show,
    )?;
    rot.rate_limit_default = b.resolve(
        "rotation.rate_limit_default",
        r.rate_limit_default.as_ref(),
        dr.rate_limit_default,
        &positive,
        None,
        show_dur,
    )?;
    rot.server_error_base = b.resolve(
        "rotation.server_error_base",
        r.server_error_base.as_ref(),
        dr.server_error_base,
        &positive,
        None,
        show_dur,
    )?;
    rot.network_error_base = b.resolve(
        "rotation.network_error_base",
        r.network_error_base.as_ref(),
        dr.network_error_base,
        &positive,
        None,
        show_dur,
    )?;
    rot.backoff_max = b.resolve(
        "rotation.backoff_max",
        r.backoff_max.as_ref(),
        dr.backoff_max,
        &positive,
        None,
        show_dur,
    )?;
    rot.outage_accounts = b.resolve(
        "rotation.outage_accounts",
        r.outage_accounts.as_ref(),
        dr.outage_accounts,
        &at_least_one,
        None,
        show,
    )?;
    rot.outage_window = b.resolve(
        "rotation.outage_window",
        r.outage_window.as_ref(),
        dr.outage_window,
        &positive,
        None,
        show_dur,
    )?;
    Ok(())
}

/// The cap of the doubling cooldowns cannot be below their starting points.
fn check_backoff_cap(s: &Settings) -> Result<(), SettingsError> {
    let r = &s.rotation;
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
