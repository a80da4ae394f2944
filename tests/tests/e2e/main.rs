//! End-to-end tests of the control plane and of quota: the real `codex-routerd` and `codexctl`
//! binaries on temporary router homes, with the fake backend as upstream. One test binary (ripgrep
//! style), so the binaries are built once per run (see `codex_router_e2e::bins`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod accounts_check;
mod closed_stdout;
mod drain;
mod fd_exhaustion;
mod lifecycle;
mod live_accounts;
mod offline_accounts;
mod single_instance;
mod start_failures;
mod stop_unresponsive;

pub use codex_router_e2e::{show, stderr, stdout};
