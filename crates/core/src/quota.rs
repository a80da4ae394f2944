//! Quota readings: how much of each usage window an account has spent, and when it resets.
//!
//! Readings come from the `x-codex-*` headers of proxied answers or from `/wham/usage`.
//! Selection only ever asks two questions of a reading (how tight is the tightest window,
//! and is any window past the preemptive threshold), both answered against `now` so a
//! window whose reset time has passed stops counting without waiting for a new reading.

use http::HeaderMap;
use serde::{Deserialize, Serialize};

use crate::Timestamp;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuotaWindow {
    pub used_percent: f64,
    pub window_minutes: Option<u32>,
    pub resets_at: Option<Timestamp>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuotaSource {
    Headers,
    Usage,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuotaReading {
    pub primary: Option<QuotaWindow>,
    pub secondary: Option<QuotaWindow>,
    pub source: QuotaSource,
    pub read_at: Timestamp,
    #[serde(default)]
    pub plan_type: Option<String>,
}

impl QuotaWindow {
    /// A window whose reset time has passed no longer limits anything.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.resets_at.is_none_or(|r| r > now)
    }
}

impl QuotaReading {
    fn windows(&self) -> impl Iterator<Item = &QuotaWindow> {
        self.primary.iter().chain(self.secondary.iter())
    }

    /// Used percent of the tightest window that has not reset yet (0 when none).
    pub fn tightest_used(&self, now: Timestamp) -> f64 {
        self.windows()
            .filter(|w| w.is_live(now))
            .map(|w| w.used_percent)
            .fold(0.0, f64::max)
    }

    /// When a window at or above `threshold` percent resets, if one is. The latest such
    /// reset wins because the account is blocked until every exhausted window is back.
    /// `Some(None)` means "blocked, reset unknown".
    pub fn blocked_until(&self, threshold: f64, now: Timestamp) -> Option<Option<Timestamp>> {
        let mut blocked = None;
        for w in self
            .windows()
            .filter(|w| w.is_live(now) && w.used_percent >= threshold)
        {
            blocked = match (blocked, w.resets_at) {
                (None, r) => Some(r),
                (Some(Some(a)), Some(b)) => Some(Some(a.max(b))),
                (Some(_), _) => Some(None),
            };
        }
        blocked
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

fn window_from_headers(headers: &HeaderMap, which: &str, now: Timestamp) -> Option<QuotaWindow> {
    let used: f64 = header(headers, &format!("x-codex-{which}-used-percent"))?
        .parse()
        .ok()?;
    if !used.is_finite() {
        return None;
    }
    let minutes: Option<u32> =
        header(headers, &format!("x-codex-{which}-window-minutes")).and_then(|v| v.parse().ok());
    let reset_at = header(headers, &format!("x-codex-{which}-reset-at"))
        .and_then(|v| v.parse::<i64>().ok())
        .map(Timestamp::from_unix_secs)
        .or_else(|| {
            header(headers, &format!("x-codex-{which}-reset-after-seconds"))
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(|s| now.plus(std::time::Duration::from_secs_f64(s)))
        });
    // Same presence rule as the Codex client: an all-zero window with no reset is absent.
    if used == 0.0 && minutes.unwrap_or(0) == 0 && reset_at.is_none() {
        return None;
    }
    Some(QuotaWindow {
        used_percent: used,
        window_minutes: minutes,
        resets_at: reset_at,
    })
}

/// A reading from the `x-codex-primary-*` / `x-codex-secondary-*` headers, if any are present.
pub fn from_headers(headers: &HeaderMap, now: Timestamp) -> Option<QuotaReading> {
    let primary = window_from_headers(headers, "primary", now);
    let secondary = window_from_headers(headers, "secondary", now);
    if primary.is_none() && secondary.is_none() {
        return None;
    }
    let plan_type = header(headers, "x-codex-plan-type").map(str::to_owned);
    Some(QuotaReading {
        primary,
        secondary,
        source: QuotaSource::Headers,
        read_at: now,
        plan_type,
    })
}

fn window_from_usage(v: &serde_json::Value, now: Timestamp) -> Option<QuotaWindow> {
    let used = v.get("used_percent")?.as_f64()?;
    let minutes = v
        .get("limit_window_seconds")
        .and_then(serde_json::Value::as_u64)
        .map(|s| u32::try_from(s.div_ceil(60)).unwrap_or(u32::MAX));
    let resets_at = v
        .get("reset_at")
        .and_then(serde_json::Value::as_i64)
        .map(Timestamp::from_unix_secs)
        .or_else(|| {
            v.get("reset_after_seconds")
                .and_then(serde_json::Value::as_u64)
                .map(|s| now.plus(std::time::Duration::from_secs(s)))
        });
    Some(QuotaWindow {
        used_percent: used,
        window_minutes: minutes,
        resets_at,
    })
}

/// A reading from a `/wham/usage` body (backend-shapes §6).
pub fn from_usage_body(body: &serde_json::Value, now: Timestamp) -> Option<QuotaReading> {
    let rl = body.get("rate_limit")?;
    let primary = rl.get("primary_window").and_then(|w| window_from_usage(w, now));
    let secondary = rl.get("secondary_window").and_then(|w| window_from_usage(w, now));
    let plan_type = body.get("plan_type").and_then(|p| p.as_str()).map(str::to_owned);
    Some(QuotaReading {
        primary,
        secondary,
        source: QuotaSource::Usage,
        read_at: now,
        plan_type,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_unix_secs(s)
    }

    #[test]
    fn headers_give_both_windows() {
        let mut h = HeaderMap::new();
        h.insert("x-codex-primary-used-percent", HeaderValue::from_static("42.5"));
        h.insert("x-codex-primary-window-minutes", HeaderValue::from_static("300"));
        h.insert("x-codex-primary-reset-at", HeaderValue::from_static("2000"));
        h.insert("x-codex-secondary-used-percent", HeaderValue::from_static("7"));
        h.insert(
            "x-codex-secondary-reset-after-seconds",
            HeaderValue::from_static("60"),
        );
        let r = from_headers(&h, t(1000)).unwrap();
        assert_eq!(r.primary.as_ref().unwrap().used_percent, 42.5);
        assert_eq!(r.primary.as_ref().unwrap().resets_at, Some(t(2000)));
        assert_eq!(r.secondary.as_ref().unwrap().resets_at, Some(t(1060)));
        assert_eq!(r.tightest_used(t(1000)), 42.5);
        // After the primary resets only the secondary counts.
        assert_eq!(r.tightest_used(t(2001)), 0.0);
    }

    #[test]
    fn no_headers_no_reading() {
        assert!(from_headers(&HeaderMap::new(), t(0)).is_none());
    }

    #[test]
    fn blocked_until_takes_latest_exhausted_window() {
        let r = QuotaReading {
            primary: Some(QuotaWindow {
                used_percent: 100.0,
                window_minutes: None,
                resets_at: Some(t(50)),
            }),
            secondary: Some(QuotaWindow {
                used_percent: 99.0,
                window_minutes: None,
                resets_at: Some(t(90)),
            }),
            source: QuotaSource::Headers,
            read_at: t(0),
            plan_type: None,
        };
        assert_eq!(r.blocked_until(97.0, t(10)), Some(Some(t(90))));
        assert_eq!(r.blocked_until(99.5, t(10)), Some(Some(t(50))));
        assert_eq!(r.blocked_until(97.0, t(95)), None);
    }

    #[test]
    fn usage_body_parses() {
        let body = serde_json::json!({"plan_type":"pro","rate_limit":{"primary_window":{"used_percent":42,
            "limit_window_seconds":18000,"reset_after_seconds":120,"reset_at":1737000000},
            "secondary_window":null}});
        let r = from_usage_body(&body, t(1)).unwrap();
        assert_eq!(r.primary.unwrap().window_minutes, Some(300));
        assert!(r.secondary.is_none());
        assert_eq!(r.plan_type.as_deref(), Some("pro"));
    }
}
