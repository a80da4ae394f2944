//! The checks behind `codexctl doctor`: every check a user would otherwise do by hand, each with
//! a one-line fix. `codexctl` gathers what several checks share (is the daemon up, its `status`
//! snapshot, the service manager), calls these, and renders the list; keeping the checks here
//! keeps them testable without the CLI and keeps the CLI thin.
//!
//! The checks only read (files, modes, the daemon's answers); the one write is a probe file
//! created and removed in `logs/` to prove it writable. Checks that cannot pass where there is
//! no service manager (a container) are reported as skipped with the reason, never as failed.
//!
//! - [`files`] — router home, `run/`, socket, `client.key`, `logs/`.
//! - [`accounts`] — `accounts.json`, the accounts' health and linked Codex `auth.json` files.
//! - [`system`] — clock, service and lingering, proxy environment.
//! - [`websocket`] — one WebSocket handshake through the daemon, end to end.
//! - [`report`] — [`Check`] and [`Status`].

pub mod accounts;
pub mod files;
pub mod report;
pub mod system;
pub mod websocket;

pub use report::{Check, Status};
