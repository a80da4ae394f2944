//! The pure core of codex-router: the account pool, selection strategies, cooldowns, quota
//! readings, session affinity and the classification of upstream answers.
//!
//! Nothing here does IO, reads a clock or uses ambient randomness: time arrives as
//! `now: Timestamp`, so every rule can be tested deterministically and replayed from a
//! persisted state. The proxy and the daemon are the only callers.
//!
//! Layout: [`outcome`] turns upstream answers into [`outcome::Outcome`]s; [`pool`] holds the
//! accounts; [`select`] hands out leases; [`record`] applies outcomes; [`exhausted`] builds the
//! `pool_exhausted` answer; [`persist`] is the `state.json` schema; [`body`] and [`session`]
//! read request bodies and keys; [`claims`] reads the unverified claims of ChatGPT tokens.

pub mod account;
pub mod body;
mod body_scan;
pub mod claims;
pub mod clock;
pub mod exhausted;
pub mod label;
pub mod outcome;
pub mod persist;
pub mod pool;
pub mod pool_config;
pub mod quota;
pub mod record;
pub mod secret;
pub mod select;
pub mod session;
pub mod sse_line;
pub mod time;
pub mod usage;
pub mod ws_context;
pub mod ws_counters;
pub mod wsframe;

pub use clock::Clock;
pub use secret::Secret;
pub use time::Timestamp;
