//! The daemon's shared account state: the pure pool behind a lock, the secrets of
//! `accounts.json`, token refresh with its single-use guarantees, and persistence.
//!
//! # Layout
//! - [`runtime`] — [`Runtime`], the cheap-clone handle; loading, persisting, snapshots.
//! - [`refresh`] — single-flight refresh (SPEC §6) and the crash-safe in-flight mark.
//! - [`manage`] — resolving `codexctl`'s account references; add/remove/enable/disable/label.
//! - [`background`] — the coalesced `state.json` writer and proactive refresh.
//! - [`usage`] — `/wham/usage` polling and early-reset detection.
//! - [`clock`] — [`Clock`]: the system clock here; tests use `codex-router-test-support`'s manual one.
//!
//! # Invariants
//! - No lock here is held across an `.await`, except the per-account refresh gate, whose whole
//!   point is to make a second refresh wait for the first.
//! - New tokens are on disk before any request can read them from [`Runtime::credentials`].

pub mod background;
pub mod clock;
mod error;
pub mod manage;
pub mod native;
pub mod refresh;
pub mod runtime;
pub mod usage;

pub use clock::{Clock, SystemClock};
pub use error::RuntimeError;
pub use manage::{AccountRef, Added, ManageError};
pub use refresh::RefreshFailure;
pub use runtime::{Credentials, Runtime, RuntimeOptions, StorageInfo};
