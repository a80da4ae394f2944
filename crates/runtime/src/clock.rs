//! Where "now" comes from. The daemon reads the wall clock; tests move a manual one.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime};

use codex_router_core::Timestamp;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now_from(SystemTime::now())
    }
}

/// A clock that only moves when told to: cooldowns and resets in tests are exact.
#[derive(Debug)]
pub struct ManualClock {
    ms: AtomicI64,
}

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        Self {
            ms: AtomicI64::new(start.as_unix_ms()),
        }
    }

    /// Starts at the real current time, so tokens minted by fakes with real `exp` claims agree.
    pub fn starting_now() -> Self {
        Self::new(SystemClock.now())
    }

    pub fn advance(&self, d: Duration) {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        self.ms.fetch_add(ms, Ordering::SeqCst);
    }

    pub fn set(&self, t: Timestamp) {
        self.ms.store(t.as_unix_ms(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_unix_ms(self.ms.load(Ordering::SeqCst))
    }
}
