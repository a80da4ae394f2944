//! Durations written as strings with a unit: `"500ms"`, `"45s"`, `"30m"`, `"2h"`, `"7d"`.
//!
//! A unit is mandatory because a bare `60` is ambiguous (the ancestor's settings mixed seconds
//! and milliseconds); one integer and one unit keep the form easy to read and to diff.

use std::time::Duration;

/// The form accepted, for error messages.
pub(crate) const DURATION_FORM: &str = "a string with an integer and a unit (ms, s, m, h or d), e.g. \"45s\"";

const UNITS: [(&str, u64); 5] = [
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1_000),
    ("ms", 1),
];

/// Parse `"<digits><unit>"`; `None` if it is not of that form or overflows.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (digits, unit) = text.split_at(split);
    if digits.is_empty() {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    let (_, unit_ms) = UNITS.iter().find(|(name, _)| *name == unit)?;
    n.checked_mul(*unit_ms).map(Duration::from_millis)
}

/// The shortest exact form with the largest unit: 300 s is `"5m"`, 1500 ms is `"1500ms"`.
/// Sub-millisecond parts are dropped (settings are whole milliseconds).
pub fn format_duration(d: Duration) -> String {
    let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    if ms == 0 {
        return "0s".to_owned();
    }
    for (name, unit_ms) in UNITS {
        if ms % unit_ms == 0 {
            return format!("{}{name}", ms / unit_ms);
        }
    }
    format!("{ms}ms")
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn spec_examples_parse() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("45s"), Some(Duration::from_secs(45)));
        assert_eq!(parse_duration("30m"), Some(Duration::from_secs(1800)));
        assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_duration("7d"), Some(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("0s"), Some(Duration::ZERO));
    }

    #[test]
    fn other_forms_are_refused() {
        for bad in [
            "",
            "60",
            "s",
            "-5s",
            "5 s",
            "5S",
            "1.5s",
            "5sec",
            "5us",
            "ms",
            "+5s",
            "5s5",
            "18446744073709551615d",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn formats_with_the_largest_exact_unit() {
        assert_eq!(format_duration(Duration::from_secs(300)), "5m");
        assert_eq!(format_duration(Duration::from_secs(2)), "2s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1500ms");
        assert_eq!(format_duration(Duration::from_secs(7 * 86_400)), "7d");
        assert_eq!(format_duration(Duration::ZERO), "0s");
    }

    proptest! {
        #[test]
        fn number_and_unit_parse_to_their_product(n in 0u64..1_000_000_000, unit_idx in 0usize..5) {
            let (name, unit_ms) = UNITS[unit_idx];
            prop_assert_eq!(parse_duration(&format!("{n}{name}")), Some(Duration::from_millis(n * unit_ms)));
        }

        #[test]
        fn format_then_parse_is_identity(ms in 0u64..(u64::MAX / 2)) {
            let d = Duration::from_millis(ms);
            prop_assert_eq!(parse_duration(&format_duration(d)), Some(d));
        }

        #[test]
        fn bare_numbers_are_never_durations(n in any::<u64>()) {
            prop_assert_eq!(parse_duration(&n.to_string()), None);
        }

        #[test]
        fn arbitrary_text_never_panics(s in ".*") {
            let _ = parse_duration(&s);
        }
    }
}
