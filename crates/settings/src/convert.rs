//! Converters from a raw value (a TOML value, or an environment variable's text) to a typed
//! setting. The same converter serves both sources so a bad environment value is reported
//! exactly like a bad file value.

use std::time::Duration;

use toml::Value;

use crate::duration::{DURATION_FORM, format_duration, parse_duration};
use crate::error::Problem;
use crate::listen::{LISTEN_FORM, ListenAddr};
use crate::model::{Strategy, WebsocketMode};

/// Where a raw value came from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Input<'a> {
    Toml(&'a Value),
    /// Already trimmed and non-empty.
    Env(&'a str),
}

/// A string setting: TOML strings and environment text go through `parse`; other TOML types
/// are a type error.
fn text<T>(input: Input<'_>, expected: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, Problem> {
    let s = match input {
        Input::Toml(Value::String(s)) => s.as_str(),
        Input::Toml(other) => return Err(Problem::wrong_type(expected, other)),
        Input::Env(s) => s,
    };
    parse(s).ok_or_else(|| Problem::bad(expected, s))
}

/// A boolean setting: a TOML boolean (or `true`/`false` from the environment).
pub(crate) fn boolean(input: Input<'_>) -> Result<bool, Problem> {
    match input {
        Input::Toml(Value::Boolean(b)) => Ok(*b),
        Input::Toml(other) => Err(Problem::wrong_type("true or false", other)),
        Input::Env(s) => s.parse().map_err(|_| Problem::bad("true or false", s)),
    }
}

/// The lower bound of a duration setting.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Min {
    Zero,
    Positive,
    AtLeast(Duration),
}

pub(crate) fn duration(input: Input<'_>, min: Min) -> Result<Duration, Problem> {
    let expected = match min {
        Min::Zero => format!("a duration written as {DURATION_FORM}"),
        Min::Positive => format!("a duration > 0 written as {DURATION_FORM}"),
        Min::AtLeast(m) => format!(
            "a duration of at least {} written as {DURATION_FORM}",
            format_duration(m)
        ),
    };
    text(input, &expected, |s| {
        parse_duration(s).filter(|d| match min {
            Min::Zero => true,
            Min::Positive => !d.is_zero(),
            Min::AtLeast(m) => *d >= m,
        })
    })
}

/// An integer in `min..=T::MAX`. From the environment, the text must be plain digits.
pub(crate) fn integer<T: TryFrom<i64> + Into<u64> + Copy>(input: Input<'_>, min: T) -> Result<T, Problem> {
    let expected = format!("an integer >= {}", min.into());
    let in_range = |i: i64| T::try_from(i).ok().filter(|v| (*v).into() >= min.into());
    match input {
        Input::Toml(Value::Integer(i)) => in_range(*i).ok_or_else(|| Problem::bad(&expected, &i.to_string())),
        Input::Toml(other) => Err(Problem::wrong_type(&expected, other)),
        Input::Env(s) => digits(s)
            .and_then(in_range)
            .ok_or_else(|| Problem::bad(&expected, s)),
    }
}

/// `usize` counts (`max_sessions`), which have no `Into<u64>` on every platform.
pub(crate) fn count(input: Input<'_>, min: usize) -> Result<usize, Problem> {
    let n = integer::<u64>(input, min as u64)?;
    usize::try_from(n)
        .map_err(|_| Problem::bad(format!("an integer from {min} to {}", usize::MAX), &n.to_string()))
}

/// Whole milliseconds >= 1, the form of the ancestor's `CODEX_AUTH_*_MS` variables.
pub(crate) fn millis(input: Input<'_>) -> Result<Duration, Problem> {
    let expected = "an integer number of milliseconds >= 1, e.g. \"60000\"";
    let ms = match input {
        Input::Toml(Value::Integer(i)) => u64::try_from(*i).ok().filter(|ms| *ms >= 1),
        Input::Toml(other) => return Err(Problem::wrong_type(expected, other)),
        Input::Env(s) => digits(s)
            .and_then(|i| u64::try_from(i).ok())
            .filter(|ms| *ms >= 1),
    };
    ms.map(Duration::from_millis).ok_or_else(|| match input {
        Input::Toml(v) => Problem::bad(expected, &v.to_string()),
        Input::Env(s) => Problem::bad(expected, s),
    })
}

fn digits(s: &str) -> Option<i64> {
    s.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| s.parse().ok())
        .flatten()
}

pub(crate) fn percent(input: Input<'_>) -> Result<f64, Problem> {
    let expected = "a number greater than 0 and at most 100";
    let ok = |x: f64| (x > 0.0 && x <= 100.0).then_some(x);
    match input {
        Input::Toml(Value::Integer(i)) => ok(*i as f64).ok_or_else(|| Problem::bad(expected, &i.to_string())),
        Input::Toml(Value::Float(x)) => ok(*x).ok_or_else(|| Problem::bad(expected, &x.to_string())),
        Input::Toml(other) => Err(Problem::wrong_type(expected, other)),
        Input::Env(s) => s
            .parse::<f64>()
            .ok()
            .and_then(ok)
            .ok_or_else(|| Problem::bad(expected, s)),
    }
}

pub(crate) fn listen(input: Input<'_>) -> Result<ListenAddr, Problem> {
    text(input, LISTEN_FORM, |s| s.parse().ok())
}

/// An http(s) URL with a host and no query, fragment or credentials; returned without a
/// trailing slash so paths can be appended with `format!("{base}/...")`.
pub(crate) fn http_url(input: Input<'_>, example: &str) -> Result<String, Problem> {
    let expected = format!("an http(s) URL without query, fragment or credentials, e.g. \"{example}\"");
    let parse = |s: &str| {
        let url = url::Url::parse(s).ok()?;
        let plain = matches!(url.scheme(), "http" | "https")
            && url.host_str().is_some_and(|h| !h.is_empty())
            && url.query().is_none()
            && url.fragment().is_none()
            && url.username().is_empty()
            && url.password().is_none();
        plain.then(|| url.as_str().trim_end_matches('/').to_owned())
    };
    text(input, &expected, parse).map_err(|mut p| {
        // Never echo a password that was put in the URL.
        let raw = match input {
            Input::Toml(Value::String(s)) => Some(s.as_str()),
            Input::Toml(_) => None,
            Input::Env(s) => Some(s),
        };
        if raw
            .and_then(|s| url::Url::parse(s).ok())
            .is_some_and(|u| u.password().is_some())
        {
            p.got = "a URL with credentials (not shown)".to_owned();
        }
        p
    })
}

pub(crate) fn strategy(input: Input<'_>) -> Result<Strategy, Problem> {
    let names: Vec<String> = Strategy::ALL.iter().map(|s| format!("\"{s}\"")).collect();
    text(input, &format!("one of {}", names.join(", ")), |s| s.parse().ok())
}

pub(crate) fn websocket(input: Input<'_>) -> Result<WebsocketMode, Problem> {
    text(input, "one of \"auto\", \"off\"", |s| match s {
        "auto" => Some(WebsocketMode::Auto),
        "off" => Some(WebsocketMode::Off),
        _ => None,
    })
}

/// An opaque identifier such as the OAuth client id: non-empty, no whitespace.
pub(crate) fn word(input: Input<'_>) -> Result<String, Problem> {
    text(input, "a non-empty string without spaces", |s| {
        (!s.is_empty() && !s.chars().any(char::is_whitespace)).then(|| s.to_owned())
    })
}

/// A tracing filter. Its syntax is checked by the daemon's subscriber; here it only has to be
/// a non-empty single line.
pub(crate) fn filter(input: Input<'_>) -> Result<String, Problem> {
    text(
        input,
        "a tracing filter such as \"info\" or \"info,codex_router_proxy=debug\"",
        |s| {
            let s = s.trim();
            (!s.is_empty() && !s.contains(['\n', '\r'])).then(|| s.to_owned())
        },
    )
}
