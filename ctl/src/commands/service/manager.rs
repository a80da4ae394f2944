//! Which [`ServiceManager`] `codexctl` drives.
//!
//! Normally the platform's own (`SystemServiceManager`: systemd, launchd, Task Scheduler).
//! The hidden `--service-manager none` makes `codexctl` behave as on a machine without one (a
//! container, a Linux session without a user bus): nothing is installed, `rotation enable`
//! starts the daemon detached. It exists for the end-to-end tests, which must never reach the
//! developer's real service manager.

use std::path::PathBuf;

use anyhow::Context;
use codex_router_service::{
    Availability, InstallReport, ManagerKind, ServiceError, ServiceManager, ServiceReport, ServiceSpec,
    ServiceStatus, SystemServiceManager, UninstallReport,
};

use crate::ctx::{Ctx, ServiceManagerChoice};

/// The manager for this invocation. No home directory is an error: the manager could not
/// tell whether a service is installed.
pub fn open(ctx: &Ctx<'_>) -> anyhow::Result<Box<dyn ServiceManager>> {
    match ctx.service_manager {
        ServiceManagerChoice::System => {
            let user = login_name(ctx);
            let env = |key: &str| match key {
                "USER" => user.clone(),
                other => ctx.env(other),
            };
            let manager = SystemServiceManager::current(&env).context("finding the service manager")?;
            Ok(Box::new(manager))
        }
        ServiceManagerChoice::None => Ok(Box::new(NoServiceManager::new(
            "--service-manager none drives no service manager".to_owned(),
        ))),
    }
}

/// The login name from the environment, else (a `docker exec` shell sets neither `USER` nor
/// `LOGNAME`) what `id -un` says, so `loginctl` and the definitions get a real name.
pub fn login_name(ctx: &Ctx<'_>) -> Option<String> {
    let env = |key: &str| ctx.env(key);
    codex_router_store::user::login_name(codex_router_service::Platform::current(), &env).or_else(|| {
        if cfg!(windows) {
            return None;
        }
        let out = std::process::Command::new("id").arg("-un").output().ok()?;
        let name = String::from_utf8(out.stdout).ok()?.trim().to_owned();
        (out.status.success() && !name.is_empty()).then_some(name)
    })
}

/// A machine without a usable service manager: detects as unavailable, has nothing installed.
#[derive(Debug)]
pub struct NoServiceManager {
    reason: String,
}

impl NoServiceManager {
    pub fn new(reason: String) -> Self {
        Self { reason }
    }

    fn unavailable(&self) -> ServiceError {
        ServiceError::Unavailable {
            reason: self.reason.clone(),
            advice: ADVICE.to_owned(),
        }
    }
}

const ADVICE: &str = "run `codexctl daemon start` at login from your shell profile instead";

impl ServiceManager for NoServiceManager {
    fn detect(&self) -> Availability {
        Availability::Unavailable {
            kind: platform_kind(),
            reason: self.reason.clone(),
            advice: ADVICE.to_owned(),
        }
    }

    fn install(&self, _spec: &ServiceSpec, dry_run: bool) -> Result<InstallReport, ServiceError> {
        if dry_run {
            return Ok(ServiceReport {
                dry_run,
                actions: Vec::new(),
                notes: vec![format!(
                    "a real install would fail here ({}): {ADVICE}",
                    self.reason
                )],
            });
        }
        Err(self.unavailable())
    }

    fn uninstall(&self, dry_run: bool) -> Result<UninstallReport, ServiceError> {
        Ok(ServiceReport {
            dry_run,
            actions: Vec::new(),
            notes: vec!["the codex-router service is not installed; nothing to do".to_owned()],
        })
    }

    fn status(&self) -> ServiceStatus {
        ServiceStatus {
            installed: false,
            active: false,
            definition_path: PathBuf::new(),
            linger: None,
        }
    }

    fn start(&self) -> Result<ServiceReport, ServiceError> {
        Err(ServiceError::NotInstalled)
    }

    fn stop(&self) -> Result<ServiceReport, ServiceError> {
        Err(ServiceError::NotInstalled)
    }

    fn restart(&self) -> Result<ServiceReport, ServiceError> {
        Err(ServiceError::NotInstalled)
    }

    fn enable_linger(&self, _dry_run: bool) -> Result<ServiceReport, ServiceError> {
        Err(self.unavailable())
    }
}

fn platform_kind() -> ManagerKind {
    match codex_router_service::Platform::current() {
        codex_router_service::Platform::Linux => ManagerKind::SystemdUser,
        codex_router_service::Platform::MacOs => ManagerKind::Launchd,
        codex_router_service::Platform::Windows => ManagerKind::TaskScheduler,
    }
}

/// Whether the service manager runs the daemon now, so `daemon stop|restart` must go through it
/// (SPEC §9). An installed but inactive service leaves a detached daemon to `codexctl` itself.
pub fn owns_daemon(status: &ServiceStatus) -> bool {
    status.installed && status.active
}

/// This platform's service manager, by name, for "started through systemd".
pub fn platform_name() -> &'static str {
    platform_kind().name()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx_with<'e>(env: &'e crate::ctx::Env, choice: ServiceManagerChoice) -> Ctx<'e> {
        Ctx::new(false, env).unwrap().with_service_manager(choice)
    }

    #[test]
    fn none_is_unavailable_and_installs_nothing() {
        let env = |k: &str| match k {
            "CODEX_ROUTER_HOME" => Some("/tmp/unused-router-home".to_owned()),
            _ => None,
        };
        let ctx = ctx_with(&env, ServiceManagerChoice::None);
        let manager = open(&ctx).unwrap();
        assert!(!manager.detect().is_available());
        assert!(!manager.status().installed);
        assert!(matches!(manager.start(), Err(ServiceError::NotInstalled)));
        assert!(matches!(
            manager.enable_linger(false),
            Err(ServiceError::Unavailable { .. })
        ));
        assert!(!owns_daemon(&manager.status()));
    }

    #[test]
    fn only_an_installed_running_service_owns_the_daemon() {
        let fake = codex_router_service::fake::FakeServiceManager::available();
        assert!(!owns_daemon(&fake.status()));
        fake.state.lock().unwrap().installed = true;
        assert!(
            !owns_daemon(&fake.status()),
            "installed but stopped: a detached daemon is ours"
        );
        fake.start().unwrap();
        assert!(owns_daemon(&fake.status()));
    }

    #[test]
    fn a_missing_home_is_an_error_not_nothing_installed() {
        let env = |k: &str| match k {
            "CODEX_ROUTER_HOME" => Some("/tmp/unused-router-home".to_owned()),
            _ => None,
        };
        let ctx = ctx_with(&env, ServiceManagerChoice::System);
        let err = open(&ctx).err().unwrap();
        assert!(format!("{err:#}").contains("service manager"), "{err:#}");
    }
}
