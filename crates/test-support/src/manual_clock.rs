//! A clock that only moves when told to, so cooldowns and resets in tests are exact and no test
//! sleeps to let time pass. It implements the core's `Clock`, which the runtime reads "now" from.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime};

use codex_router_core::{Clock, Timestamp};

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
        Self::new(Timestamp::now_from(SystemTime::now()))
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
