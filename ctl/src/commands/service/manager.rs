//! Which [`ServiceManager`] `codexctl` drives.
//!
//! Normally the platform's own (`SystemServiceManager`: systemd, launchd, Task Scheduler).
//! `CODEXCTL_SERVICE_MANAGER=none` makes `codexctl` behave as on a machine without one (a
//! container, a Linux session without a user bus): nothing is installed, `rotation enable`
//! starts the daemon detached. It exists for the end-to-end tests, which must never reach the
//! developer's real service manager, and is harmless for a user who manages the daemon by hand.

use std::path::PathBuf;

use codex_router_service::{
    Availability, InstallReport, ManagerKind, ServiceError, ServiceManager, ServiceReport, ServiceSpec,
    ServiceStatus, SystemServiceManager, UninstallReport,
};

use crate::ctx::Ctx;

/// The environment variable that selects the manager (`system`, the default, or `none`).
pub const SELECT_VAR: &str = "CODEXCTL_SERVICE_MANAGER";

/// The manager for this invocation.
pub fn open(ctx: &Ctx<'_>) -> anyhow::Result<Box<dyn ServiceManager>> {
    let choice = ctx.env(SELECT_VAR).unwrap_or_default();
    let user = login_name(ctx);
    let env = |key: &str| match key {
        "USER" => user.clone(),
        other => ctx.env(other),
    };
    match choice.trim() {
        "" | "system" => Ok(match SystemServiceManager::current(&env) {
            Ok(manager) => Box::new(manager),
            // No home directory: nothing can be installed, but everything else still works.
            Err(err) => Box::new(NoServiceManager::new(err.to_string())),
        }),
        "none" => Ok(Box::new(NoServiceManager::new(format!(
            "{SELECT_VAR}=none disables the service manager"
        )))),
        other => anyhow::bail!("{SELECT_VAR} must be `system` or `none`, not {other:?}"),
    }
}

/// The login name: `USER`, else `LOGNAME`, else (a `docker exec` shell sets neither) what
/// `id -un` says, so `loginctl` and the definitions get a real name.
pub fn login_name(ctx: &Ctx<'_>) -> Option<String> {
    let set = |k: &str| ctx.env(k).filter(|v| !v.trim().is_empty());
    set("USER").or_else(|| set("LOGNAME")).or_else(|| {
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

    fn ctx_with<'e>(env: &'e crate::ctx::Env) -> Ctx<'e> {
        Ctx::new(false, env).unwrap()
    }

    #[test]
    fn none_is_unavailable_and_installs_nothing() {
        let env = |k: &str| match k {
            SELECT_VAR => Some("none".to_owned()),
            "CODEX_ROUTER_HOME" => Some("/tmp/unused-router-home".to_owned()),
            _ => None,
        };
        let ctx = ctx_with(&env);
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
    fn an_unknown_choice_is_an_error() {
        let env = |k: &str| match k {
            SELECT_VAR => Some("fake".to_owned()),
            "CODEX_ROUTER_HOME" => Some("/tmp/unused-router-home".to_owned()),
            _ => None,
        };
        let ctx = ctx_with(&env);
        let err = open(&ctx).err().unwrap().to_string();
        assert!(err.contains(SELECT_VAR), "{err}");
    }
}
