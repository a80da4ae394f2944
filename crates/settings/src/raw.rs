//! The raw layer: the shape of `config.toml`, checked for unknown keys and nothing else.
//!
//! Every leaf is kept as a `toml::Value` so that the typed layer, not serde, judges each value
//! and can say which key is wrong, what it holds and what is accepted (serde's own messages
//! name neither the key nor the table). Tables are deserialized one by one for the same reason:
//! an unknown key is then reported with its full dotted name.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Value;

use crate::error::{Problem, SettingsError};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTop {
    proxy: Option<Value>,
    upstream: Option<Value>,
    oauth: Option<Value>,
    rotation: Option<Value>,
    quota: Option<Value>,
    log: Option<Value>,
}

#[derive(Debug, Default)]
pub(crate) struct RawFile {
    pub(crate) proxy: RawProxy,
    pub(crate) upstream: RawUpstream,
    pub(crate) oauth: RawOAuth,
    pub(crate) rotation: RawRotation,
    pub(crate) quota: RawQuota,
    pub(crate) log: RawLog,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProxy {
    pub(crate) listen: Option<Value>,
    pub(crate) max_body_bytes: Option<Value>,
    pub(crate) hold_events: Option<Value>,
    pub(crate) hold_timeout: Option<Value>,
    pub(crate) drain_timeout: Option<Value>,
    pub(crate) ws_context_max_bytes: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUpstream {
    pub(crate) base_url: Option<Value>,
    pub(crate) connect_timeout: Option<Value>,
    pub(crate) headers_timeout: Option<Value>,
    pub(crate) idle_timeout: Option<Value>,
    pub(crate) websocket: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOAuth {
    pub(crate) issuer: Option<Value>,
    pub(crate) client_id: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRotation {
    pub(crate) strategy: Option<Value>,
    pub(crate) max_attempts: Option<Value>,
    pub(crate) session_ttl: Option<Value>,
    pub(crate) max_sessions: Option<Value>,
    pub(crate) preemptive_quota_percent: Option<Value>,
    pub(crate) rate_limit_default: Option<Value>,
    pub(crate) server_error_base: Option<Value>,
    pub(crate) network_error_base: Option<Value>,
    pub(crate) backoff_max: Option<Value>,
    pub(crate) outage_accounts: Option<Value>,
    pub(crate) outage_window: Option<Value>,
    pub(crate) spare_codex_login: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawQuota {
    pub(crate) poll_interval: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLog {
    pub(crate) filter: Option<Value>,
}

/// Parse the file's text into the raw layer.
pub(crate) fn parse(text: &str) -> Result<RawFile, SettingsError> {
    // A UTF-8 byte order mark (Windows editors) is not part of the TOML.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let table: toml::Table = text.parse().map_err(|err: toml::de::Error| syntax(text, &err))?;
    let top: RawTop = Value::Table(table)
        .try_into()
        .map_err(|err| unknown_key(None, &err))?;
    Ok(RawFile {
        proxy: section("proxy", top.proxy)?,
        upstream: section("upstream", top.upstream)?,
        oauth: section("oauth", top.oauth)?,
        rotation: section("rotation", top.rotation)?,
        quota: section("quota", top.quota)?,
        log: section("log", top.log)?,
    })
}

fn section<T: DeserializeOwned + Default>(name: &str, value: Option<Value>) -> Result<T, SettingsError> {
    match value {
        None => Ok(T::default()),
        Some(table @ Value::Table(_)) => table.try_into().map_err(|err| unknown_key(Some(name), &err)),
        Some(other) => {
            let p = Problem::wrong_type(format!("a table ([{name}])"), &other);
            Err(SettingsError::InvalidValue {
                key: name.to_owned(),
                expected: p.expected,
                got: p.got,
            })
        }
    }
}

/// Turn serde's "unknown field `x`, expected one of `a`, `b`" into an error naming
/// `table.x` and listing the accepted keys.
fn unknown_key(table: Option<&str>, err: &toml::de::Error) -> SettingsError {
    let message = err.message();
    let parsed = message.strip_prefix("unknown field `").and_then(|rest| {
        let end = rest.find("`, ")?;
        let accepted = rest[end + 3..].replace('`', "");
        Some((&rest[..end], accepted))
    });
    let (field, accepted) = parsed.unwrap_or(("?", message.to_owned()));
    let key = match table {
        Some(t) => format!("{t}.{field}"),
        None => field.to_owned(),
    };
    let accepted = accepted
        .trim_start_matches("expected ")
        .trim_start_matches("one of ");
    let accepted = match table {
        Some(t) => format!("the keys of [{t}] are: {accepted}"),
        None => format!("the tables are: {accepted}"),
    };
    SettingsError::UnknownKey { key, accepted }
}

fn syntax(text: &str, err: &toml::de::Error) -> SettingsError {
    let mut offset = err.span().map_or(0, |span| span.start.min(text.len()));
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    SettingsError::Syntax {
        line,
        column,
        message: err.message().trim().to_owned(),
    }
}
