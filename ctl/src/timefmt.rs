//! Human renderings of times: "in 4m 12s", "3m ago", "1h 02m". The daemon sends RFC 3339 UTC
//! instants; they are shown relative to this machine's clock at the moment of printing, so a
//! `--watch` redraw stays correct between events.

use std::time::{Duration, SystemTime};

use codex_router_core::Timestamp;

pub fn now() -> Timestamp {
    Timestamp::now_from(SystemTime::now())
}

/// A span in at most two units: `45s`, `4m 12s`, `2h 03m`, `3d 4h`.
pub fn span(d: Duration) -> String {
    let secs = d.as_secs();
    let (days, hours, mins, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if days > 0 {
        format!("{days}d {hours}h")
    } else if hours > 0 {
        format!("{hours}h {mins:02}m")
    } else if mins > 0 {
        format!("{mins}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

/// `in 4m 12s` for a future instant, `3m 05s ago` for a past one, `now` within a second.
pub fn relative(at: Timestamp, now: Timestamp) -> String {
    if at >= now {
        let d = now.until(at);
        if d < Duration::from_secs(1) {
            "now".to_owned()
        } else {
            format!("in {}", span(d))
        }
    } else {
        let d = at.until(now);
        if d < Duration::from_secs(1) {
            "now".to_owned()
        } else {
            format!("{} ago", span(d))
        }
    }
}

/// A usage window's length as people say it: 300 minutes is `5h`, 10080 is `7d`.
pub fn window(minutes: u64) -> String {
    if minutes > 0 && minutes.is_multiple_of(1440) {
        format!("{}d", minutes / 1440)
    } else if minutes > 0 && minutes.is_multiple_of(60) {
        format!("{}h", minutes / 60)
    } else {
        format!("{minutes}m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_use_two_units() {
        assert_eq!(span(Duration::from_secs(45)), "45s");
        assert_eq!(span(Duration::from_secs(252)), "4m 12s");
        assert_eq!(span(Duration::from_secs(7380)), "2h 03m");
        assert_eq!(span(Duration::from_secs(3 * 86_400 + 4 * 3600 + 5)), "3d 4h");
    }

    #[test]
    fn relative_both_ways() {
        let now = Timestamp::from_unix_secs(1_000_000);
        assert_eq!(relative(now.plus(Duration::from_secs(252)), now), "in 4m 12s");
        assert_eq!(relative(now.minus(Duration::from_secs(185)), now), "3m 05s ago");
        assert_eq!(relative(now, now), "now");
    }

    #[test]
    fn windows() {
        assert_eq!(window(300), "5h");
        assert_eq!(window(10080), "7d");
        assert_eq!(window(90), "90m");
    }
}
