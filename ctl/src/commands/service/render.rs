//! The steps of a service report, for people and for `--json`. A dry run shows each file in
//! full: what would be installed is exactly what is shown (it never holds the client key).

use codex_router_service::{Action, Check, Platform, ServiceReport};
use serde_json::{Value, json};

/// One line per step, files' contents indented under a dry run's write steps, then the notes.
pub fn text(report: &ServiceReport) -> String {
    let platform = Platform::current();
    let mut out = String::new();
    for action in &report.actions {
        out.push_str(&format!("  - {}\n", action.describe(platform)));
        if let (true, Action::WriteFile { contents, .. }) = (report.dry_run, action) {
            for line in contents.lines() {
                out.push_str(&format!("      | {line}\n"));
            }
        }
    }
    for note in &report.notes {
        out.push_str(&format!("  note: {note}\n"));
    }
    out
}

pub fn json(report: &ServiceReport) -> Value {
    let platform = Platform::current();
    let actions: Vec<Value> = report
        .actions
        .iter()
        .map(|a| {
            let mut v = match a {
                Action::CreateDir { path, mode } => {
                    json!({"action": "create_dir", "path": path, "mode": format!("{mode:04o}")})
                }
                Action::WriteFile {
                    path, contents, mode, ..
                } => json!({"action": "write_file", "path": path, "mode": format!("{mode:04o}"),
                            "contents": contents}),
                Action::RemoveFile { path } => json!({"action": "remove_file", "path": path}),
                Action::RemoveDirIfEmpty { path } => json!({"action": "remove_dir_if_empty", "path": path}),
                Action::Run { command, check } => json!({
                    "action": "run", "program": command.program, "args": command.args,
                    "may_fail": *check == Check::MayFail,
                }),
            };
            v["description"] = json!(a.describe(platform));
            v
        })
        .collect();
    json!({"dry_run": report.dry_run, "actions": actions, "notes": report.notes})
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use codex_router_service::{CommandSpec, Encoding};

    use super::*;

    fn report(dry_run: bool) -> ServiceReport {
        ServiceReport {
            dry_run,
            actions: vec![
                Action::CreateDir {
                    path: PathBuf::from("/h/.config/systemd/user"),
                    mode: 0o700,
                },
                Action::WriteFile {
                    path: PathBuf::from("/h/.config/systemd/user/codex-routerd.service"),
                    contents: "[Unit]\nDescription=x\n".to_owned(),
                    encoding: Encoding::Utf8,
                    mode: 0o644,
                },
                Action::Run {
                    command: CommandSpec::new("systemctl", &["--user", "daemon-reload"]),
                    check: Check::MustSucceed,
                },
            ],
            notes: vec!["a note".to_owned()],
        }
    }

    #[test]
    fn a_dry_run_shows_every_step_and_the_file_contents() {
        let t = text(&report(true));
        assert!(t.contains("create directory /h/.config/systemd/user"), "{t}");
        assert!(t.contains("      | [Unit]"), "{t}");
        assert!(t.contains("run systemctl --user daemon-reload"), "{t}");
        assert!(t.contains("note: a note"), "{t}");
        assert!(
            !text(&report(false)).contains("| [Unit]"),
            "a real run lists steps only"
        );
        let v = json(&report(true));
        assert_eq!(v["actions"][0]["mode"], "0700");
        assert_eq!(v["actions"][1]["contents"], "[Unit]\nDescription=x\n");
        assert_eq!(v["actions"][2]["args"], json!(["--user", "daemon-reload"]));
        assert_eq!(v["dry_run"], true);
    }
}
