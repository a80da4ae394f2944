use codex_router_store::Platform;

use super::*;
use crate::testing::systemd_parse as sd;
use crate::testing::{self, has_key_like_hex};

/// Parse the generated unit back with systemd's rules and compare with the spec: every value
/// is quoted for systemd.
fn assert_round_trip(spec: &ServiceSpec) {
    spec.validate(Platform::Linux).unwrap();
    let unit = systemd_unit(spec);
    assert!(
        !unit.lines().any(|l| l.ends_with('\\')),
        "no accidental line continuation"
    );
    let entries = sd::parse_unit(&unit);

    let (path, argv) = sd::exec_start(sd::value(&entries, "Service", "ExecStart")).unwrap();
    assert_eq!(path, text(&spec.daemon_exe));
    assert_eq!(argv, spec.daemon_argv());

    let env: Vec<(String, String)> = sd::values(&entries, "Service", "Environment")
        .into_iter()
        .flat_map(|v| sd::environment(v).unwrap())
        .collect();
    let expected_env = [
        ("CODEX_ROUTER_HOME".to_owned(), text(&spec.router_home)),
        ("CODEX_HOME".to_owned(), text(&spec.codex_home)),
    ];
    assert_eq!(env, expected_env);

    // Both streams land in logs/daemon-stderr.log, as for a detached daemon.
    let log = spec.log_file(Platform::Linux);
    assert!(log.ends_with("/daemon-stderr.log"));
    for key in ["StandardOutput", "StandardError"] {
        assert_eq!(sd::append_path(sd::value(&entries, "Service", key)).unwrap(), log);
    }

    let rw = sd::read_write_paths(sd::value(&entries, "Service", "ReadWritePaths")).unwrap();
    let mut expected_rw = vec![(true, text(&spec.router_home)), (true, text(&spec.codex_home))];
    if !spec.log_dir.starts_with(&spec.router_home) {
        expected_rw.push((true, text(&spec.log_dir)));
    }
    assert_eq!(rw, expected_rw);
    assert!(!has_key_like_hex(&unit));
}

#[test]
fn plain_paths_round_trip() {
    let spec = testing::linux_plain();
    assert_round_trip(&spec);
    let unit = systemd_unit(&spec);
    assert!(
        unit.contains("\nExecStart=\"@/usr/local/bin/codex-routerd\" \"/usr/local/bin/codex-routerd\"\n")
    );
    assert!(unit.contains("\nEnvironment=\"CODEX_HOME=/home/j/.codex\"\n"));
    assert!(
        unit.contains("\nStandardError=append:/home/j/.local/share/codex-router/logs/daemon-stderr.log\n")
    );
}

#[test]
fn hostile_paths_round_trip() {
    // Spaces, %, $, ${X}, quotes, backslashes, &, <, ;, #, non-ASCII: all quoted for systemd.
    assert_round_trip(&testing::linux_hostile());
    assert_round_trip(&testing::linux_hostile_outside_logs());
}

#[test]
fn hostile_escapes_are_the_ones_systemd_needs() {
    let unit = systemd_unit(&testing::linux_hostile());
    // The executable path is not `$`-substituted by systemd, its argv[0] is.
    assert!(unit.contains(r#"ExecStart="@/home/John Smith/100%% $HOME ${X} & <co>; #x @y ñ/bin/codex-routerd" "/home/John Smith/100%% $$HOME $${X}"#));
    assert!(unit.contains(r#"\"quoted\" 'dir' \\back\\slash/100%%%% 50%%n $HOME"#));
}

#[test]
fn the_daemon_restarts_on_abnormal_exit_only() {
    // SPEC §7 "Bound but daemon down": a crash brings the daemon back, a clean stop does not,
    // and bad settings (exit 64) are not retried forever.
    let entries = sd::parse_unit(&systemd_unit(&testing::linux_plain()));
    assert_eq!(sd::value(&entries, "Service", "Restart"), "on-failure");
    assert_eq!(sd::value(&entries, "Service", "RestartSec"), "5s");
    assert_eq!(sd::value(&entries, "Service", "RestartPreventExitStatus"), "64");
    assert_eq!(sd::value(&entries, "Install", "WantedBy"), "default.target");
}

#[test]
fn the_unit_is_hardened_for_a_user_manager() {
    let entries = sd::parse_unit(&systemd_unit(&testing::linux_plain()));
    for (key, value) in [
        ("NoNewPrivileges", "yes"),
        ("PrivateTmp", "yes"),
        ("ProtectSystem", "strict"),
        ("RestrictSUIDSGID", "yes"),
        ("LockPersonality", "yes"),
        ("RestrictNamespaces", "yes"),
        ("UMask", "0077"),
    ] {
        assert_eq!(sd::value(&entries, "Service", key), value, "{key}");
    }
    // Options a user manager cannot honour (User=, ProtectHome= hiding the homes the daemon
    // needs, device or kernel settings needing privileges) are absent.
    for key in [
        "User",
        "Group",
        "ProtectHome",
        "PrivateDevices",
        "ProtectKernelModules",
        "DynamicUser",
    ] {
        assert!(sd::values(&entries, "Service", key).is_empty(), "{key}");
    }
}

#[test]
fn systemd_cannot_run_an_executable_path_with_quotes_or_backslashes() {
    for exe in [
        "/opt/it's/codex-routerd",
        "/opt/a\"b/codex-routerd",
        "/opt/a\\b/codex-routerd",
    ] {
        let spec = ServiceSpec {
            daemon_exe: exe.into(),
            ..testing::linux_plain()
        };
        let err = spec.validate(Platform::Linux).unwrap_err();
        assert!(
            err.to_string().contains("install codex-routerd elsewhere"),
            "{err}"
        );
        // launchd has no such limit.
        spec.validate(Platform::MacOs).unwrap();
    }
}

#[test]
fn paths_no_format_can_carry_are_refused() {
    let cases = [
        ("relative/home", "is not an absolute path"),
        ("/home/j/../x", "`..`"),
        ("/home/j/new\nline", "control character"),
    ];
    for (home, problem) in cases {
        let spec = ServiceSpec {
            router_home: home.into(),
            ..testing::linux_plain()
        };
        let err = spec.validate(Platform::Linux).unwrap_err().to_string();
        assert!(err.contains(problem), "{err}");
    }
}
