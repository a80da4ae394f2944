//! `accounts.json` parses, and no account is unusable without the user knowing: one needing a
//! new login, or switched off by ChatGPT, fails the check with what to run. Accounts the user
//! disabled are fine, unless that leaves none. From the daemon's snapshot when it runs (it
//! knows cooldowns and refresh failures), else from the file, read-only.

use codex_router_protocol::status::StatusDoc;
use codex_router_store::{ACCOUNTS_VERSION, AccountsFile, RouterPaths, StoredStatus};

use crate::report::Check;

/// One account as the check sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub label: String,
    pub state: String,
    pub reason: Option<String>,
}

const LOGIN: &str = "add one with `codexctl accounts login` (or `codexctl accounts import`)";

/// `snapshot` is the daemon's `status` document when it answered.
pub fn checks(paths: &RouterPaths, snapshot: Option<&StatusDoc>) -> Vec<Check> {
    let path = &paths.accounts;
    let rows = match snapshot {
        Some(snapshot) => from_snapshot(snapshot),
        None => from_file(path),
    };
    let rows = match rows {
        Ok(rows) => rows,
        Err(check) => return vec![check],
    };
    let file = if path.exists() {
        format!("{} is readable", path.display())
    } else {
        format!("no {} yet (an empty pool)", path.display())
    };
    let mut out = vec![Check::ok("accounts_file", file)];
    out.extend(health(&rows));
    out.extend(link_checks(paths, snapshot));
    out
}

/// A linked Codex `auth.json` the router leaves alone is a warning with its fix (SPEC §6:
/// "`status`/`doctor` say so"). From the daemon's snapshot when it runs, else judged here on the
/// files, read-only.
fn link_checks(paths: &RouterPaths, snapshot: Option<&StatusDoc>) -> Vec<Check> {
    let links: Vec<(String, String, String)> = match snapshot {
        Some(snapshot) => {
            let or_unknown = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".to_owned());
            snapshot
                .link_problems()
                .map(|l| (l.state.clone(), or_unknown(&l.message), or_unknown(&l.fix)))
                .collect()
        }
        None => links_from_file(&paths.accounts),
    };
    links
        .into_iter()
        .map(|(state, message, fix)| Check::warn("codex_auth_link", format!("{message} ({state})"), fix))
        .collect()
}

fn links_from_file(path: &std::path::Path) -> Vec<(String, String, String)> {
    let Some(file) = std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<AccountsFile>(&b).ok())
    else {
        return Vec::new();
    };
    file.accounts
        .iter()
        .enumerate()
        .filter_map(|(i, a)| {
            let linked = a.linked_auth_json.as_ref()?;
            let label = a.label.clone().unwrap_or_else(|| format!("#{}", i + 1));
            let identity = codex_router_store::normalize::identity_of(a);
            let h = codex_router_store::linked::health("", &label, linked, identity.as_ref(), None);
            (h.state != "ok").then(|| {
                (
                    h.state.to_owned(),
                    h.message.unwrap_or_default(),
                    h.fix.unwrap_or_default(),
                )
            })
        })
        .collect()
}

fn from_snapshot(snapshot: &StatusDoc) -> Result<Vec<Row>, Check> {
    let storage = &snapshot.storage;
    if storage.state == "corrupt" {
        return Err(Check::fail(
            "accounts_file",
            format!(
                "accounts.json was unreadable ({}) and was kept aside as {}; the pool started empty",
                storage.reason.as_deref().unwrap_or("?"),
                storage.kept_aside.as_deref().unwrap_or("?")
            ),
            format!("repair the kept-aside file and restore it while the daemon is stopped, or {LOGIN}"),
        ));
    }
    Ok(snapshot
        .accounts
        .iter()
        .map(|a| Row {
            label: a.label.clone(),
            state: a.state.clone(),
            reason: a.state_reason.clone(),
        })
        .collect())
}

fn from_file(path: &std::path::Path) -> Result<Vec<Row>, Check> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(Check::fail(
                "accounts_file",
                format!("cannot read {}: {e}", path.display()),
                "check that it belongs to you",
            ));
        }
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let corrupt = |why: String| {
        Check::fail(
            "accounts_file",
            format!("{} is corrupt ({why})", path.display()),
            "restore it from a backup, or start the daemon (it keeps the file aside and starts empty) and log in \
             again",
        )
    };
    let file: AccountsFile = serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
    if file.version != ACCOUNTS_VERSION {
        return Err(corrupt(format!(
            "version {}, this build reads {ACCOUNTS_VERSION}",
            file.version
        )));
    }
    Ok(file
        .accounts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let (state, reason) = match (a.enabled, a.status) {
                (false, _) => ("disabled", Some("user")),
                (true, StoredStatus::Ok) => ("ready", None),
                (true, StoredStatus::NeedsLogin) => ("needs_login", a.status_reason.as_deref()),
                (true, StoredStatus::DisabledByUpstream) => ("disabled", Some("disabled_by_upstream")),
                (true, StoredStatus::NotEntitled) => ("disabled", Some("not_entitled")),
            };
            Row {
                label: a.label.clone().unwrap_or_else(|| format!("#{}", i + 1)),
                state: state.to_owned(),
                reason: reason.map(str::to_owned),
            }
        })
        .collect())
}

/// The health verdicts for `rows`.
pub fn health(rows: &[Row]) -> Vec<Check> {
    if rows.is_empty() {
        return vec![Check::fail(
            "accounts",
            "the pool has no account: the router has nothing to serve with",
            LOGIN,
        )];
    }
    let mut out = Vec::new();
    for r in rows {
        let reason = r.reason.as_deref().unwrap_or("");
        match (r.state.as_str(), reason) {
            ("needs_login", _) => out.push(Check::fail(
                "accounts",
                format!("account {} needs a new login ({reason})", r.label),
                "log it in again with `codexctl accounts login`",
            )),
            ("disabled", "disabled_by_upstream" | "not_entitled") => out.push(Check::fail(
                "accounts",
                format!("ChatGPT switched account {} off ({reason})", r.label),
                format!(
                    "`codexctl accounts remove {}`, or `codexctl accounts enable {}` to try it again",
                    r.label, r.label
                ),
            )),
            _ => {}
        }
    }
    let usable = rows
        .iter()
        .filter(|r| r.state != "disabled" && r.state != "needs_login")
        .count();
    if usable == 0 && out.is_empty() {
        out.push(Check::fail(
            "accounts",
            "every account is disabled",
            "`codexctl accounts enable <account>`",
        ));
    }
    if out.is_empty() {
        let by_user = rows.iter().filter(|r| r.state == "disabled").count();
        let mut detail = format!("{usable} of {} account(s) usable", rows.len());
        if by_user > 0 {
            detail.push_str(&format!(" ({by_user} disabled by you)"));
        }
        out.push(Check::ok("accounts", detail));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    fn row(label: &str, state: &str, reason: Option<&str>) -> Row {
        Row {
            label: label.to_owned(),
            state: state.to_owned(),
            reason: reason.map(str::to_owned),
        }
    }

    #[test]
    fn unusable_accounts_fail_with_what_to_run() {
        let h = health(&[]);
        assert_eq!(h[0].status, Status::Fail);
        let h = health(&[row("a", "ready", None), row("b", "disabled", Some("user"))]);
        assert_eq!(
            h,
            vec![Check::ok(
                "accounts",
                "1 of 2 account(s) usable (1 disabled by you)"
            )]
        );
        let h = health(&[
            row("a", "rate_limited", Some("usage_limit")),
            row("b", "needs_login", Some("refresh_failed")),
            row("c", "disabled", Some("not_entitled")),
        ]);
        assert_eq!(h.len(), 2, "{h:?}");
        assert!(
            h[0].detail.contains("b needs a new login") && h[0].fix.as_deref().unwrap().contains("login")
        );
        assert!(h[1].detail.contains("switched account c off"));
        let h = health(&[row("a", "disabled", Some("user"))]);
        assert!(
            h[0].status == Status::Fail && h[0].detail.contains("every account"),
            "{h:?}"
        );
    }

    // A linked auth.json the router left alone is reported with its fix: with the daemon down,
    // doctor judges the linked files itself.
    #[test]
    fn a_linked_auth_json_that_is_gone_is_a_warning_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.json");
        let gone = dir.path().join("codex").join("auth.json");
        let doc = serde_json::json!({"version": 1, "accounts": [
            {"label": "a", "tokens": {"access_token": "x", "refresh_token": "y"}, "linked_auth_json": gone},
            {"label": "b", "tokens": {"access_token": "x2", "refresh_token": "y2"}}
        ]});
        std::fs::write(&path, doc.to_string()).unwrap();
        let links = links_from_file(&path);
        assert_eq!(links.len(), 1, "{links:?}");
        assert_eq!(links[0].0, "unreadable");
        assert!(links[0].1.contains("linked to a"), "{links:?}");
        assert!(links[0].2.contains("codex login"), "{links:?}");
    }

    #[test]
    fn a_corrupt_file_fails_and_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("accounts.json");
        assert_eq!(from_file(&path).unwrap(), vec![]);
        std::fs::write(&path, "{not json").unwrap();
        let err = from_file(&path).unwrap_err();
        assert_eq!(err.status, Status::Fail);
        assert!(err.detail.contains("corrupt"), "{err:?}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"{not json",
            "never moved or rewritten"
        );
    }
}
