use std::path::PathBuf;

use super::*;

fn report() -> ImportReport {
    ImportReport {
        added: vec!["pro-1".into()],
        merged: vec![(
            "team-1".into(),
            "same account; the stored tokens are fresher and were kept".into(),
        )],
        skipped: vec![(
            "import:multi-auth entry 3".into(),
            "it has no refresh token".into(),
        )],
        linked: vec![("pro-1".into(), PathBuf::from("/h/.codex/auth.json"))],
    }
}

#[test]
fn the_report_names_every_account_by_label_with_its_reason_and_the_link() {
    let text = render(&report(), 2, Via::File);
    assert!(
        text.starts_with("added    pro-1\nmerged   team-1: same account;"),
        "{text}"
    );
    assert!(
        text.contains("skipped  import:multi-auth entry 3: it has no refresh token\n"),
        "{text}"
    );
    assert!(
        text.contains(
            "imported 2 files: 1 added, 1 merged, 1 skipped (daemon not running: wrote accounts.json)"
        ),
        "{text}"
    );
    assert!(text.contains("only refresher"), "the linked notice: {text}");
    let doc = to_json(&report(), Via::Daemon);
    assert_eq!(doc["via"], "daemon");
    assert_eq!(doc["merged"][0]["label"], "team-1");
    assert_eq!(doc["linked"][0]["path"], "/h/.codex/auth.json");
}

#[test]
fn the_daemon_has_the_last_word_on_labels_and_on_what_was_new() {
    let mut r = report();
    let done = AddAccountResult {
        id: "a1".into(),
        label: "pro-2".into(),
        created: true,
    };
    reconcile(&mut r, "pro-1", &done, true);
    assert_eq!(r.added, ["pro-2"]);
    assert_eq!(r.linked[0].0, "pro-2");
    let merged_meanwhile = AddAccountResult {
        created: false,
        ..done
    };
    reconcile(&mut r, "pro-2", &merged_meanwhile, true);
    assert!(r.added.is_empty());
    assert_eq!(r.merged.last().unwrap().0, "pro-2");
}
