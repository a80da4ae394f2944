//! The pure core of codex-router: the account pool, selection strategies, cooldowns, quota
//! readings, session affinity and the classification of upstream answers.
//!
//! Nothing here does IO, reads a clock or uses ambient randomness: time arrives as
//! `now: Timestamp`, so every rule can be tested deterministically and replayed from a
//! persisted state. The proxy and the daemon are the only callers.

pub mod secret;
pub mod time;

pub use secret::Secret;
pub use time::Timestamp;
