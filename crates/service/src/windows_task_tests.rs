use std::collections::HashMap;

use codex_router_store::Platform;

use super::*;
use crate::testing::{self, cmd_sim, has_key_like_hex, percent_names};

/// The text of the first element named `name` (namespaces ignored).
fn element<'a>(doc: &'a roxmltree::Document<'_>, name: &str) -> &'a str {
    doc.descendants()
        .find(|n| n.tag_name().name() == name)
        .unwrap_or_else(|| panic!("no <{name}>"))
        .text()
        .unwrap_or_default()
}

/// An environment that would change any `%NAME%` the generator left exposed: every text
/// between two `%` in the spec's values is defined, plus the usual variables.
fn hostile_env(spec: &ServiceSpec) -> HashMap<String, String> {
    let mut env: HashMap<String, String> = [
        ("SystemRoot", r"C:\Windows"),
        ("USERNAME", "EXPANDED"),
        ("PATH", "EXPANDED"),
        ("TEMP", "EXPANDED"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let values = [
        &spec.daemon_exe,
        &spec.router_home,
        &spec.codex_home,
        &spec.log_dir,
    ];
    for value in values.map(|p| text(p)) {
        for name in percent_names(&value) {
            env.insert(name.to_owned(), "EXPANDED".to_owned());
        }
    }
    env
}

/// Parse the XML, expand it as Task Scheduler does, run it through cmd as cmd does, and split
/// the daemon's command line with the Windows argument rules.
fn assert_round_trip(spec: &ServiceSpec) {
    spec.validate(Platform::Windows).unwrap();
    let xml = windows_task_xml(spec);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let env = hostile_env(spec);

    let command = cmd_sim::expand(element(&doc, "Command"), &env);
    assert_eq!(command, r"C:\Windows\System32\cmd.exe");
    let arguments = cmd_sim::expand(element(&doc, "Arguments"), &env);
    let run = cmd_sim::run(&arguments, &env);

    let sets = [
        ("CODEX_ROUTER_HOME".to_owned(), text(&spec.router_home)),
        ("CODEX_HOME".to_owned(), text(&spec.codex_home)),
    ];
    assert_eq!(run.sets, sets);
    assert_eq!(run.program, text(&spec.daemon_exe));
    assert_eq!(run.argv, spec.daemon_argv());
    // stdout appended to logs\daemon-stderr.log, stderr with it, as for a detached daemon.
    assert_eq!(run.append_stdout, spec.log_file(Platform::Windows));
    assert!(run.append_stdout.ends_with(r"logs\daemon-stderr.log"));
    assert!(run.stderr_to_stdout);

    assert_eq!(element(&doc, "UserId"), spec.user);
    assert!(!has_key_like_hex(&xml));
}

#[test]
fn plain_paths_round_trip() {
    let spec = testing::windows_plain();
    assert_round_trip(&spec);
    let (command, arguments) = windows_action(&spec);
    assert_eq!(command, r"%SystemRoot%\System32\cmd.exe");
    assert_eq!(
        arguments,
        r#"/d /v:off /s /c "set CODEX_ROUTER_HOME=C:\Users\John Smith\AppData\Local\codex-router&set CODEX_HOME=C:\Users\John Smith\.codex&"C:\Users\John Smith\AppData\Local\Programs\codex router (x86)\codex-routerd.exe" 1>>"C:\Users\John Smith\AppData\Local\codex-router\logs\daemon-stderr.log" 2>&1""#
    );
}

#[test]
fn hostile_paths_round_trip() {
    // `C:\Users\John Smith`, `%`, `%USERNAME%`, `&`, `^`, `!`, `( )`, `< > |`, `'`, a trailing
    // backslash, UNC, non-ASCII.
    assert_round_trip(&testing::windows_hostile());
}

#[test]
fn percent_signs_never_reach_an_expander_in_a_usable_form() {
    let (_, arguments) = windows_action(&testing::windows_hostile());
    // Every `%` is escaped with a caret, so each text between two `%` ends with `^`.
    let parts: Vec<&str> = arguments.split('%').collect();
    for part in &parts[..parts.len() - 1] {
        assert!(part.ends_with('^'), "{part:?}");
    }
}

#[test]
fn the_task_starts_at_logon_and_restarts_on_failure() {
    let spec = testing::windows_plain();
    let xml = windows_task_xml(&spec);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let logon = doc
        .descendants()
        .find(|n| n.tag_name().name() == "LogonTrigger")
        .unwrap();
    let user = logon
        .children()
        .find(|n| n.tag_name().name() == "UserId")
        .unwrap();
    assert_eq!(user.text(), Some(r"CORP\John Smith"));
    // SPEC §7 "Bound but daemon down": the task's restart-on-failure.
    let restart = doc
        .descendants()
        .find(|n| n.tag_name().name() == "RestartOnFailure")
        .unwrap();
    let child = |name: &str| {
        restart
            .children()
            .find(|n| n.tag_name().name() == name)
            .unwrap()
            .text()
    };
    assert_eq!((child("Interval"), child("Count")), (Some("PT1M"), Some("255")));
    assert_eq!(
        element(&doc, "ExecutionTimeLimit"),
        "PT0S",
        "a daemon has no time limit"
    );
    assert_eq!(
        element(&doc, "LogonType"),
        "InteractiveToken",
        "no stored password"
    );
    assert_eq!(element(&doc, "RunLevel"), "LeastPrivilege");
    assert_eq!(element(&doc, "MultipleInstancesPolicy"), "IgnoreNew");
}

#[test]
fn the_file_is_utf16_with_a_byte_order_mark() {
    let xml = windows_task_xml(&testing::windows_hostile());
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-16\"?>"));
    let bytes = utf16le_with_bom(&xml);
    assert_eq!(&bytes[..2], &[0xFF, 0xFE]);
    let units: Vec<u16> = bytes[2..]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    assert_eq!(String::from_utf16(&units).unwrap(), xml);
}

#[test]
fn a_double_quote_in_a_windows_path_is_refused() {
    let spec = ServiceSpec {
        codex_home: r#"C:\a"b"#.into(),
        ..testing::windows_plain()
    };
    assert!(
        spec.validate(Platform::Windows)
            .unwrap_err()
            .to_string()
            .contains("double quote")
    );
}
