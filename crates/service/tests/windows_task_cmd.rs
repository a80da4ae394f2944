//! The Windows task's command line through the real Windows (the quoting is otherwise tested
//! only against the simulator in `src/testing`). On Windows this binary re-runs itself:
//! 1. each hostile argument list through `windows_command_line` and `CreateProcess`, and reads
//!    back the argv the child's runtime parsed (the MSVC / `CommandLineToArgvW` rules);
//! 2. the task action of `windows_task_xml` through the real `cmd.exe`, with the daemon copied
//!    into a directory named like `John Smith %USERNAME% & (co)`, and reads back, from the log
//!    file the action redirects to, the daemon's path, arguments and the two homes.
//!
//! Task Scheduler's own `%NAME%` expansion of the action (before cmd's) is not reproduced: the
//! carets make no `%...%` run in our output a variable name (src/wincmd.rs), which the
//! simulator tests; a real scheduled task is left to a person (docs/decisions.md).
//!
//! `harness = false`: the child mode is this same binary, which libtest would not let run with
//! arbitrary arguments. Elsewhere than Windows it says so and exits 0 (the Windows CI job runs it).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test binary")]

/// Set in the child: print what it received as JSON and exit.
#[cfg(windows)]
const ECHO: &str = "CODEX_ROUTER_TEST_ECHO_ARGV";

#[cfg(not(windows))]
fn main() {
    println!("windows_task_cmd: Windows only, run by the Windows CI job");
}

/// One check: `Err` carries what went wrong.
#[cfg(windows)]
type Check = fn() -> Result<(), String>;

#[cfg(windows)]
fn main() -> std::process::ExitCode {
    if std::env::var_os(ECHO).is_some() {
        echo();
        return std::process::ExitCode::SUCCESS;
    }
    let checks: [(&str, Check); 2] = [
        (
            "arguments_round_trip_through_create_process",
            windows::arguments_round_trip,
        ),
        (
            "the_task_action_runs_through_the_real_cmd",
            windows::task_action_through_cmd,
        ),
    ];
    let mut failed = 0;
    for (name, check) in checks {
        match check() {
            Ok(()) => println!("test {name} ... ok"),
            Err(why) => {
                failed += 1;
                println!("test {name} ... FAILED\n{why}");
            }
        }
    }
    println!("{} passed, {failed} failed", checks.len() - failed);
    if failed == 0 {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}

#[cfg(windows)]
fn echo() {
    let doc = serde_json::json!({
        "exe": std::env::current_exe().unwrap().to_string_lossy(),
        "args": std::env::args().skip(1).collect::<Vec<_>>(),
        "router_home": std::env::var("CODEX_ROUTER_HOME").ok(),
        "codex_home": std::env::var("CODEX_HOME").ok(),
    });
    println!("{doc}");
}

#[cfg(windows)]
mod windows {
    use std::os::windows::process::CommandExt;
    use std::path::Path;
    use std::process::Command;

    use codex_router_service::wincmd::windows_command_line;
    use codex_router_service::{Platform, ServiceSpec, windows_task_xml};
    use serde_json::Value;

    use super::ECHO;

    fn run_echo(mut cmd: Command) -> Result<Value, String> {
        let out = cmd.env(ECHO, "1").output().map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!("child failed: {out:?}"));
        }
        serde_json::from_slice(&out.stdout).map_err(|e| format!("{e}: {out:?}"))
    }

    pub fn arguments_round_trip() -> Result<(), String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let cases: &[&[&str]] = &[
            &[r"C:\Users\John Smith\AppData\Local\codex-router"],
            &[r"C:\trailing\", r"two\\", r"quoted\ space\"],
            &[r#"quote"inside"#, r#"\"escaped\""#],
            &["", "empty before"],
            &["100%", "%PATH%", "a&b|c", "(x)^y", "ümlaut 日本"],
            &["tab\there", "  lead and trail  "],
        ];
        for case in cases {
            let mut argv = vec!["program".to_owned()];
            argv.extend(case.iter().map(|s| (*s).to_owned()));
            let line = windows_command_line(&argv);
            let rest = line.strip_prefix("program ").unwrap_or_default();
            let mut cmd = Command::new(&exe);
            cmd.raw_arg(rest);
            let echoed = run_echo(cmd)?;
            let got: Vec<String> = serde_json::from_value(echoed["args"].clone()).unwrap();
            if got != *case {
                return Err(format!("{case:?} -> {line:?} -> {got:?}"));
            }
        }
        Ok(())
    }

    /// The Command and Arguments of the task's XML, unescaped by a real XML parser.
    fn action(xml: &str) -> (String, String) {
        let doc = roxmltree::Document::parse(xml).unwrap();
        let text = |tag: &str| {
            doc.descendants()
                .find(|n| n.has_tag_name(tag))
                .and_then(|n| n.text())
                .unwrap_or_default()
                .to_owned()
        };
        (text("Command"), text("Arguments"))
    }

    pub fn task_action_through_cmd() -> Result<(), String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let hostile = dir.path().join("John Smith %USERNAME% & (co) ^ ü");
        let bin = hostile.join("bin");
        let router_home = hostile.join("router %PATH%");
        let logs = router_home.join("logs");
        let codex_home = hostile.join("codex & home");
        for d in [&bin, &logs, &codex_home] {
            std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
        }
        let daemon = bin.join("codex-routerd.exe");
        std::fs::copy(std::env::current_exe().unwrap(), &daemon).map_err(|e| e.to_string())?;
        let spec = ServiceSpec {
            daemon_exe: daemon.clone(),
            router_home: router_home.clone(),
            codex_home: codex_home.clone(),
            log_dir: logs.clone(),
            user: std::env::var("USERNAME").unwrap_or_default(),
        };
        spec.validate(Platform::Windows)
            .map_err(|e| format!("validate: {e}"))?;
        let (command, arguments) = action(&windows_task_xml(&spec));
        // Task Scheduler expands %SystemRoot% in the program itself.
        let system_root = std::env::var("SystemRoot").map_err(|e| e.to_string())?;
        let command = command.replace("%SystemRoot%", &system_root);
        let mut cmd = Command::new(&command);
        cmd.raw_arg(&arguments);
        let status = cmd
            .env(ECHO, "1")
            .status()
            .map_err(|e| format!("{command}: {e}"))?;
        let log = std::fs::read_to_string(logs.join("daemon-stderr.log"))
            .map_err(|e| format!("no log after {command} {arguments} ({status}): {e}"))?;
        let echoed: Value =
            serde_json::from_str(log.trim()).map_err(|e| format!("{e}: {log:?} from {arguments}"))?;
        let same_path = |value: &Value, want: &Path| value.as_str().is_some_and(|got| Path::new(got) == want);
        if !status.success()
            || !same_path(&echoed["exe"], &daemon)
            || echoed["args"] != serde_json::json!([])
            || !same_path(&echoed["router_home"], &router_home)
            || !same_path(&echoed["codex_home"], &codex_home)
        {
            return Err(format!("{status}: {arguments}\n-> {echoed}"));
        }
        Ok(())
    }
}
