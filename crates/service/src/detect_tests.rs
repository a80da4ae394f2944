use std::path::PathBuf;

use super::*;
use crate::SystemServiceManager;
use crate::fake::{FakeAnswer, FakeRunner};
use crate::manager::ServiceManager;

fn ctx(platform: Platform, uid: Option<u32>) -> ServiceContext {
    ServiceContext {
        platform,
        home: PathBuf::from("/home/j"),
        config_home: None,
        uid,
        user: "j".to_owned(),
        router_home: PathBuf::from("/home/j/.local/share/codex-router"),
    }
}

fn detect_with(ctx: ServiceContext, runner: FakeRunner) -> (Availability, Vec<String>) {
    let manager = SystemServiceManager::new(ctx, runner);
    let availability = manager.detect();
    (availability, manager.runner().calls())
}

#[test]
fn linux_with_a_user_manager_is_available() {
    let (availability, calls) = detect_with(ctx(Platform::Linux, Some(1000)), FakeRunner::new());
    assert_eq!(availability, Availability::Available(ManagerKind::SystemdUser));
    assert_eq!(calls, ["systemctl --user show-environment"]);
}

#[test]
fn linux_without_a_user_bus_says_what_to_do_instead() {
    let stderr = "Failed to connect to bus: $DBUS_SESSION_BUS_ADDRESS and $XDG_RUNTIME_DIR not defined";
    let answer = FakeAnswer::Exit(CommandOutput {
        code: Some(1),
        stdout: String::new(),
        stderr: stderr.to_owned(),
    });
    let runner = FakeRunner::new().answer("systemctl", answer);
    let (availability, _) = detect_with(ctx(Platform::Linux, Some(1000)), runner);
    let Availability::Unavailable { kind, reason, advice } = availability else {
        panic!()
    };
    assert_eq!(kind, ManagerKind::SystemdUser);
    assert!(reason.starts_with("no systemd user session"), "{reason}");
    assert!(
        reason.contains(stderr),
        "the manager's raw output is shown: {reason}"
    );
    assert!(
        advice.contains("`codexctl daemon start` at login from your shell profile"),
        "{advice}"
    );
    assert!(advice.contains("`loginctl enable-linger j`"), "{advice}");
}

#[test]
fn linux_without_systemd_at_all_is_unavailable() {
    let runner = FakeRunner::new().answer("systemctl", FakeAnswer::NotFound);
    let (availability, _) = detect_with(ctx(Platform::Linux, Some(1000)), runner);
    let Availability::Unavailable { reason, .. } = availability else {
        panic!()
    };
    assert!(reason.contains("does not run systemd"), "{reason}");
}

#[test]
fn macos_needs_the_users_gui_domain() {
    let (availability, calls) = detect_with(ctx(Platform::MacOs, Some(501)), FakeRunner::new());
    assert_eq!(availability, Availability::Available(ManagerKind::Launchd));
    assert_eq!(calls, ["launchctl print gui/501"]);

    let runner = FakeRunner::new().answer("launchctl print gui/501", FakeAnswer::exit(113, ""));
    let (availability, _) = detect_with(ctx(Platform::MacOs, Some(501)), runner);
    let Availability::Unavailable { reason, advice, .. } = availability else {
        panic!()
    };
    assert!(reason.contains("no graphical login session"), "{reason}");
    assert!(advice.contains("codexctl daemon start"), "{advice}");

    let (availability, _) = detect_with(ctx(Platform::MacOs, None), FakeRunner::new());
    assert!(!availability.is_available());
}

#[test]
fn windows_needs_schtasks() {
    let runner = FakeRunner::new().answer("schtasks", FakeAnswer::exit(1, "usage"));
    let (availability, calls) = detect_with(ctx(Platform::Windows, None), runner);
    assert_eq!(availability, Availability::Available(ManagerKind::TaskScheduler));
    assert_eq!(calls, ["schtasks '/?'"]);

    let runner = FakeRunner::new().answer("schtasks", FakeAnswer::NotFound);
    let (availability, _) = detect_with(ctx(Platform::Windows, None), runner);
    let Availability::Unavailable { advice, .. } = availability else {
        panic!()
    };
    assert!(advice.contains("codexctl daemon start"), "{advice}");
}
