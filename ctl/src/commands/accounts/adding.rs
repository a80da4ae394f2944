//! Handing accounts that a login or an import produced to the pool, the two ways SPEC §9
//! allows: through the daemon (IPC `accounts.add`, one record at a time) when it answers, else
//! into `accounts.json` under `run/daemon.lock` + `run/accounts.lock` ([`offline::lock`]).
//!
//! Nothing reaches the pool before this point, so a login or an import that failed earlier
//! (timeout, refusal, Ctrl-C, a bad file) changed nothing. Liveness is probed here, after the
//! sign-in, because a login can take minutes and the daemon may have started or stopped since.

use codex_router_ipc::IpcError;
use codex_router_protocol::ErrorCode;
use codex_router_protocol::methods::{self, AddAccountResult};
use codex_router_store::{AccountsFile, RouterPaths, StoredAccount, save_accounts};
use serde_json::json;

use super::offline::{self, Pool};
use crate::liveness::{Daemon, Liveness, decode, probe};

/// Who took the accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Daemon,
    File,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Daemon => "daemon",
            Via::File => "accounts.json",
        }
    }

    /// The note human output ends with when the daemon was not there.
    pub fn note(self) -> &'static str {
        match self {
            Via::Daemon => "",
            Via::File => " (daemon not running: wrote accounts.json)",
        }
    }
}

/// The daemon when it answers, `None` when accounts.json is ours to write (an unresponsive
/// daemon is sorted out by [`offline::lock`], which refuses to write behind its back).
pub async fn daemon(paths: &RouterPaths) -> Option<Daemon> {
    match probe(paths).await {
        Liveness::Up(daemon) => Some(daemon),
        Liveness::Down { .. } | Liveness::Unresponsive { .. } => None,
    }
}

/// `accounts.add` with `account`. A label the daemon refuses as taken by another account is
/// dropped and the daemon derives one: the sign-in or the file is not wasted over a name, and
/// the caller says so. Returns the daemon's answer and whether the label was dropped.
pub async fn add_via_daemon(
    daemon: &mut Daemon,
    mut account: StoredAccount,
) -> anyhow::Result<(AddAccountResult, bool)> {
    match send(daemon, &account).await {
        Err(err) if account.label.is_some() && is_conflict(&err) => {
            account.label = None;
            Ok((send(daemon, &account).await?, true))
        }
        other => Ok((other?, false)),
    }
}

async fn send(daemon: &mut Daemon, account: &StoredAccount) -> anyhow::Result<AddAccountResult> {
    let record = serde_json::to_value(account)?;
    decode(
        daemon
            .call(methods::ACCOUNTS_ADD, json!({ "account": record }))
            .await?,
    )
}

fn is_conflict(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        matches!(cause.downcast_ref::<IpcError>(), Some(IpcError::Rpc(rpc)) if rpc.code == ErrorCode::Conflict)
    })
}

/// Runs `change` on `accounts.json` under the locks (no daemon runs), and saves the result when
/// `change` says it changed something. A missing or empty file is an empty pool; an unreadable
/// one is an error and stays as it is (the daemon keeps it aside at its next start).
pub fn with_locked_file<R>(
    paths: &RouterPaths,
    change: impl FnOnce(&mut AccountsFile) -> anyhow::Result<(R, bool)>,
) -> anyhow::Result<R> {
    let _locks = offline::lock(paths)?;
    let mut file = match offline::read(paths)? {
        Pool::Loaded(file) => file,
        Pool::Missing | Pool::Empty => AccountsFile::default(),
    };
    let (result, changed) = change(&mut file)?;
    if changed {
        save_accounts(&paths.accounts, &file)?;
    }
    Ok(result)
}

/// What `accounts.json` holds now, read without any lock (the daemon replaces it atomically), for
/// planning an import that the daemon will carry out. Anything unreadable counts as empty: the
/// daemon's own merge still dedupes, the report is just less precise.
pub fn snapshot(paths: &RouterPaths) -> AccountsFile {
    match offline::read(paths) {
        Ok(Pool::Loaded(file)) => file,
        _ => AccountsFile::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codex_router_ipc::RpcError;

    #[test]
    fn only_a_conflict_answer_drops_the_label() {
        let conflict = anyhow::Error::new(IpcError::Rpc(RpcError::new(ErrorCode::Conflict, "taken")))
            .context("codex-routerd could not do `accounts.add`");
        assert!(is_conflict(&conflict));
        let other = anyhow::Error::new(IpcError::Rpc(RpcError::new(ErrorCode::InvalidParams, "bad")));
        assert!(!is_conflict(&other));
        assert!(!is_conflict(&anyhow::anyhow!("conflict")));
    }

    #[test]
    fn a_missing_file_is_an_empty_pool_and_nothing_is_written_without_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let paths = RouterPaths::from_home(dir.path().join("router"));
        let n = with_locked_file(&paths, |file| Ok((file.accounts.len(), false))).unwrap();
        assert_eq!(n, 0);
        assert!(!paths.accounts.exists());
        assert_eq!(snapshot(&paths).accounts.len(), 0);
    }
}
