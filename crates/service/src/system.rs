//! The real [`ServiceManager`]: plans from [`crate::plan`], performed on the real file system
//! with commands run through an injected [`CommandRunner`].
//!
//! Order of an install: directories, the definition, the record, then the commands. The record
//! is written before anything is registered, so a failure half-way leaves enough behind for
//! `uninstall` to clean up, and the error says to run it.

use std::path::Path;

use codex_router_store::Platform;

use crate::action::{InstallReport, ServiceReport, UninstallReport, perform};
use crate::command_lines::{launchd, schtasks, systemd};
use crate::context::ServiceContext;
use crate::error::ServiceError;
use crate::manager::{Availability, ServiceManager, ServiceStatus};
use crate::plan::{self, Verb};
use crate::record::{self, InstallRecord};
use crate::runner::{CommandRunner, SystemCommandRunner};
use crate::spec::ServiceSpec;
use crate::{Action, Check, Encoding, detect};

const INSTALL_HINT: &str = "; run `codexctl service uninstall` to remove what was installed so far";

/// Installs and controls the service with the OS's own tools.
#[derive(Debug)]
pub struct SystemServiceManager<R = SystemCommandRunner> {
    ctx: ServiceContext,
    runner: R,
}

impl SystemServiceManager<SystemCommandRunner> {
    /// The manager for the current user, running real commands.
    pub fn current(env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ServiceError> {
        Ok(Self::new(
            ServiceContext::current(env)?,
            SystemCommandRunner::default(),
        ))
    }
}

impl<R: CommandRunner> SystemServiceManager<R> {
    pub fn new(ctx: ServiceContext, runner: R) -> Self {
        SystemServiceManager { ctx, runner }
    }

    pub fn context(&self) -> &ServiceContext {
        &self.ctx
    }

    /// The command runner (tests inspect a fake one).
    pub fn runner(&self) -> &R {
        &self.runner
    }

    /// A command's success, treating "could not run it" as failure.
    fn succeeds(&self, command: &crate::CommandSpec) -> Option<crate::CommandOutput> {
        self.runner.run(command).ok().filter(|out| out.success())
    }

    fn linger(&self) -> Option<bool> {
        if self.ctx.platform != Platform::Linux || self.ctx.user.is_empty() {
            return None;
        }
        let out = self.succeeds(&systemd::show_linger(&self.ctx.user))?;
        match out.stdout.trim() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        }
    }

    fn launchd_loaded(&self) -> bool {
        self.succeeds(&launchd::print_service(&self.ctx.launchd_domain()))
            .is_some()
    }

    fn control(&self, verb: Verb) -> Result<ServiceReport, ServiceError> {
        if !self.definition_in_use().exists() {
            return Err(ServiceError::NotInstalled);
        }
        let loaded = self.ctx.platform == Platform::MacOs && self.launchd_loaded();
        let actions = plan::control(&self.ctx, verb, loaded);
        let notes = perform(&actions, &self.runner, "")?;
        Ok(ServiceReport {
            dry_run: false,
            actions,
            notes,
        })
    }

    /// The definition the record names, else the one at its usual place.
    fn definition_in_use(&self) -> std::path::PathBuf {
        let recorded = record::load(&self.ctx.record_path()).ok().flatten();
        recorded.map_or_else(|| self.ctx.definition_path(), |r| r.definition)
    }
}

impl<R: CommandRunner> ServiceManager for SystemServiceManager<R> {
    fn detect(&self) -> Availability {
        detect::interpret(&self.ctx, &self.runner.run(&detect::probe(&self.ctx)))
    }

    fn install(&self, spec: &ServiceSpec, dry_run: bool) -> Result<InstallReport, ServiceError> {
        spec.validate(self.ctx.platform)?;
        let mut notes = Vec::new();
        if let Availability::Unavailable { reason, advice, .. } = self.detect() {
            if !dry_run {
                return Err(ServiceError::Unavailable { reason, advice });
            }
            notes.push(format!("a real install would fail here ({reason}): {advice}"));
        }
        let old_definition = std::fs::read(self.ctx.definition_path())
            .ok()
            .and_then(|bytes| Encoding::decode(&bytes));
        let old_record = record::load(&self.ctx.record_path())?;
        let exists = |p: &Path| p.exists();
        let actions = plan::install(
            &self.ctx,
            spec,
            &exists,
            old_definition.as_deref(),
            old_record.as_ref(),
        );
        if !dry_run {
            notes.extend(perform(&actions, &self.runner, INSTALL_HINT)?);
            if self.linger() == Some(false) {
                notes.push(format!(
                    "systemd stops the daemon when your last session ends; `loginctl enable-linger {}` \
                     keeps it running and starts it at boot",
                    self.ctx.user
                ));
            }
        }
        Ok(ServiceReport {
            dry_run,
            actions,
            notes,
        })
    }

    fn uninstall(&self, dry_run: bool) -> Result<UninstallReport, ServiceError> {
        let mut notes = Vec::new();
        let record = match record::load(&self.ctx.record_path()) {
            Ok(record) => record,
            Err(e) => {
                notes.push(format!(
                    "{e}; directories created by the install are left in place"
                ));
                None
            }
        };
        if record.is_none() && self.ctx.record_path().exists() {
            notes.push(format!(
                "removing the unreadable {}",
                self.ctx.record_path().display()
            ));
        }
        let exists = |p: &Path| p.exists();
        let Some(mut actions) = plan::uninstall(&self.ctx, record.as_ref(), &exists) else {
            notes.push("the codex-router service is not installed; nothing to do".to_owned());
            return Ok(ServiceReport {
                dry_run,
                actions: Vec::new(),
                notes,
            });
        };
        if record.is_none() && self.ctx.record_path().exists() {
            actions.push(Action::RemoveFile {
                path: self.ctx.record_path(),
            });
        }
        if !dry_run {
            notes.extend(perform(&actions, &self.runner, "")?);
        }
        if record.as_ref().is_some_and(|r| r.linger_enabled) {
            notes.push(format!(
                "lingering, turned on at install, stays on (other user services may rely on it); \
                 `loginctl disable-linger {}` turns it off",
                self.ctx.user
            ));
        }
        Ok(ServiceReport {
            dry_run,
            actions,
            notes,
        })
    }

    fn status(&self) -> ServiceStatus {
        let definition_path = self.definition_in_use();
        let installed = definition_path.exists();
        let active = installed
            && match self.ctx.platform {
                Platform::Linux => self.succeeds(&systemd::is_active()).is_some(),
                Platform::MacOs => self
                    .succeeds(&launchd::print_service(&self.ctx.launchd_domain()))
                    .is_some_and(|out| out.stdout.contains("state = running")),
                Platform::Windows => self
                    .succeeds(&schtasks::state())
                    .is_some_and(|out| out.stdout.trim() == "Running"),
            };
        ServiceStatus {
            installed,
            active,
            definition_path,
            linger: self.linger(),
        }
    }

    fn start(&self) -> Result<ServiceReport, ServiceError> {
        self.control(Verb::Start)
    }

    fn stop(&self) -> Result<ServiceReport, ServiceError> {
        self.control(Verb::Stop)
    }

    fn restart(&self) -> Result<ServiceReport, ServiceError> {
        self.control(Verb::Restart)
    }

    fn enable_linger(&self, dry_run: bool) -> Result<ServiceReport, ServiceError> {
        if self.ctx.platform != Platform::Linux {
            let note = "lingering is a systemd notion; nothing to do on this platform".to_owned();
            return Ok(ServiceReport {
                dry_run,
                actions: Vec::new(),
                notes: vec![note],
            });
        }
        if !dry_run && self.linger() == Some(true) {
            let note = "lingering is already on".to_owned();
            return Ok(ServiceReport {
                dry_run,
                actions: Vec::new(),
                notes: vec![note],
            });
        }
        let mut actions = vec![Action::Run {
            command: systemd::enable_linger(&self.ctx.user),
            check: Check::MustSucceed,
        }];
        if let Some(recorded) = record::load(&self.ctx.record_path())? {
            let updated = InstallRecord {
                linger_enabled: true,
                ..recorded
            };
            actions.push(plan::write_record(&self.ctx, &updated));
        }
        let mut notes = Vec::new();
        if !dry_run {
            let hint = format!(
                "; an administrator can run `sudo loginctl enable-linger {}`",
                self.ctx.user
            );
            notes = perform(&actions, &self.runner, &hint)?;
        }
        Ok(ServiceReport {
            dry_run,
            actions,
            notes,
        })
    }
}

// On temporary directories, validated as Linux and macOS paths: Unix hosts only.
#[cfg(test)]
#[cfg(unix)]
#[path = "system_tests.rs"]
mod tests;
