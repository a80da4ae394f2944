//! Install, uninstall, dry runs and control on a temporary home with a fake command runner.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use super::*;
use crate::fake::{FakeAnswer, FakeRunner};
use crate::{CommandOutput, Encoding, launchd_plist, systemd_unit};

struct Fixture {
    _tmp: TempDir,
    root: PathBuf,
    ctx: ServiceContext,
    spec: ServiceSpec,
}

/// A home with a space in its name, holding only `.codex`, as a user has before installing.
fn fixture(platform: Platform) -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("John Smith");
    let home = root.join("home");
    fs::create_dir_all(home.join(".codex")).unwrap();
    let router_home = match platform {
        Platform::MacOs => home.join("Library/Application Support/codex-router"),
        _ => home.join(".local/share/codex-router"),
    };
    let ctx = ServiceContext {
        platform,
        home: home.clone(),
        config_home: None,
        uid: Some(501),
        user: "j".to_owned(),
        router_home: router_home.clone(),
    };
    let spec = ServiceSpec {
        daemon_exe: root.join("bin/codex-routerd"),
        log_dir: router_home.join("logs"),
        router_home,
        codex_home: home.join(".codex"),
        user: "j".to_owned(),
    };
    Fixture {
        _tmp: tmp,
        root,
        ctx,
        spec,
    }
}

fn manager(f: &Fixture, runner: FakeRunner) -> SystemServiceManager<FakeRunner> {
    SystemServiceManager::new(f.ctx.clone(), runner)
}

/// Every file (with its bytes) and directory under `root`.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path.clone());
                out.insert(path, None);
            } else {
                out.insert(path.clone(), Some(fs::read(&path).unwrap()));
            }
        }
    }
    out
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn linux_uninstall_removes_exactly_what_install_added() {
    let f = fixture(Platform::Linux);
    let before = snapshot(&f.root);
    let m = manager(&f, FakeRunner::new());
    let report = m.install(&f.spec, false).unwrap();
    assert!(!report.dry_run);

    let unit = f.ctx.home.join(".config/systemd/user/codex-routerd.service");
    assert_eq!(fs::read_to_string(&unit).unwrap(), systemd_unit(&f.spec));
    assert!(f.ctx.record_path().exists());
    assert!(
        f.spec.log_dir.is_dir(),
        "launchd and systemd need the log directory to exist"
    );
    #[cfg(unix)]
    {
        assert_eq!(mode(&unit), 0o644);
        assert_eq!(mode(&f.ctx.record_path()), 0o600);
        assert_eq!(mode(&f.ctx.router_home), 0o700);
    }
    assert_eq!(
        m.runner().calls(),
        [
            "systemctl --user show-environment",
            "systemctl --user daemon-reload",
            "systemctl --user enable --now codex-routerd.service",
            "loginctl show-user j --property=Linger --value",
        ]
    );

    m.runner().clear_calls();
    m.uninstall(false).unwrap();
    assert_eq!(snapshot(&f.root), before);
    assert_eq!(
        m.runner().calls(),
        [
            "systemctl --user disable --now codex-routerd.service",
            "systemctl --user daemon-reload",
            "systemctl --user reset-failed codex-routerd.service",
        ]
    );
}

#[test]
fn macos_uninstall_boots_out_and_removes_exactly_what_install_added() {
    let f = fixture(Platform::MacOs);
    let before = snapshot(&f.root);
    let m = manager(&f, FakeRunner::new());
    m.install(&f.spec, false).unwrap();
    let plist = f
        .ctx
        .home
        .join("Library/LaunchAgents/com.codex-router.daemon.plist");
    assert_eq!(fs::read_to_string(&plist).unwrap(), launchd_plist(&f.spec));
    let plist_arg = crate::runner::shell_quote(&plist.to_string_lossy());
    assert_eq!(
        m.runner().calls(),
        [
            "launchctl print gui/501".to_owned(),
            "launchctl bootout gui/501/com.codex-router.daemon".to_owned(),
            "launchctl enable gui/501/com.codex-router.daemon".to_owned(),
            format!("launchctl bootstrap gui/501 {plist_arg}"),
        ]
    );
    m.runner().clear_calls();
    m.uninstall(false).unwrap();
    // Unloaded with bootout, so KeepAlive cannot bring it back.
    assert_eq!(
        m.runner().calls(),
        ["launchctl bootout gui/501/com.codex-router.daemon"]
    );
    assert_eq!(snapshot(&f.root), before);
}

#[test]
fn windows_plan_registers_the_task_and_uninstall_removes_exactly_it() {
    // Windows paths cannot be validated on this host, so the plan is performed directly.
    let f = fixture(Platform::Windows);
    let before = snapshot(&f.root);
    let runner = FakeRunner::new();
    let exists = |p: &Path| p.exists();
    let actions = plan::install(&f.ctx, &f.spec, &exists, None, None);
    perform(&actions, &runner, "").unwrap();
    let xml = f.ctx.router_home.join("codex-routerd-task.xml");
    assert_eq!(&fs::read(&xml).unwrap()[..2], &[0xFF, 0xFE]);
    let xml_arg = crate::runner::shell_quote(&xml.to_string_lossy());
    assert_eq!(
        runner.calls(),
        [
            format!("schtasks /Create /TN codex-routerd /XML {xml_arg} /F"),
            "schtasks /Run /TN codex-routerd".to_owned(),
        ]
    );
    // A reinstall reads the UTF-16 file back and ends the running instance before /Run.
    let old = Encoding::decode(&fs::read(&xml).unwrap()).unwrap();
    assert_eq!(old, crate::windows_task_xml(&f.spec));
    let recorded = record::load(&f.ctx.record_path()).unwrap();
    let again = plan::install(&f.ctx, &f.spec, &exists, Some(&old), recorded.as_ref());
    assert!(again.contains(&Action::Run {
        command: crate::CommandSpec::new("schtasks", &["/End", "/TN", "codex-routerd"]),
        check: Check::MayFail,
    }));
    assert!(!again.iter().any(|a| matches!(a, Action::CreateDir { .. })));

    runner.clear_calls();
    let actions = plan::uninstall(&f.ctx, recorded.as_ref(), &exists).unwrap();
    perform(&actions, &runner, "").unwrap();
    assert_eq!(
        runner.calls(),
        [
            "schtasks /End /TN codex-routerd",
            "schtasks /Delete /TN codex-routerd /F"
        ]
    );
    assert_eq!(snapshot(&f.root), before);
}

#[test]
fn dry_runs_touch_nothing() {
    for platform in [Platform::Linux, Platform::MacOs] {
        let f = fixture(platform);
        let before = snapshot(&f.root);
        let m = manager(&f, FakeRunner::new());
        let report = m.install(&f.spec, true).unwrap();
        assert!(report.dry_run);
        assert_eq!(snapshot(&f.root), before, "{platform:?}");
        assert_eq!(
            m.runner().calls().len(),
            1,
            "only the read-only probe: {:?}",
            m.runner().calls()
        );
        // The report shows the definition as it would be written.
        let written: Vec<&String> = report
            .actions
            .iter()
            .filter_map(|a| match a {
                Action::WriteFile { path, contents, .. } if *path == f.ctx.definition_path() => {
                    Some(contents)
                }
                _ => None,
            })
            .collect();
        assert_eq!(written.len(), 1);
        assert!(report.actions.iter().any(|a| matches!(a, Action::Run { .. })));

        m.install(&f.spec, false).unwrap();
        let installed = snapshot(&f.root);
        m.runner().clear_calls();
        let report = m.uninstall(true).unwrap();
        assert!(
            report
                .actions
                .iter()
                .any(|a| matches!(a, Action::RemoveFile { .. }))
        );
        assert_eq!(snapshot(&f.root), installed);
        assert_eq!(m.runner().calls(), Vec::<String>::new());
    }
}

#[test]
fn a_reinstall_with_a_new_definition_restarts_and_still_uninstalls_cleanly() {
    let f = fixture(Platform::Linux);
    let before = snapshot(&f.root);
    let m = manager(&f, FakeRunner::new());
    m.install(&f.spec, false).unwrap();
    let first_record = record::load(&f.ctx.record_path()).unwrap().unwrap();

    m.runner().clear_calls();
    m.install(&f.spec, false).unwrap();
    assert!(
        !m.runner().calls().iter().any(|c| c.contains("restart")),
        "same definition, no restart"
    );

    let moved = ServiceSpec {
        codex_home: f.ctx.home.join("other codex"),
        ..f.spec.clone()
    };
    m.runner().clear_calls();
    m.install(&moved, false).unwrap();
    assert!(
        m.runner()
            .calls()
            .contains(&"systemctl --user restart codex-routerd.service".to_owned())
    );
    let record = record::load(&f.ctx.record_path()).unwrap().unwrap();
    assert_eq!(record.created_dirs, first_record.created_dirs);

    m.uninstall(false).unwrap();
    assert_eq!(snapshot(&f.root), before);
}

#[test]
fn uninstall_keeps_a_directory_that_has_filled_up_since() {
    let f = fixture(Platform::Linux);
    let m = manager(&f, FakeRunner::new());
    m.install(&f.spec, false).unwrap();
    let log = f.spec.log_dir.join("codex-routerd.2025-01-01.log");
    fs::write(&log, "a log line").unwrap();
    let report = m.uninstall(false).unwrap();
    assert!(log.exists());
    assert!(
        report.notes.iter().any(|n| n.starts_with("kept ")),
        "{:?}",
        report.notes
    );
    assert!(!f.ctx.definition_path().exists());
    assert!(!f.ctx.record_path().exists());
    assert!(!f.ctx.home.join(".config").exists());
}

#[test]
fn without_a_service_manager_install_refuses_and_says_what_to_do() {
    let f = fixture(Platform::Linux);
    let before = snapshot(&f.root);
    let runner = FakeRunner::new().answer("systemctl --user show-environment", FakeAnswer::exit(1, ""));
    let m = manager(&f, runner);
    let err = m.install(&f.spec, false).unwrap_err();
    assert!(matches!(err, ServiceError::Unavailable { .. }));
    assert!(err.to_string().contains("codexctl daemon start"), "{err}");
    assert_eq!(snapshot(&f.root), before);
    assert_eq!(m.runner().calls().len(), 1);

    let report = m.install(&f.spec, true).unwrap();
    assert!(
        report.notes[0].starts_with("a real install would fail here"),
        "{:?}",
        report.notes
    );
}

#[test]
fn a_failed_registration_reports_the_output_and_uninstall_cleans_up() {
    let f = fixture(Platform::Linux);
    let before = snapshot(&f.root);
    let answer = FakeAnswer::Exit(CommandOutput {
        code: Some(1),
        stdout: String::new(),
        stderr: "Failed to enable unit: Access denied\n".to_owned(),
    });
    let m = manager(&f, FakeRunner::new().answer("systemctl --user enable", answer));
    let err = m.install(&f.spec, false).unwrap_err().to_string();
    assert!(
        err.contains("Failed to enable unit: Access denied"),
        "the error quotes the manager's raw output: {err}"
    );
    assert!(err.contains("run `codexctl service uninstall`"), "{err}");
    manager(&f, FakeRunner::new()).uninstall(false).unwrap();
    assert_eq!(snapshot(&f.root), before);
}

#[test]
fn uninstalling_what_is_not_installed_does_nothing() {
    let f = fixture(Platform::Linux);
    let m = manager(&f, FakeRunner::new());
    let report = m.uninstall(false).unwrap();
    assert!(report.actions.is_empty());
    assert!(report.notes[0].contains("not installed"));
    assert!(m.runner().calls().is_empty());
}

#[test]
fn status_reports_definition_activity_and_linger() {
    let f = fixture(Platform::Linux);
    let runner = FakeRunner::new().answer("loginctl show-user", FakeAnswer::exit(0, "no\n"));
    let m = manager(&f, runner);
    let status = m.status();
    assert_eq!(
        (status.installed, status.active, status.linger),
        (false, false, Some(false))
    );
    assert_eq!(status.definition_path, f.ctx.definition_path());

    m.install(&f.spec, false).unwrap();
    let status = m.status();
    assert_eq!((status.installed, status.active), (true, true));
}

#[test]
fn control_goes_through_the_service_manager() {
    let f = fixture(Platform::Linux);
    let m = manager(&f, FakeRunner::new());
    assert!(matches!(m.start(), Err(ServiceError::NotInstalled)));
    m.install(&f.spec, false).unwrap();
    m.runner().clear_calls();
    m.stop().unwrap();
    m.restart().unwrap();
    assert_eq!(
        m.runner().calls(),
        [
            "systemctl --user stop codex-routerd.service",
            "systemctl --user restart codex-routerd.service"
        ]
    );
}

#[test]
fn launchd_control_depends_on_whether_the_agent_is_loaded() {
    let f = fixture(Platform::MacOs);
    let loaded = FakeRunner::new();
    let m = manager(&f, loaded);
    m.install(&f.spec, false).unwrap();
    m.runner().clear_calls();
    m.start().unwrap();
    m.stop().unwrap();
    let target = "gui/501/com.codex-router.daemon";
    let print = format!("launchctl print {target}");
    assert_eq!(
        m.runner().calls(),
        [
            print.clone(),
            format!("launchctl kickstart {target}"),
            print.clone(),
            format!("launchctl bootout {target}")
        ]
    );

    let m = manager(&f, FakeRunner::new().answer(&print, FakeAnswer::exit(113, "")));
    m.stop().unwrap();
    m.restart().unwrap();
    let calls = m.runner().calls();
    assert_eq!(calls[..2], [print.clone(), print.clone()]);
    assert!(calls[2].starts_with("launchctl bootstrap gui/501 "), "{calls:?}");
}

#[test]
fn lingering_is_a_separate_step_and_uninstall_leaves_it_on() {
    let f = fixture(Platform::Linux);
    let m = manager(&f, FakeRunner::new());
    m.install(&f.spec, false).unwrap();
    m.runner().clear_calls();
    let dry = m.enable_linger(true).unwrap();
    assert!(m.runner().calls().is_empty());
    assert!(
        matches!(&dry.actions[0], Action::Run { command, .. } if command.to_string() == "loginctl enable-linger j")
    );
    m.enable_linger(false).unwrap();
    assert!(
        m.runner()
            .calls()
            .contains(&"loginctl enable-linger j".to_owned())
    );
    assert!(
        record::load(&f.ctx.record_path())
            .unwrap()
            .unwrap()
            .linger_enabled
    );
    let report = m.uninstall(false).unwrap();
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("loginctl disable-linger j")),
        "{:?}",
        report.notes
    );

    let mac = fixture(Platform::MacOs);
    let report = manager(&mac, FakeRunner::new()).enable_linger(false).unwrap();
    assert!(report.actions.is_empty());
}

#[test]
fn definitions_are_written_in_their_encoding() {
    let f = fixture(Platform::Windows);
    let (text, encoding) = plan::definition(&f.ctx, &f.spec);
    assert_eq!(encoding, Encoding::Utf16Le);
    assert_eq!(text, crate::windows_task_xml(&f.spec));
}
