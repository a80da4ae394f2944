//! The real Codex CLI through the router: `codex exec` through the daemon, the answer and the
//! account rotation seen (natively bound: `native.rs`).
//!
//! `@openai/codex` is installed from npm at the pinned version (the one
//! `reference/codex-client.md` measured) into the target directory, once, and reused. Where npm or
//! the package is unavailable the tests fail with the reason, unless the run opts out with
//! `CODEX_ROUTER_SKIP_REAL_CODEX=1`: then each prints that it was skipped, by name. Everything else is the real thing: `codexctl rotation bind-app` writes the
//! binding into a temporary `CODEX_HOME`, `codex exec` talks to a real `codex-routerd`, and the
//! daemon's upstream is the fake backend.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod codex;
mod compaction;
mod exec;
mod native;
mod websocket;

pub use codex_router_e2e::show;
