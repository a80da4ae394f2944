//! Wall-clock reads in one place: the fake's times are Unix seconds, like the backend's.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch on the real clock (0 if the clock is before 1970, which no test machine is).
pub(crate) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
