//! Wall-clock instants as plain data.
//!
//! Every decision in the core takes `now: Timestamp` as an argument instead of reading a
//! clock, so tests drive time by hand and a cooldown computed before a restart means the
//! same thing after it (instants are absolute Unix milliseconds, persisted as RFC 3339).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Milliseconds since the Unix epoch, UTC.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

#[derive(Debug, thiserror::Error)]
#[error("not an RFC 3339 timestamp: {0}")]
pub struct TimestampParseError(String);

impl Timestamp {
    pub const EPOCH: Timestamp = Timestamp(0);

    pub const fn from_unix_ms(ms: i64) -> Self {
        Self(ms)
    }

    pub const fn from_unix_secs(secs: i64) -> Self {
        Self(secs.saturating_mul(1000))
    }

    /// The current wall clock. Only binaries and IO layers call this; the core never does.
    pub fn now_from(system: std::time::SystemTime) -> Self {
        match system.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => Self(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            Err(e) => Self(-i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX)),
        }
    }

    pub const fn as_unix_ms(self) -> i64 {
        self.0
    }

    /// Whole seconds, rounded up: a reset "at 12.3 s" is reported as 13 so a client that
    /// waits that long never arrives early.
    pub fn as_unix_secs_ceil(self) -> i64 {
        self.0.div_euclid(1000) + i64::from(self.0.rem_euclid(1000) != 0)
    }

    pub fn plus(self, d: Duration) -> Self {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Self(self.0.saturating_add(ms))
    }

    pub fn minus(self, d: Duration) -> Self {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Self(self.0.saturating_sub(ms))
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0))
    }

    /// Time from `self` until `later`, zero if `later` has passed.
    pub fn until(self, later: Timestamp) -> Duration {
        later.since(self)
    }

    pub fn to_rfc3339(self) -> String {
        let nanos = i128::from(self.0) * 1_000_000;
        match OffsetDateTime::from_unix_timestamp_nanos(nanos) {
            Ok(dt) => dt.format(&Rfc3339).unwrap_or_else(|_| self.0.to_string()),
            Err(_) => self.0.to_string(),
        }
    }

    pub fn parse_rfc3339(s: &str) -> Result<Self, TimestampParseError> {
        let dt = OffsetDateTime::parse(s.trim(), &Rfc3339).map_err(|_| TimestampParseError(s.to_owned()))?;
        let ms = dt.unix_timestamp_nanos() / 1_000_000;
        i64::try_from(ms)
            .map(Self)
            .map_err(|_| TimestampParseError(s.to_owned()))
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.to_rfc3339())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Timestamp::parse_rfc3339(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip_keeps_milliseconds() {
        let t = Timestamp::from_unix_ms(1_789_435_516_123);
        let s = t.to_rfc3339();
        assert_eq!(s, "2026-09-15T01:25:16.123Z");
        assert_eq!(Timestamp::parse_rfc3339(&s).unwrap(), t);
    }

    #[test]
    fn whole_seconds_format_without_fraction() {
        assert_eq!(Timestamp::from_unix_secs(0).to_rfc3339(), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn secs_ceil_rounds_up() {
        assert_eq!(Timestamp::from_unix_ms(12_300).as_unix_secs_ceil(), 13);
        assert_eq!(Timestamp::from_unix_ms(12_000).as_unix_secs_ceil(), 12);
    }

    #[test]
    fn since_and_until_saturate() {
        let a = Timestamp::from_unix_ms(1000);
        let b = Timestamp::from_unix_ms(4000);
        assert_eq!(b.since(a), Duration::from_secs(3));
        assert_eq!(a.since(b), Duration::ZERO);
        assert_eq!(a.until(b), Duration::from_secs(3));
    }

    #[test]
    fn parse_rejects_garbage() {
        assert!(Timestamp::parse_rfc3339("yesterday").is_err());
    }
}
