//! The quota parts of the status screen: a bar and a reset countdown per window, the
//! source and age of the reading, "reset early", and the pool line. `accounts check` prints its
//! readings with the same cells, so both commands read alike.
//!
//! The bars are ASCII (`[#######---] 72%`) so they survive every terminal, log file and
//! copy-paste. A stale reading is worded as the past ("was 72%"), and a window whose reset time
//! has passed shows no percentage at all: the daemon's number is a fact about the moment it was
//! read, and the screen must not present an old fact as the account's state now.

use std::time::Duration;

use codex_router_core::Timestamp;
use codex_router_protocol::status::{PoolView, QuotaView, WindowView};

use crate::timefmt::{relative, span, window};

/// Cells in a bar: one per 10 %.
const BAR_WIDTH: usize = 10;

/// How long after an early reset the state says "reset early".
pub const RESET_EARLY_RECENT: Duration = Duration::from_secs(6 * 3600);

/// `[#######---] 72%`. A cell fills per whole 10 %, so only an exhausted window shows full.
pub fn bar(used: f64) -> String {
    // `as` saturates, and a NaN becomes 0.
    let filled = ((used / 10.0).floor() as usize).min(BAR_WIDTH);
    format!(
        "[{}{}] {used:.0}%",
        "#".repeat(filled),
        "-".repeat(BAR_WIDTH - filled)
    )
}

/// One window: `5h [#######---] 72%, resets in 3h 12m`; `5h [#######---] was 72%, ...` for a
/// stale reading; `5h reset 4m 10s ago` once its reset time has passed; `-` without a window.
pub fn window_cell(w: Option<&WindowView>, stale: bool, now: Timestamp) -> String {
    let Some(w) = w else {
        return "-".to_owned();
    };
    let len = w
        .window_minutes
        .map(|m| format!("{} ", window(u64::from(m))))
        .unwrap_or_default();
    if let Some(reset) = w.resets_at.filter(|r| *r <= now) {
        return format!("{len}reset {}", relative(reset, now));
    }
    let used = if stale {
        bar(w.used_percent).replace("] ", "] was ")
    } else {
        bar(w.used_percent)
    };
    match w.resets_at {
        Some(reset) => format!("{len}{used}, resets {}", relative(reset, now)),
        None => format!("{len}{used}"),
    }
}

/// Both windows of a reading, stale ones worded as the past.
pub fn window_cells(quota: Option<&QuotaView>, now: Timestamp) -> [String; 2] {
    let stale = quota.is_some_and(|q| q.stale);
    [
        window_cell(quota.and_then(|q| q.primary.as_ref()), stale, now),
        window_cell(quota.and_then(|q| q.secondary.as_ref()), stale, now),
    ]
}

/// Where the reading came from and how old it is: `usage 2m ago`, `headers 10s ago`, or
/// `stale 31m` once the daemon says it is older than two poll intervals.
pub fn reading_cell(quota: Option<&QuotaView>, now: Timestamp) -> String {
    let Some(q) = quota else {
        return "-".to_owned();
    };
    // From `read_at` and this clock, so a `--watch` redraw keeps counting between events.
    let age = short(q.read_at.until(now));
    if q.stale {
        return format!("stale {age}");
    }
    format!("{} {age} ago", q.source)
}

/// `, reset early 12m ago` while an early reset is recent; empty otherwise.
pub fn reset_early_note(reset_early_at: Option<Timestamp>, now: Timestamp) -> String {
    match reset_early_at {
        Some(at) if at.until(now) <= RESET_EARLY_RECENT => {
            format!(", reset early {} ago", short(at.until(now)))
        }
        _ => String::new(),
    }
}

/// `lasts ~5h at the current pace; next account back in 42m 10s`.
pub fn pool_line(pool: &PoolView, now: Timestamp) -> String {
    let lasts = match pool.lasts_s {
        Some(s) if s < 60 => "lasts under a minute at the current pace".to_owned(),
        Some(s) => format!("lasts ~{} at the current pace", rough(s)),
        None => "too little recent usage to tell how long it lasts".to_owned(),
    };
    let back = match pool.next_account_back_at {
        Some(at) => format!("next account back {}", relative(at, now)),
        None => "no account is waiting to come back".to_owned(),
    };
    format!("{lasts}; {back}")
}

/// One unit, for ages: `10s`, `2m`, `5h`, `3d`.
pub fn short(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// An estimate rounded to what it is worth: `42m`, `5h`, `3d 4h`.
fn rough(secs: u64) -> String {
    let mins = (secs + 30) / 60;
    match mins {
        0..60 => format!("{mins}m"),
        60..2880 => format!("{}h", (mins + 30) / 60),
        _ => span(Duration::from_secs((mins + 30) / 60 * 3600)),
    }
}
