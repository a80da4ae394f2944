//! The steps of an install or uninstall, as data: a dry run returns them, a real run performs
//! them in order (`perform`). Planning them (in `plan`) only reads the file system.

use std::fs;
use std::io;
use std::path::PathBuf;

use codex_router_store::Platform;

use crate::error::ServiceError;
use crate::runner::{CommandRunner, CommandSpec};
use crate::wincmd::windows_command_line;

/// One step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Create one directory (its parent exists by then).
    CreateDir { path: PathBuf, mode: u32 },
    /// Write a file atomically.
    WriteFile {
        path: PathBuf,
        contents: String,
        encoding: Encoding,
        mode: u32,
    },
    /// Remove a file; already gone is fine.
    RemoveFile { path: PathBuf },
    /// Remove a directory this tool created, unless something else lives in it now.
    RemoveDirIfEmpty { path: PathBuf },
    /// Run a command.
    Run { command: CommandSpec, check: Check },
}

/// How a file's text becomes bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// UTF-16LE with a byte-order mark (Task Scheduler XML).
    Utf16Le,
}

impl Encoding {
    /// Text read back from a definition file written in either encoding.
    pub(crate) fn decode(bytes: &[u8]) -> Option<String> {
        match bytes {
            [0xFF, 0xFE, rest @ ..] => {
                let units: Vec<u16> = rest
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect();
                String::from_utf16(&units).ok()
            }
            _ => String::from_utf8(bytes.to_vec()).ok(),
        }
    }
}

/// Whether a command's failure stops the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    MustSucceed,
    /// Expected to fail in some states (stopping what is not running); noted, not fatal.
    MayFail,
}

impl Action {
    /// One line for humans, with commands quoted for the platform's shell.
    pub fn describe(&self, platform: Platform) -> String {
        match self {
            Action::CreateDir { path, mode } => {
                format!("create directory {} (mode {mode:o})", path.display())
            }
            Action::WriteFile { path, mode, .. } => format!("write {} (mode {mode:o})", path.display()),
            Action::RemoveFile { path } => format!("remove {}", path.display()),
            Action::RemoveDirIfEmpty { path } => format!("remove directory {} if empty", path.display()),
            Action::Run { command, check } => {
                let line = match platform {
                    Platform::Windows => {
                        let argv: Vec<String> = std::iter::once(command.program.clone())
                            .chain(command.args.clone())
                            .collect();
                        windows_command_line(&argv)
                    }
                    _ => command.to_string(),
                };
                match check {
                    Check::MustSucceed => format!("run {line}"),
                    Check::MayFail => format!("run {line} (failure tolerated)"),
                }
            }
        }
    }
}

/// What an install, uninstall, start, stop or linger change did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceReport {
    pub dry_run: bool,
    pub actions: Vec<Action>,
    /// Sentences for the user: tolerated failures, directories kept, what to do next.
    pub notes: Vec<String>,
}

pub type InstallReport = ServiceReport;
pub type UninstallReport = ServiceReport;

/// Perform `actions` in order. Stops at the first fatal failure, whose error carries `hint`
/// (how to clean up). Returns notes about tolerated failures and kept directories.
pub(crate) fn perform(
    actions: &[Action],
    runner: &dyn CommandRunner,
    hint: &str,
) -> Result<Vec<String>, ServiceError> {
    let mut notes = Vec::new();
    for action in actions {
        match action {
            Action::CreateDir { path, mode } => create_dir(path, *mode)?,
            Action::WriteFile {
                path,
                contents,
                encoding,
                mode,
            } => {
                let bytes = match encoding {
                    Encoding::Utf8 => contents.as_bytes().to_vec(),
                    Encoding::Utf16Le => crate::windows_task::utf16le_with_bom(contents),
                };
                codex_router_store::write_atomic(path, &bytes, *mode)?;
            }
            Action::RemoveFile { path } => match fs::remove_file(path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    return Err(ServiceError::Remove {
                        path: path.clone(),
                        source: e,
                    });
                }
                _ => {}
            },
            Action::RemoveDirIfEmpty { path } => match fs::remove_dir(path) {
                Err(e) if e.kind() == io::ErrorKind::DirectoryNotEmpty => {
                    notes.push(format!("kept {}: it is not empty", path.display()));
                }
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    notes.push(format!("kept {}: {e}", path.display()));
                }
                _ => {}
            },
            Action::Run { command, check } => run(runner, command, *check, hint, &mut notes)?,
        }
    }
    Ok(notes)
}

fn run(
    runner: &dyn CommandRunner,
    command: &CommandSpec,
    check: Check,
    hint: &str,
    notes: &mut Vec<String>,
) -> Result<(), ServiceError> {
    let fatal = check == Check::MustSucceed;
    match runner.run(command) {
        Ok(out) if out.success() => Ok(()),
        Ok(out) if fatal => Err(ServiceError::failed(command, &out, hint)),
        Ok(out) => {
            notes.push(format!(
                "`{command}` failed ({}), which is fine here: {}",
                out.status_text(),
                out.combined_text()
            ));
            Ok(())
        }
        Err(e) if fatal && e.kind() == io::ErrorKind::TimedOut => Err(ServiceError::Timeout {
            command: command.to_string(),
        }),
        Err(e) if fatal => Err(ServiceError::Spawn {
            command: command.to_string(),
            source: e,
        }),
        Err(e) => {
            notes.push(format!("could not run `{command}`: {e}"));
            Ok(())
        }
    }
}

fn create_dir(path: &std::path::Path, mode: u32) -> Result<(), ServiceError> {
    match codex_router_store::create_dir_with_mode(path, mode) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => Err(ServiceError::CreateDir {
            path: path.to_owned(),
            source: e,
        }),
        _ => Ok(()),
    }
}
