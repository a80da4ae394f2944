//! End-to-end harness: the real `codex-routerd` and `codexctl` binaries, each test on its own
//! temporary router home, with the fake ChatGPT backend and OAuth issuer as upstream. Nothing
//! here reaches the internet: every home points the upstream and the issuer at loopback.
//!
//! # Layout
//! - [`bins`] — finds the two binaries, building them once per test process.
//! - [`codex_versions`] — the Codex CLI versions the real-Codex tests run (`codex-versions.toml`).
//! - [`home`] — [`Home`]: a router home plus the environment both binaries run with.
//! - [`interactive`] — a `codexctl` the test talks to while it runs (prompts, pasted input).
//! - [`process`] — running `codexctl` with a deadline, and [`DaemonProcess`], a daemon started
//!   in the foreground whose stderr is captured line by line.
//! - [`upstream`] — [`Upstream`]: the fake backend on a runtime of its own, so tests are plain
//!   synchronous `#[test]`s that drive processes.
//!
//! Readiness is never a sleep: tests wait on the socket answering `ping`, on the daemon's
//! output, or on a process exit, each with a deadline.

pub mod bins;
pub mod codex_versions;
pub mod home;
pub mod interactive;
mod lines;
pub mod output;
pub mod process;
pub mod upstream;

pub use home::Home;
pub use interactive::Interactive;
pub use output::{show, stderr, stdout};
pub use process::{DaemonProcess, run_bounded};
pub use upstream::Upstream;

use std::time::Duration;

/// The longest any single step may take before the test fails instead of hanging.
pub const STEP: Duration = Duration::from_secs(30);
