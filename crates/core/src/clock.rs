//! The one way code outside the core learns "now". The core itself never calls it (time is an
//! argument here); the trait sits here so the runtime's system clock and the tests' manual clock
//! (in `codex-router-test-support`, which must not depend on the runtime) implement the same one.

use crate::Timestamp;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}
