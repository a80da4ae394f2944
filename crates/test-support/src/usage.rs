//! Per-account quota windows, reported the two ways the backend reports them: `x-codex-*` headers on every
//! `/codex/responses` answer (§1.2) and the `/wham/usage` body (§6).

use serde_json::{Value, json};

use crate::clock::now_unix;

/// One rate-limit window. `reset_at` is absolute (Unix seconds), as both the headers and the body carry it.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub used_percent: f64,
    pub window_minutes: u32,
    pub reset_at: i64,
}

impl Window {
    /// A window resetting `resets_in_secs` from now on the real clock.
    pub fn new(used_percent: f64, window_minutes: u32, resets_in_secs: i64) -> Self {
        Self {
            used_percent,
            window_minutes,
            reset_at: now_unix() + resets_in_secs,
        }
    }
}

/// What the backend says about one account's quota.
#[derive(Clone, Debug, PartialEq)]
pub struct UsageState {
    pub primary: Option<Window>,
    pub secondary: Option<Window>,
    pub plan_type: String,
}

impl Default for UsageState {
    /// A fresh account: 0 % of the 5-hour window (resets in 5 h) and 0 % of the weekly window (resets in 7 d).
    fn default() -> Self {
        Self::fresh("plus")
    }
}

impl UsageState {
    /// The default windows for a given plan.
    pub fn fresh(plan_type: &str) -> Self {
        Self {
            primary: Some(Window::new(0.0, 300, 5 * 3600)),
            secondary: Some(Window::new(0.0, 10080, 7 * 86400)),
            plan_type: plan_type.to_owned(),
        }
    }

    /// Both windows at the given percentages, default lengths and resets.
    pub fn used(plan_type: &str, primary_percent: f64, secondary_percent: f64) -> Self {
        let mut usage = Self::fresh(plan_type);
        if let Some(w) = usage.primary.as_mut() {
            w.used_percent = primary_percent;
        }
        if let Some(w) = usage.secondary.as_mut() {
            w.used_percent = secondary_percent;
        }
        usage
    }

    /// The `x-codex-*` header family for these windows.
    pub fn headers(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (name, window) in [("primary", &self.primary), ("secondary", &self.secondary)] {
            if let Some(w) = window {
                out.push((
                    format!("x-codex-{name}-used-percent"),
                    format_percent(w.used_percent),
                ));
                out.push((
                    format!("x-codex-{name}-window-minutes"),
                    w.window_minutes.to_string(),
                ));
                out.push((format!("x-codex-{name}-reset-at"), w.reset_at.to_string()));
            }
        }
        out
    }

    /// The `/wham/usage` body (§6), with `reset_after_seconds` computed against `now`.
    pub fn wham_body(&self, now: i64, identity: Option<(&str, &str, &str)>) -> Value {
        let limit_reached = [&self.primary, &self.secondary]
            .into_iter()
            .flatten()
            .any(|w| w.used_percent >= 100.0);
        let mut body = json!({
            "plan_type": self.plan_type,
            "rate_limit": {
                "allowed": !limit_reached,
                "limit_reached": limit_reached,
                "primary_window": self.primary.as_ref().map(|w| window_json(w, now)),
                "secondary_window": self.secondary.as_ref().map(|w| window_json(w, now)),
            },
            "credits": {"has_credits": false, "unlimited": false, "balance": "0"},
            "additional_rate_limits": [],
            "rate_limit_reached_type": if limit_reached {
                json!({"type": "rate_limit_reached"})
            } else {
                Value::Null
            },
            "code_review_rate_limit": null,
        });
        if let (Some((account_id, user_id, email)), Some(obj)) = (identity, body.as_object_mut()) {
            obj.insert("account_id".into(), json!(account_id));
            obj.insert("user_id".into(), json!(user_id));
            obj.insert("email".into(), json!(email));
        }
        body
    }
}

fn window_json(w: &Window, now: i64) -> Value {
    json!({
        "used_percent": percent_json(w.used_percent),
        "limit_window_seconds": i64::from(w.window_minutes) * 60,
        "reset_after_seconds": (w.reset_at - now).max(0),
        "reset_at": w.reset_at,
    })
}

/// codex-rs's generated model reads `used_percent` as an integer; send integers when the value is one.
fn percent_json(p: f64) -> Value {
    if p.fract() == 0.0 && p.is_finite() && p.abs() < 1e15 {
        json!(p as i64)
    } else {
        json!(p)
    }
}

fn format_percent(p: f64) -> String {
    format!("{p}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_carry_both_windows() {
        let usage = UsageState {
            primary: Some(Window {
                used_percent: 12.5,
                window_minutes: 300,
                reset_at: 100,
            }),
            secondary: Some(Window {
                used_percent: 0.0,
                window_minutes: 10080,
                reset_at: 200,
            }),
            plan_type: "pro".into(),
        };
        let h = usage.headers();
        let get = |n: &str| h.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("x-codex-primary-used-percent"), Some("12.5"));
        assert_eq!(get("x-codex-primary-window-minutes"), Some("300"));
        assert_eq!(get("x-codex-primary-reset-at"), Some("100"));
        assert_eq!(get("x-codex-secondary-used-percent"), Some("0"));
        assert_eq!(get("x-codex-secondary-window-minutes"), Some("10080"));
    }

    #[test]
    fn wham_body_matches_reference_shape() {
        let usage = UsageState {
            primary: Some(Window {
                used_percent: 42.0,
                window_minutes: 300,
                reset_at: 1120,
            }),
            secondary: None,
            plan_type: "pro".into(),
        };
        let body = usage.wham_body(1000, None);
        assert_eq!(
            body["rate_limit"]["primary_window"],
            json!({"used_percent":42,"limit_window_seconds":18000,"reset_after_seconds":120,"reset_at":1120})
        );
        assert_eq!(body["rate_limit"]["secondary_window"], Value::Null);
        assert_eq!(body["rate_limit"]["limit_reached"], false);
        assert_eq!(body["plan_type"], "pro");
    }

    #[test]
    fn exhausted_window_reports_limit_reached() {
        let usage = UsageState::used("plus", 100.0, 3.5);
        let body = usage.wham_body(now_unix(), Some(("a", "u", "e@x")));
        assert_eq!(body["rate_limit"]["allowed"], false);
        assert_eq!(
            body["rate_limit_reached_type"],
            json!({"type":"rate_limit_reached"})
        );
        assert_eq!(body["rate_limit"]["secondary_window"]["used_percent"], 3.5);
        assert_eq!(body["account_id"], "a");
    }
}
