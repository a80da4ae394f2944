//! Where "now" comes from. The daemon reads the wall clock; tests move the manual clock of
//! `codex-router-test-support`, which is why the trait itself lives in the core.

use std::time::SystemTime;

pub use codex_router_core::Clock;
use codex_router_core::Timestamp;

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now_from(SystemTime::now())
    }
}
