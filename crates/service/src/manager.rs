//! The interface `codexctl` drives: the real [`crate::SystemServiceManager`] or a fake.

use std::path::PathBuf;

use crate::action::{InstallReport, ServiceReport, UninstallReport};
use crate::error::ServiceError;
use crate::spec::ServiceSpec;

/// Which service manager a platform uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManagerKind {
    /// A systemd user manager (`systemctl --user`).
    SystemdUser,
    /// launchd, the user's GUI domain (`launchctl … gui/<uid>`).
    Launchd,
    /// Windows Task Scheduler (`schtasks`).
    TaskScheduler,
}

impl ManagerKind {
    /// The name messages use ("started through systemd"), one spelling everywhere.
    pub fn name(self) -> &'static str {
        match self {
            ManagerKind::SystemdUser => "systemd",
            ManagerKind::Launchd => "launchd",
            ManagerKind::TaskScheduler => "Task Scheduler",
        }
    }
}

/// Whether the service manager can be used now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    Available(ManagerKind),
    /// No usable manager (a container, a Linux session without a user bus, an SSH session on a
    /// Mac nobody is logged in to). `advice` says what to do instead, in a full sentence.
    Unavailable {
        kind: ManagerKind,
        reason: String,
        advice: String,
    },
}

impl Availability {
    pub fn is_available(&self) -> bool {
        matches!(self, Availability::Available(_))
    }
}

/// What `service status` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceStatus {
    /// The service definition is in place.
    pub installed: bool,
    /// The service manager reports the daemon running.
    pub active: bool,
    /// Where the definition is (or would be) installed.
    pub definition_path: PathBuf,
    /// Linux only: whether lingering keeps the user manager (and so the daemon) running while
    /// the user is logged out; `None` elsewhere or when it cannot be read.
    pub linger: Option<bool>,
}

/// Installs, removes and controls the login service. Object safe: `codexctl` holds a
/// `Box<dyn ServiceManager>` and its tests hand it a fake.
pub trait ServiceManager {
    /// Whether the service manager is usable, and if not why and what to do instead.
    fn detect(&self) -> Availability;

    /// Write the definition and register and start the service. With `dry_run`, only report
    /// the actions (files with their contents, commands) and change nothing but run the
    /// read-only availability probe. Installing again replaces the definition and restarts the
    /// daemon on it (systemd: only when it changed). Refuses, touching nothing, when
    /// [`ServiceManager::detect`] finds no usable manager. A detached daemon must be stopped
    /// first: the service's daemon would exit with "already running".
    fn install(&self, spec: &ServiceSpec, dry_run: bool) -> Result<InstallReport, ServiceError>;

    /// Stop and deregister the service and remove exactly what `install` created.
    fn uninstall(&self, dry_run: bool) -> Result<UninstallReport, ServiceError>;

    /// Never fails: what cannot be read is reported as not installed / not active / unknown.
    fn status(&self) -> ServiceStatus;

    /// Start, stop or restart the daemon through the service manager (SPEC §9: so it is
    /// neither restarted behind the user's back nor started twice).
    fn start(&self) -> Result<ServiceReport, ServiceError>;
    fn stop(&self) -> Result<ServiceReport, ServiceError>;
    fn restart(&self) -> Result<ServiceReport, ServiceError>;

    /// Linux: `loginctl enable-linger <user>`, so the daemon survives logout and starts at
    /// boot. A separate step the caller asks the user about. Elsewhere a no-op with a note.
    fn enable_linger(&self, dry_run: bool) -> Result<ServiceReport, ServiceError>;
}
