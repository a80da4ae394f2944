//! `accounts.json` without the daemon (SPEC §9).
//!
//! Reading is strictly read-only: an unreadable file is reported, never moved aside (that is the
//! daemon's job at start, under its locks). Writing happens only under `run/daemon.lock` (so no
//! daemon can start in between) and `run/accounts.lock` (the writer lock), taken in the daemon's
//! order, for exactly one change, written atomically by the store crate.

use std::time::Duration;

use anyhow::Context;
use codex_router_core::label::is_valid_label;
use codex_router_store::{
    ACCOUNTS_VERSION, AccountsFile, FileLock, RouterPaths, StoredAccount, StoredStatus, lock_with_timeout,
    save_accounts, try_lock,
};

/// How long to wait for another `codexctl` that is writing the file.
const ACCOUNTS_LOCK_WAIT: Duration = Duration::from_secs(5);

/// What the file held.
#[derive(Debug)]
pub enum Pool {
    Missing,
    Empty,
    Loaded(AccountsFile),
}

pub fn read(paths: &RouterPaths) -> anyhow::Result<Pool> {
    let bytes = match std::fs::read(&paths.accounts) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Pool::Missing),
        Err(err) => return Err(err).with_context(|| format!("reading {}", paths.accounts.display())),
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Pool::Empty);
    }
    let file: AccountsFile = serde_json::from_slice(&bytes).map_err(|err| {
        anyhow::anyhow!(
            "{} is unreadable ({err}); the daemon keeps it aside and starts empty at its next start",
            paths.accounts.display()
        )
    })?;
    if file.version != ACCOUNTS_VERSION {
        anyhow::bail!(
            "{} has version {} but this codexctl reads version {ACCOUNTS_VERSION}",
            paths.accounts.display(),
            file.version
        );
    }
    Ok(Pool::Loaded(file))
}

/// One change to one account.
#[derive(Debug, Clone)]
pub enum Edit {
    Remove,
    Enable,
    Disable,
    Label(String),
}

/// Applies `edit` to the account `reference` names; returns its (id, label) after the edit.
pub fn apply(paths: &RouterPaths, reference: &str, edit: &Edit) -> anyhow::Result<(String, String)> {
    if let Edit::Label(label) = edit
        && !is_valid_label(label)
    {
        anyhow::bail!("invalid label {label:?}: use 1-64 of A-Z a-z 0-9 . _ -");
    }
    let _locks = lock(paths)?;
    let mut file = match read(paths)? {
        Pool::Loaded(file) => file,
        Pool::Missing | Pool::Empty => anyhow::bail!("no accounts yet, so nothing matches {reference:?}"),
    };
    let idx = resolve(&file.accounts, reference)?;
    let result = change(&mut file, idx, edit)?;
    save_accounts(&paths.accounts, &file)?;
    Ok(result)
}

/// `run/daemon.lock` and `run/accounts.lock`, held for one change of `accounts.json` while no
/// daemon runs; released on drop, the writer lock first (fields drop in declaration order).
#[derive(Debug)]
pub struct Locks {
    _accounts: FileLock,
    _daemon: FileLock,
}

/// Takes both locks in the daemon's order, or explains who holds them.
pub fn lock(paths: &RouterPaths) -> anyhow::Result<Locks> {
    paths.ensure_dirs().context("creating the router home")?;
    let mut daemon_lock = try_lock(&paths.daemon_lock)?.with_context(|| {
        let holder = codex_router_store::read_lock_pid(&paths.daemon_lock)
            .map_or_else(String::new, |pid| format!(" (pid {pid})"));
        format!(
            "a codex-routerd{holder} holds run/daemon.lock but does not answer (starting, or hung): not \
             editing accounts.json behind its back; retry in a moment, or `codexctl daemon stop` it"
        )
    })?;
    // Our pid, so a daemon that tries to start meanwhile names the real holder.
    daemon_lock.write_pid()?;
    let accounts_lock = lock_with_timeout(&paths.accounts_lock, ACCOUNTS_LOCK_WAIT)?
        .context("another codexctl is writing accounts.json; retry in a moment")?;
    Ok(Locks {
        _accounts: accounts_lock,
        _daemon: daemon_lock,
    })
}

fn change(file: &mut AccountsFile, idx: usize, edit: &Edit) -> anyhow::Result<(String, String)> {
    if let Edit::Label(label) = edit
        && file
            .accounts
            .iter()
            .enumerate()
            .any(|(i, a)| i != idx && a.label.as_deref() == Some(label))
    {
        anyhow::bail!("the label {label:?} is already used by another account");
    }
    let account = &mut file.accounts[idx];
    match edit {
        Edit::Remove => {}
        Edit::Disable => account.enabled = false,
        Edit::Enable => {
            account.enabled = true;
            // Re-enabling is the user overruling the upstream's verdict (SPEC §4.2).
            if matches!(
                account.status,
                StoredStatus::DisabledByUpstream | StoredStatus::NotEntitled
            ) {
                account.status = StoredStatus::Ok;
                account.status_reason = None;
            }
        }
        Edit::Label(label) => account.label = Some(label.clone()),
    }
    let result = (
        account.id.clone().unwrap_or_else(|| "-".to_owned()),
        account.label.clone().unwrap_or_else(|| "-".to_owned()),
    );
    if matches!(edit, Edit::Remove) {
        file.accounts.remove(idx);
    }
    Ok(result)
}

/// An id, a label, or a 1-based index, in that order (SPEC §5), like the daemon resolves.
pub fn resolve(accounts: &[StoredAccount], reference: &str) -> anyhow::Result<usize> {
    let by_id = accounts.iter().position(|a| a.id.as_deref() == Some(reference));
    let by_label = || {
        accounts
            .iter()
            .position(|a| a.label.as_deref() == Some(reference))
    };
    let by_index = || {
        reference
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=accounts.len()).contains(n))
            .map(|n| n - 1)
    };
    by_id
        .or_else(by_label)
        .or_else(by_index)
        .with_context(|| format!("no account matches {reference:?} (give an id, a label or a 1-based index)"))
}

#[cfg(test)]
#[path = "offline_tests.rs"]
mod tests;
