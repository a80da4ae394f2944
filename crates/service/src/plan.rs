//! What install, uninstall, start, stop and restart do on each platform, as lists of
//! [`Action`]s. Pure: the file system is seen only through the arguments (what exists, the
//! current definition and record), so every platform's plan is tested on every OS.

use std::path::{Path, PathBuf};

use codex_router_store::Platform;
use codex_router_store::dirs::PRIVATE_DIR_MODE;

use crate::action::{Action, Check, Encoding};
use crate::command_lines::{launchd, schtasks, systemd};
use crate::context::ServiceContext;
use crate::record::{InstallRecord, RECORD_VERSION};
use crate::runner::CommandSpec;
use crate::spec::ServiceSpec;

/// The definition file's text for `ctx.platform` and how it is encoded on disk.
pub(crate) fn definition(ctx: &ServiceContext, spec: &ServiceSpec) -> (String, Encoding) {
    match ctx.platform {
        Platform::Linux => (crate::systemd_unit(spec), Encoding::Utf8),
        Platform::MacOs => (crate::launchd_plist(spec), Encoding::Utf8),
        Platform::Windows => (crate::windows_task_xml(spec), Encoding::Utf16Le),
    }
}

/// Definitions are readable by the service manager and hold no secret.
const DEFINITION_MODE: u32 = 0o644;
const PUBLIC_DIR_MODE: u32 = 0o755;
const RECORD_MODE: u32 = 0o600;

/// Install (or reinstall) `spec`. `old_definition` is the definition file's current text,
/// `old_record` the current record.
pub(crate) fn install(
    ctx: &ServiceContext,
    spec: &ServiceSpec,
    exists: &dyn Fn(&Path) -> bool,
    old_definition: Option<&str>,
    old_record: Option<&InstallRecord>,
) -> Vec<Action> {
    let def_path = ctx.definition_path();
    let mut created: Vec<PathBuf> = old_record.map(|r| r.created_dirs.clone()).unwrap_or_default();
    let mut actions = create_dirs(ctx, spec, exists, &mut created);
    if let Some(old) = old_record.filter(|r| r.definition != def_path) {
        actions.push(Action::RemoveFile {
            path: old.definition.clone(),
        });
    }
    let (contents, encoding) = definition(ctx, spec);
    let changed = old_definition.is_some_and(|old| old != contents);
    actions.push(Action::WriteFile {
        path: def_path.clone(),
        contents,
        encoding,
        mode: DEFINITION_MODE,
    });
    let record = InstallRecord {
        version: RECORD_VERSION,
        platform: platform_name(ctx.platform).to_owned(),
        definition: def_path,
        created_dirs: created,
        linger_enabled: old_record.is_some_and(|r| r.linger_enabled),
    };
    actions.push(write_record(ctx, &record));
    actions.extend(register(ctx, old_definition.is_some(), changed));
    actions
}

/// The missing directories to create, outermost first, each added to `created`. The router
/// home (the daemon's, and the record's) and the log directory must exist before the service
/// starts: systemd's `ReadWritePaths=` and launchd's log paths need them.
fn create_dirs(
    ctx: &ServiceContext,
    spec: &ServiceSpec,
    exists: &dyn Fn(&Path) -> bool,
    created: &mut Vec<PathBuf>,
) -> Vec<Action> {
    let def_path = ctx.definition_path();
    let def_dir = def_path.parent().map(Path::to_path_buf).unwrap_or_default();
    // XDG asks for 0700 when creating `~/.config` and below; `~/Library/LaunchAgents` is
    // normally world-readable.
    let def_dir_mode = if ctx.platform == Platform::MacOs {
        PUBLIC_DIR_MODE
    } else {
        PRIVATE_DIR_MODE
    };
    let dirs = [
        (def_dir, def_dir_mode),
        (ctx.router_home.clone(), PRIVATE_DIR_MODE),
        (spec.log_dir.clone(), PRIVATE_DIR_MODE),
    ];
    let mut actions = Vec::new();
    for (dir, mode) in dirs {
        for path in missing_dirs(&dir, exists) {
            if !actions
                .iter()
                .any(|a| matches!(a, Action::CreateDir { path: p, .. } if *p == path))
            {
                actions.push(Action::CreateDir {
                    path: path.clone(),
                    mode,
                });
            }
            if !created.contains(&path) {
                created.push(path);
            }
        }
    }
    actions
}

/// Register and start the service once its definition is written.
fn register(ctx: &ServiceContext, reinstall: bool, changed: bool) -> Vec<Action> {
    match ctx.platform {
        Platform::Linux => {
            let mut actions = vec![must(systemd::daemon_reload()), must(systemd::enable_now())];
            if changed {
                // `enable --now` leaves a running daemon on the old definition.
                actions.push(must(systemd::control("restart")));
            }
            actions
        }
        Platform::MacOs => {
            let domain = ctx.launchd_domain();
            vec![
                // A loaded agent (a reinstall) must be unloaded before the new plist is loaded.
                may(launchd::bootout(&domain)),
                must(launchd::enable(&domain)),
                must(launchd::bootstrap(&domain, &ctx.definition_path())),
            ]
        }
        Platform::Windows => {
            let mut actions = vec![must(schtasks::create(&ctx.definition_path()))];
            if reinstall {
                // The running instance still runs the old action.
                actions.push(may(schtasks::end()));
            }
            actions.push(must(schtasks::run()));
            actions
        }
    }
}

/// Uninstall what `record` says was installed (or, without a record, just the definition at
/// its usual place). `None` when nothing is installed.
pub(crate) fn uninstall(
    ctx: &ServiceContext,
    record: Option<&InstallRecord>,
    exists: &dyn Fn(&Path) -> bool,
) -> Option<Vec<Action>> {
    let def_path = record.map_or_else(|| ctx.definition_path(), |r| r.definition.clone());
    if record.is_none() && !exists(&def_path) {
        return None;
    }
    let mut actions = Vec::new();
    match ctx.platform {
        Platform::Linux => {
            actions.push(may(systemd::disable_now()));
            actions.push(Action::RemoveFile { path: def_path });
            actions.push(may(systemd::daemon_reload()));
            actions.push(may(systemd::reset_failed()));
        }
        Platform::MacOs => {
            // Unload first: removing the file alone leaves KeepAlive in charge.
            actions.push(may(launchd::bootout(&ctx.launchd_domain())));
            actions.push(Action::RemoveFile { path: def_path });
        }
        Platform::Windows => {
            actions.push(may(schtasks::end()));
            actions.push(may(schtasks::delete()));
            actions.push(Action::RemoveFile { path: def_path });
        }
    }
    if let Some(record) = record {
        actions.push(Action::RemoveFile {
            path: ctx.record_path(),
        });
        for dir in record.created_dirs.iter().rev() {
            actions.push(Action::RemoveDirIfEmpty { path: dir.clone() });
        }
    }
    Some(actions)
}

/// `start`, `stop` or `restart` through the service manager. `loaded` says whether the
/// launchd agent is loaded (ignored elsewhere).
pub(crate) fn control(ctx: &ServiceContext, verb: Verb, loaded: bool) -> Vec<Action> {
    match ctx.platform {
        Platform::Linux => vec![must(systemd::control(verb.as_str()))],
        Platform::MacOs => {
            let domain = ctx.launchd_domain();
            match (verb, loaded) {
                (Verb::Start, true) => vec![must(launchd::kickstart(&domain, false))],
                (Verb::Restart, true) => vec![must(launchd::kickstart(&domain, true))],
                (Verb::Stop, true) => vec![must(launchd::bootout(&domain))],
                (Verb::Stop, false) => Vec::new(),
                (Verb::Start | Verb::Restart, false) => {
                    vec![must(launchd::bootstrap(&domain, &ctx.definition_path()))]
                }
            }
        }
        Platform::Windows => match verb {
            Verb::Start => vec![must(schtasks::run())],
            Verb::Stop => vec![must(schtasks::end())],
            Verb::Restart => vec![may(schtasks::end()), must(schtasks::run())],
        },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    Start,
    Stop,
    Restart,
}

impl Verb {
    fn as_str(self) -> &'static str {
        match self {
            Verb::Start => "start",
            Verb::Stop => "stop",
            Verb::Restart => "restart",
        }
    }
}

pub(crate) fn write_record(ctx: &ServiceContext, record: &InstallRecord) -> Action {
    Action::WriteFile {
        path: ctx.record_path(),
        contents: record.to_json(),
        encoding: Encoding::Utf8,
        mode: RECORD_MODE,
    }
}

/// `dir` and its ancestors that do not exist yet, outermost first.
fn missing_dirs(dir: &Path, exists: &dyn Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut missing: Vec<PathBuf> = dir
        .ancestors()
        .take_while(|p| !p.as_os_str().is_empty() && !exists(p))
        .map(Path::to_path_buf)
        .collect();
    missing.reverse();
    missing
}

fn platform_name(platform: Platform) -> &'static str {
    match platform {
        Platform::Linux => "linux",
        Platform::MacOs => "macos",
        Platform::Windows => "windows",
    }
}

/// A command whose failure stops the plan.
fn must(command: CommandSpec) -> Action {
    Action::Run {
        command,
        check: Check::MustSucceed,
    }
}

/// A command whose failure is only noted (undoing what may not be there).
fn may(command: CommandSpec) -> Action {
    Action::Run {
        command,
        check: Check::MayFail,
    }
}
