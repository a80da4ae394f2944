//! Classifying what the upstream answered (SPEC §4.2).
//!
//! One function per wire form — an HTTP status with its body and headers, or an SSE event seen
//! while the response head is held — and both produce the same [`Outcome`], so an in-band
//! `response.failed` is treated exactly like the HTTP status it names.

use std::time::Duration;

use http::HeaderMap;
use serde_json::Value;

use crate::Timestamp;
use crate::quota::{self, QuotaReading};

/// Longest cooldown any upstream answer may impose (SPEC §4.2: "at most 7 days").
pub const MAX_RESET: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Success {
        quota: Option<QuotaReading>,
    },
    /// The plan's usage window is exhausted; `reset_at` when the upstream said when.
    UsageLimit {
        reset_at: Option<Timestamp>,
        plan_type: Option<String>,
        quota: Option<QuotaReading>,
    },
    ShortRateLimit {
        retry_after: Option<Duration>,
    },
    NotEntitled,
    Unauthorized {
        invalidated: bool,
    },
    Deactivated,
    ServerError,
    NetworkError,
    InvalidEncryptedContent,
    ModelNotSupported,
    /// Not the account's fault: relay to the client untouched.
    ClientError,
}

/// What an SSE event means while the response head is held.
#[derive(Clone, Debug, PartialEq)]
pub enum EventClass {
    /// `response.created`, `response.in_progress`, `codex.rate_limits`: keep holding.
    OutputFree,
    /// Anything else: release the hold and relay.
    Output,
    /// An in-band failure that fails over like its HTTP counterpart.
    Failure(Outcome),
}

const DEACTIVATION_CODES: &[&str] = &[
    "deactivated_workspace",
    "workspace_disabled",
    "workspace_expired",
    "workspace_terminated",
    "account_disabled",
    "account_expired",
    "account_deactivated",
    "account_suspended",
    "account_deleted",
    "organization_disabled",
];

const MODEL_NOT_SUPPORTED: &str = "model is not supported when using codex with a chatgpt account";

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str()
}

/// The discriminators a body may carry: `error.type`, `error.code`, `detail.code`, `code`.
fn codes(body: &Value) -> Vec<&str> {
    [
        &["error", "type"][..],
        &["error", "code"][..],
        &["detail", "code"][..],
        &["code"][..],
        &["type"][..],
    ]
    .iter()
    .filter_map(|p| str_at(body, p))
    .collect()
}

fn message(body: &Value) -> String {
    str_at(body, &["error", "message"])
        .or_else(|| str_at(body, &["detail"]))
        .or_else(|| str_at(body, &["message"]))
        .unwrap_or_default()
        .to_ascii_lowercase()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// `Retry-After` as seconds or an HTTP date, or `retry-after-ms`.
pub fn retry_after(headers: &HeaderMap, now: Timestamp) -> Option<Duration> {
    if let Some(ms) = header(headers, "retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_millis(ms as u64));
    }
    let v = header(headers, "retry-after")?;
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(now.until(Timestamp::now_from(at)))
}

/// Epoch seconds, or milliseconds when the value is too large to be seconds.
fn epoch(v: &Value) -> Option<Timestamp> {
    let n = v.as_f64()?;
    if !n.is_finite() || n <= 0.0 {
        return None;
    }
    Some(if n > 1e12 {
        Timestamp::from_unix_ms(n as i64)
    } else {
        Timestamp::from_unix_ms((n * 1000.0) as i64)
    })
}

/// The reset named by an error object's own fields (`resets_at`, `resets_in_seconds`).
fn reset_from_error(err: &Value, now: Timestamp) -> Option<Timestamp> {
    err.get("resets_at")
        .or_else(|| err.get("reset_at"))
        .and_then(epoch)
        .or_else(|| {
            err.get("resets_in_seconds")
                .and_then(Value::as_f64)
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(|s| now.plus(Duration::from_secs_f64(s)))
        })
}

/// Keeps a reset only when it lies in the future and within [`MAX_RESET`].
fn sane_reset(at: Timestamp, now: Timestamp) -> Option<Timestamp> {
    (at > now).then(|| at.min(now.plus(MAX_RESET)))
}

/// The reset of a usage-limit answer, in SPEC order: body, `retry-after-ms`, `retry-after`,
/// then the `x-codex-*` window headers (the exhausted window's reset).
pub fn usage_reset(headers: &HeaderMap, body: &Value, now: Timestamp) -> Option<Timestamp> {
    let err = body.get("error").unwrap_or(body);
    reset_from_error(err, now)
        .and_then(|t| sane_reset(t, now))
        .or_else(|| retry_after(headers, now).and_then(|d| sane_reset(now.plus(d), now)))
        .or_else(|| {
            let reading = quota::from_headers(headers, now)?;
            let at = reading.blocked_until(100.0, now).flatten().or_else(|| {
                [reading.primary.as_ref(), reading.secondary.as_ref()]
                    .into_iter()
                    .flatten()
                    .filter_map(|w| w.resets_at)
                    .filter(|r| *r > now)
                    .min()
            })?;
            sane_reset(at, now)
        })
}

fn is_deactivation(body: &Value, raw: &str) -> bool {
    codes(body).iter().any(|c| DEACTIVATION_CODES.contains(c)) || raw.contains("deactivated_workspace") || {
        let m = message(body);
        m.contains("has been deactivated") || m.contains("has been disabled")
    }
}

/// Classifies an HTTP answer received before any byte went to the client.
pub fn classify_http(status: u16, headers: &HeaderMap, body: &[u8], now: Timestamp) -> Outcome {
    if (200..300).contains(&status) {
        return Outcome::Success {
            quota: quota::from_headers(headers, now),
        };
    }
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let raw = String::from_utf8_lossy(body);
    let codes = codes(&json);
    let has = |c: &str| codes.contains(&c);
    match status {
        429 if has("usage_not_included") => Outcome::NotEntitled,
        429 if has("usage_limit_reached") => Outcome::UsageLimit {
            reset_at: usage_reset(headers, &json, now),
            plan_type: str_at(&json, &["error", "plan_type"]).map(str::to_owned),
            quota: quota::from_headers(headers, now),
        },
        429 => Outcome::ShortRateLimit {
            retry_after: retry_after(headers, now),
        },
        401 if is_deactivation(&json, &raw) => Outcome::Deactivated,
        401 => Outcome::Unauthorized {
            invalidated: has("token_invalidated") || message(&json).contains("has been invalidated"),
        },
        402 | 403 if has("usage_not_included") => Outcome::NotEntitled,
        402 | 403 if is_deactivation(&json, &raw) => Outcome::Deactivated,
        403 => Outcome::ServerError,
        400 if has("invalid_encrypted_content") => Outcome::InvalidEncryptedContent,
        400 if message(&json).contains(MODEL_NOT_SUPPORTED) => Outcome::ModelNotSupported,
        408 | 500..=599 => Outcome::ServerError,
        _ => Outcome::ClientError,
    }
}

/// "try again in 1.5s" / "in 300ms" inside a rate-limit message (the Codex client's own rule).
fn retry_in_message(msg: &str) -> Option<Duration> {
    let lower = msg.to_ascii_lowercase();
    let rest = &lower[lower.find("try again in")? + "try again in".len()..];
    let rest = rest.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let n: f64 = rest[..end].parse().ok()?;
    let unit = rest[end..].trim_start();
    if unit.starts_with("ms") {
        Some(Duration::from_secs_f64(n / 1000.0))
    } else if unit.starts_with('s') {
        Some(Duration::from_secs_f64(n))
    } else {
        None
    }
}

/// Classifies one SSE event's JSON `data` while the response head is still held.
pub fn classify_event(event: &Value, now: Timestamp) -> EventClass {
    let kind = event.get("type").and_then(Value::as_str).unwrap_or_default();
    let err = match kind {
        "response.created" | "response.in_progress" | "codex.rate_limits" => return EventClass::OutputFree,
        "response.failed" => event.get("response").and_then(|r| r.get("error")),
        "error" => Some(event.get("error").unwrap_or(event)),
        _ => None,
    };
    let Some(err) = err else { return EventClass::Output };
    let c = [str_at(err, &["code"]), str_at(err, &["type"])];
    let has = |x: &str| c.contains(&Some(x));
    let outcome = if has("usage_limit_reached") {
        Outcome::UsageLimit {
            reset_at: reset_from_error(err, now).and_then(|t| sane_reset(t, now)),
            plan_type: str_at(err, &["plan_type"]).map(str::to_owned),
            quota: None,
        }
    } else if has("usage_not_included") {
        Outcome::NotEntitled
    } else if has("rate_limit_exceeded") {
        Outcome::ShortRateLimit {
            retry_after: str_at(err, &["message"]).and_then(retry_in_message),
        }
    } else if has("server_is_overloaded") || has("slow_down") {
        Outcome::ServerError
    } else if has("invalid_encrypted_content") {
        Outcome::InvalidEncryptedContent
    } else {
        return EventClass::Output;
    };
    EventClass::Failure(outcome)
}

#[cfg(test)]
#[path = "outcome_tests.rs"]
mod tests;
