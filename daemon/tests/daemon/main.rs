//! The daemon end to end, in process: status, the control methods, reload and shut-down, against
//! a fake upstream and issuer on loopback. One test binary (faster to build than one per file).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] fns

mod accounts;
mod common;
mod config;
mod lifecycle;
mod native;
mod quota;
mod schema;
mod status;
