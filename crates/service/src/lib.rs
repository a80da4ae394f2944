//! The daemon as a login service (SPEC §9 `service install|uninstall|status`, §7 "Bound but
//! daemon down"): a systemd user unit on Linux, a launchd agent on macOS, a per-user Task
//! Scheduler task on Windows.
//!
//! # Layout
//! - [`spec`] — [`ServiceSpec`], what a definition carries, and [`ServiceSpec::validate`].
//! - [`systemd_unit`], [`launchd_plist`], [`windows_task_xml`] — pure generators that fill the
//!   templates in `packaging/` (embedded), each escaping for its own format; [`wincmd`] holds
//!   the Windows command-line quoting.
//! - [`context`] — [`ServiceContext`]: where the definition goes for this user.
//! - `plan` — install/uninstall/start/stop as lists of [`Action`]s, pure, with every
//!   platform's plan tested (performed on a temporary home); [`action`] performs them.
//! - [`ServiceManager`] — the interface `codexctl` drives; [`SystemServiceManager`] runs the
//!   OS tools through a [`CommandRunner`]; with the `test-util` feature, `fake` has fakes.
//! - [`record`] — `<router home>/service.json`, so uninstall removes exactly what install added.
//!
//! Platform logic is plain functions of their inputs, compiled and tested on every OS; the
//! only `cfg`s are how the uid is read and that Unix directories get a mode. No definition ever
//! holds the client key: the daemon reads it from the router home.

pub mod action;
mod command_lines;
pub mod context;
mod detect;
mod error;
#[cfg(any(test, feature = "test-util"))]
pub mod fake;
mod launchd;
pub mod manager;
mod plan;
pub mod record;
pub mod runner;
pub mod spec;
mod system;
mod systemd;
mod template;
pub mod wincmd;
mod windows_task;
mod xml;

#[cfg(test)]
mod testing;

pub use action::{Action, Check, Encoding, InstallReport, ServiceReport, UninstallReport};
pub use codex_router_store::Platform;
pub use context::ServiceContext;
pub use error::ServiceError;
pub use launchd::launchd_plist;
pub use manager::{Availability, ManagerKind, ServiceManager, ServiceStatus};
pub use runner::{CommandOutput, CommandRunner, CommandSpec, SystemCommandRunner};
pub use spec::{DAEMON_STDERR_LOG, LAUNCHD_LABEL, ServiceSpec, TASK_NAME, UNIT_NAME, daemon_exe_beside};
pub use system::SystemServiceManager;
pub use systemd::systemd_unit;
pub use windows_task::windows_task_xml;
