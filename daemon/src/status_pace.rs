//! The pace behind `pool.lasts_s`: how fast the pool spends its quota, from recent readings.
//!
//! The pool keeps only each account's latest reading, and a pace needs two readings of the same
//! window some time apart. [`Pace`] therefore keeps a short history per account, fed by a
//! sampler every [`SAMPLE_EVERY`] ([`run_sampler`]) and by every status document, so the
//! estimate exists even when nobody asked for status in the last half hour. The formula is
//! documented in `docs/quota.md`; it is pure given the samples, so the tests pin it exactly.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use codex_router_core::Timestamp;
use codex_router_core::account::State;
use codex_router_core::pool::Snapshot;
use codex_router_core::quota::{QuotaReading, QuotaWindow};
use codex_router_runtime::Runtime;
use parking_lot::Mutex;
use tokio_util::sync::CancellationToken;

/// The pace is what was spent over the last half hour of readings.
pub const SPAN: Duration = Duration::from_secs(30 * 60);
/// Less history than this says more about rounding (readings are often whole percents) than
/// about the pace: no estimate from it.
pub const MIN_SPAN: Duration = Duration::from_secs(5 * 60);
/// Kept readings are at least this far apart (the newest always kept), so a busy proxy whose
/// every answer carries a reading costs at most `SPAN / MIN_GAP` samples per account.
const MIN_GAP: Duration = Duration::from_secs(60);
/// How often the sampler looks at the pool.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(15);
/// Readings whose reset times differ by more belong to different instances of the window (it
/// reset in between); headers give the reset relative to the answer, so allow some drift.
const SAME_WINDOW: Duration = Duration::from_secs(5 * 60);

/// One window of a reading: used percent and reset time.
type Slot = Option<(f64, Option<Timestamp>)>;

#[derive(Clone, Copy, Debug)]
struct Sample {
    at: Timestamp,
    /// Primary, secondary.
    windows: [Slot; 2],
}

impl Sample {
    fn of(q: &QuotaReading) -> Self {
        let slot = |w: &Option<QuotaWindow>| w.as_ref().map(|w| (w.used_percent, w.resets_at));
        Self {
            at: q.read_at,
            windows: [slot(&q.primary), slot(&q.secondary)],
        }
    }
}

/// Recent readings per account id.
#[derive(Debug, Default)]
pub struct Pace {
    tracks: Mutex<HashMap<String, VecDeque<Sample>>>,
}

impl Pace {
    /// Records every reading newer than the last one seen; forgets removed accounts and
    /// readings older than [`SPAN`].
    pub fn observe(&self, snap: &Snapshot, now: Timestamp) {
        let from = now.minus(SPAN);
        let mut tracks = self.tracks.lock();
        tracks.retain(|id, _| snap.accounts.iter().any(|a| &a.id == id));
        for a in &snap.accounts {
            let Some(q) = &a.quota else { continue };
            let track = tracks.entry(a.id.clone()).or_default();
            record(track, Sample::of(q));
            while track.front().is_some_and(|s| s.at < from) {
                track.pop_front();
            }
        }
    }

    /// How long the quota left lasts at the current pace; `None` when no window is being spent
    /// (or too little history says how fast).
    pub fn lasts(&self, snap: &Snapshot, preemptive_percent: f64, now: Timestamp) -> Option<Duration> {
        let from = now.minus(SPAN);
        let mut rate = [0.0_f64; 2];
        for track in self.tracks.lock().values() {
            let samples: Vec<&Sample> = track.iter().filter(|s| s.at >= from).collect();
            let Some(newest) = samples.last() else { continue };
            for (w, rate) in rate.iter_mut().enumerate() {
                let Some((used, resets)) = newest.windows[w] else {
                    continue;
                };
                let anchor = samples.iter().find_map(|s| match s.windows[w] {
                    Some((u, r)) if same_window(r, resets) => Some((u, s.at)),
                    _ => None,
                });
                if let Some((first, at)) = anchor {
                    let span = newest.at.since(at);
                    if span >= MIN_SPAN {
                        *rate += (used - first).max(0.0) / span.as_secs_f64();
                    }
                }
            }
        }
        let mut lasts: Option<f64> = None;
        for (w, rate) in rate.into_iter().enumerate() {
            if rate <= 0.0 {
                continue;
            }
            let supplies: Vec<Supply> = snap
                .accounts
                .iter()
                .filter(|a| matches!(a.state, State::Ready | State::RateLimited))
                .filter_map(|a| a.quota.as_ref().map(|q| (a.state == State::Ready, q)))
                .map(|(ready, q)| supply(q, w, ready, preemptive_percent, now))
                .collect();
            let t = exhausted_after(&supplies, rate, preemptive_percent);
            lasts = Some(lasts.map_or(t, |l| l.min(t)));
        }
        lasts.and_then(|t| Duration::try_from_secs_f64(t).ok())
    }
}

/// Longest `lasts_s` reported: by then every weekly window has reset at least once, and a
/// pool that outlasts that at the current pace is not running out.
pub const HORIZON: Duration = Duration::from_secs(7 * 24 * 3600);

/// What one account's window `w` offers over time: `now` headroom, and a full window again at
/// each reset (the first at `reset_in_s`, then every `period_s`).
#[derive(Clone, Copy, Debug)]
struct Supply {
    headroom: f64,
    reset_in_s: Option<f64>,
    period_s: Option<f64>,
}

/// The seconds until a pool spending `rate` percent per second has spent everything its
/// accounts offer, counting windows that reset before they run out (each reset adds a full
/// `preemptive_percent` window). The smallest `t` with `rate · t ≥ capacity(t)`: capacity only
/// grows in steps, so iterating `t = capacity(t) / rate` from the headroom alone reaches it.
fn exhausted_after(supplies: &[Supply], rate: f64, preemptive_percent: f64) -> f64 {
    let horizon = HORIZON.as_secs_f64();
    let capacity = |t: f64| -> f64 {
        supplies
            .iter()
            .map(|s| {
                let resets = match (s.reset_in_s, s.period_s) {
                    (Some(r), _) if r > t => 0.0,
                    (Some(r), Some(p)) if p > 0.0 => 1.0 + ((t - r) / p).floor(),
                    (Some(_), _) => 1.0,
                    (None, _) => 0.0,
                };
                s.headroom + resets * preemptive_percent
            })
            .sum()
    };
    let mut t = capacity(0.0) / rate;
    while t < horizon {
        let next = capacity(t) / rate;
        if next <= t {
            return t;
        }
        t = next;
    }
    horizon
}

/// Window `w` of reading `q` as a [`Supply`]. A window that is not reported, or has reset since
/// the reading, offers `preemptive_percent` now and no known reset; a rate-limited account
/// offers nothing now, only its resets.
fn supply(q: &QuotaReading, w: usize, ready: bool, preemptive_percent: f64, now: Timestamp) -> Supply {
    let window = if w == 0 { &q.primary } else { &q.secondary };
    let (headroom, reset_in_s, period_s) = match window {
        Some(win) if win.is_live(now) => (
            (preemptive_percent - win.used_percent).max(0.0),
            win.resets_at.map(|r| r.since(now).as_secs_f64()),
            win.window_minutes.map(|m| f64::from(m) * 60.0),
        ),
        _ => (preemptive_percent, None, None),
    };
    Supply {
        headroom: if ready { headroom } else { 0.0 },
        reset_in_s,
        period_s,
    }
}

/// Keeps the newest reading, and older ones at least [`MIN_GAP`] apart: a newest reading that
/// came less than that after the one before it is replaced by the next.
fn record(track: &mut VecDeque<Sample>, s: Sample) {
    if track.back().is_some_and(|last| last.at >= s.at) {
        return;
    }
    let n = track.len();
    if n >= 2 && track[n - 1].at.since(track[n - 2].at) < MIN_GAP {
        track.pop_back();
    }
    track.push_back(s);
}

fn same_window(a: Option<Timestamp>, b: Option<Timestamp>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.since(b).max(b.since(a)) <= SAME_WINDOW,
        (None, None) => true,
        _ => false,
    }
}

/// Samples the pool every [`SAMPLE_EVERY`] until `stop`.
pub async fn run_sampler(runtime: Runtime, pace: Arc<Pace>, stop: CancellationToken) {
    loop {
        let now = runtime.now();
        pace.observe(&runtime.with_pool_read(|p| p.snapshot(now)), now);
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(SAMPLE_EVERY) => {}
        }
    }
}

#[cfg(test)]
#[path = "status_pace_tests.rs"]
mod tests;
