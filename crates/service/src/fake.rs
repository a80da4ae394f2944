//! Fakes for tests, here and in `codexctl` (feature `test-util`).
//!
//! - [`FakeRunner`] records every command and answers from a script (default: success with no
//!   output), for driving the real [`crate::SystemServiceManager`] on a temporary home.
//! - [`FakeServiceManager`] is an in-memory [`ServiceManager`] for code that only needs one.

use std::io;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::action::{Action, Check, ServiceReport};
use crate::error::ServiceError;
use crate::manager::{Availability, ManagerKind, ServiceManager, ServiceStatus};
use crate::runner::{CommandOutput, CommandRunner, CommandSpec};
use crate::spec::ServiceSpec;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub enum FakeAnswer {
    Exit(CommandOutput),
    /// The program does not exist.
    NotFound,
}

impl FakeAnswer {
    /// An exit with `code` and `stdout`.
    pub fn exit(code: i32, stdout: &str) -> Self {
        FakeAnswer::Exit(CommandOutput {
            code: Some(code),
            stdout: stdout.to_owned(),
            stderr: String::new(),
        })
    }
}

/// Records commands; answers the first script entry whose key starts the command's display
/// form (`systemctl --user show-environment`), entries added later first.
#[derive(Debug, Default)]
pub struct FakeRunner {
    calls: Mutex<Vec<CommandSpec>>,
    script: Mutex<Vec<(String, FakeAnswer)>>,
}

impl FakeRunner {
    pub fn new() -> Self {
        Self::default()
    }

    /// Answer commands starting with `prefix` with `answer`.
    pub fn answer(self, prefix: &str, answer: FakeAnswer) -> Self {
        lock(&self.script).insert(0, (prefix.to_owned(), answer));
        self
    }

    /// The commands run so far, in their display form.
    pub fn calls(&self) -> Vec<String> {
        lock(&self.calls).iter().map(ToString::to_string).collect()
    }

    pub fn clear_calls(&self) {
        lock(&self.calls).clear();
    }
}

impl CommandRunner for FakeRunner {
    fn run(&self, command: &CommandSpec) -> io::Result<CommandOutput> {
        lock(&self.calls).push(command.clone());
        let line = command.to_string();
        let script = lock(&self.script);
        match script
            .iter()
            .find(|(prefix, _)| line.starts_with(prefix.as_str()))
        {
            Some((_, FakeAnswer::Exit(out))) => Ok(out.clone()),
            Some((_, FakeAnswer::NotFound)) => Err(io::Error::new(io::ErrorKind::NotFound, "not found")),
            None => Ok(CommandOutput {
                code: Some(0),
                ..CommandOutput::default()
            }),
        }
    }
}

/// An in-memory service manager. Its state is public so tests set it up and inspect it.
#[derive(Debug)]
pub struct FakeServiceManager {
    pub state: Mutex<FakeState>,
}

#[derive(Debug, Clone)]
pub struct FakeState {
    pub availability: Availability,
    pub installed: bool,
    pub active: bool,
    pub linger: Option<bool>,
    pub definition_path: PathBuf,
    /// `install`, `uninstall`, `start`, `stop`, `restart`, `enable_linger`, in call order
    /// (dry runs as `install --dry-run` and so on).
    pub calls: Vec<String>,
}

impl FakeServiceManager {
    pub fn new(availability: Availability) -> Self {
        FakeServiceManager {
            state: Mutex::new(FakeState {
                availability,
                installed: false,
                active: false,
                linger: None,
                definition_path: PathBuf::from("/fake/codex-routerd.service"),
                calls: Vec::new(),
            }),
        }
    }

    /// A manager that works (systemd flavour).
    pub fn available() -> Self {
        Self::new(Availability::Available(ManagerKind::SystemdUser))
    }

    pub fn snapshot(&self) -> FakeState {
        lock(&self.state).clone()
    }

    fn call(&self, name: &str, dry_run: bool) -> MutexGuard<'_, FakeState> {
        let mut state = lock(&self.state);
        state.calls.push(if dry_run {
            format!("{name} --dry-run")
        } else {
            name.to_owned()
        });
        state
    }

    fn report(dry_run: bool, what: &str) -> ServiceReport {
        let command = CommandSpec::new("fake-service-manager", &[what]);
        let actions = vec![Action::Run {
            command,
            check: Check::MustSucceed,
        }];
        ServiceReport {
            dry_run,
            actions,
            notes: Vec::new(),
        }
    }

    fn control(&self, name: &str, active: bool) -> Result<ServiceReport, ServiceError> {
        let mut state = self.call(name, false);
        if !state.installed {
            return Err(ServiceError::NotInstalled);
        }
        state.active = active;
        Ok(Self::report(false, name))
    }
}

impl ServiceManager for FakeServiceManager {
    fn detect(&self) -> Availability {
        lock(&self.state).availability.clone()
    }

    fn install(&self, spec: &ServiceSpec, dry_run: bool) -> Result<ServiceReport, ServiceError> {
        let mut state = self.call("install", dry_run);
        if let (Availability::Unavailable { reason, advice, .. }, false) = (&state.availability, dry_run) {
            return Err(ServiceError::Unavailable {
                reason: reason.clone(),
                advice: advice.clone(),
            });
        }
        if !dry_run {
            state.installed = true;
            state.active = true;
        }
        Ok(Self::report(dry_run, &spec.daemon_exe.to_string_lossy()))
    }

    fn uninstall(&self, dry_run: bool) -> Result<ServiceReport, ServiceError> {
        let mut state = self.call("uninstall", dry_run);
        if !dry_run {
            state.installed = false;
            state.active = false;
        }
        Ok(Self::report(dry_run, "uninstall"))
    }

    fn status(&self) -> ServiceStatus {
        let state = lock(&self.state);
        ServiceStatus {
            installed: state.installed,
            active: state.active,
            definition_path: state.definition_path.clone(),
            linger: state.linger,
        }
    }

    fn start(&self) -> Result<ServiceReport, ServiceError> {
        self.control("start", true)
    }

    fn stop(&self) -> Result<ServiceReport, ServiceError> {
        self.control("stop", false)
    }

    fn restart(&self) -> Result<ServiceReport, ServiceError> {
        self.control("restart", true)
    }

    fn enable_linger(&self, dry_run: bool) -> Result<ServiceReport, ServiceError> {
        let mut state = self.call("enable_linger", dry_run);
        if !dry_run {
            state.linger = Some(true);
        }
        Ok(Self::report(dry_run, "enable_linger"))
    }
}
