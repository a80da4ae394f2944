//! [`Runtime`], the daemon's shared account state behind one cheap-clone handle.
//!
//! Two locks, both `parking_lot` and never held across an `.await`: `pool` (the pure core's
//! soft state; critical sections are a few microseconds) and `doc` (the in-memory
//! `accounts.json`, the only copy of the secrets). File writes happen off the async threads,
//! serialised by `write_gate` so a later snapshot is never overwritten by an earlier one.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use codex_router_core::pool::{Pool, PoolConfig, Snapshot};
use codex_router_core::{Secret, Timestamp};
use codex_router_oauth::OAuthClient;
use codex_router_store::{AccountsFile, JsonLoad, RouterPaths, StoredAccount, load_accounts, save_accounts};
use parking_lot::Mutex;
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::error::RuntimeError;
use codex_router_store::normalize;

/// How `accounts.json` looks (the `storage` object of `status --json`): as found at start, until
/// the daemon writes the file, which makes it `ok`. A file found corrupt stays named in
/// `kept_aside` and `reason` after that, so the user still learns where it went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageInfo {
    /// `ok`, `empty`, `missing` or `corrupt`.
    pub state: &'static str,
    pub path: std::path::PathBuf,
    pub kept_aside: Option<std::path::PathBuf>,
    pub reason: Option<String>,
}

/// What a request needs to call the upstream as an account.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub access_token: Secret,
    pub chatgpt_account_id: Option<String>,
    pub expires_at: Option<Timestamp>,
}

pub struct RuntimeOptions {
    pub paths: RouterPaths,
    pub pool_config: PoolConfig,
    pub oauth: OAuthClient,
    pub clock: Arc<dyn Clock>,
}

pub(crate) struct Inner {
    pub(crate) paths: RouterPaths,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) pool: Mutex<Pool>,
    pub(crate) doc: Mutex<AccountsFile>,
    pub(crate) write_gate: Mutex<()>,
    pub(crate) refresh_gates: Mutex<HashMap<String, Arc<crate::refresh::RefreshGate>>>,
    /// Accounts whose in-flight mark was left by a refresh that got no answer while this
    /// process ran (`no_answer`), not by a crash: a later `refresh_token_reused` is labelled
    /// for what happened. Marks found at start-up are the crash's.
    pub(crate) unanswered: Mutex<HashSet<String>>,
    /// Why the last write-back to an account's linked Codex `auth.json` failed (an IO error),
    /// until one succeeds; shown by `status` and `doctor`.
    pub(crate) link_errors: Mutex<HashMap<String, String>>,
    pub(crate) oauth: Mutex<OAuthClient>,
    pub(crate) storage: Mutex<StorageInfo>,
    pub(crate) state_dirty: AtomicBool,
    /// `state.json` writes so far: what a test counts to show writes follow the clock (at most
    /// one a second), not the request rate.
    pub(crate) state_writes: AtomicU64,
    pub(crate) state_notify: Notify,
    pub(crate) changed: tokio::sync::watch::Sender<u64>,
}

/// Cheap-clone handle to the daemon's account state.
#[derive(Clone)]
pub struct Runtime {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("home", &self.inner.paths.home)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// Loads `accounts.json` and `state.json`. A corrupt accounts file is moved aside and the
    /// daemon starts with an empty pool (reported in `storage`), never overwriting it.
    pub fn open(opts: RuntimeOptions) -> Result<Runtime, RuntimeError> {
        let now = opts.clock.now();
        let paths = opts.paths;
        let (mut doc, storage) = match load_accounts(&paths.accounts)? {
            JsonLoad::Loaded(doc) => (doc, storage(&paths, "ok", None, None)),
            JsonLoad::Missing => (AccountsFile::default(), storage(&paths, "missing", None, None)),
            JsonLoad::Empty => (AccountsFile::default(), storage(&paths, "empty", None, None)),
            JsonLoad::Corrupt { kept_aside, reason } => {
                tracing::error!(
                    path = %paths.accounts.display(),
                    kept_aside = %kept_aside.display(),
                    %reason,
                    "accounts.json is unreadable; it was moved aside and the pool starts empty"
                );
                (
                    AccountsFile::default(),
                    storage(&paths, "corrupt", Some(kept_aside), Some(reason)),
                )
            }
        };
        let changed = complete_all(&mut doc.accounts, now);
        let mut pool = Pool::new(opts.pool_config);
        pool.sync_accounts(doc.accounts.iter().map(normalize::meta_of).collect());
        match codex_router_store::load_json(&paths.state)? {
            JsonLoad::Loaded(state) => pool.import_state(state, now),
            JsonLoad::Corrupt { kept_aside, reason } => tracing::warn!(
                kept_aside = %kept_aside.display(), %reason,
                "state.json is unreadable; it was moved aside and cooldowns start fresh"
            ),
            JsonLoad::Missing | JsonLoad::Empty => {}
        }
        if changed {
            save_accounts(&paths.accounts, &doc)?;
        }
        let (changed_tx, _) = tokio::sync::watch::channel(0);
        Ok(Runtime {
            inner: Arc::new(Inner {
                paths,
                clock: opts.clock,
                pool: Mutex::new(pool),
                doc: Mutex::new(doc),
                write_gate: Mutex::new(()),
                refresh_gates: Mutex::new(HashMap::new()),
                unanswered: Mutex::new(HashSet::new()),
                link_errors: Mutex::new(HashMap::new()),
                oauth: Mutex::new(opts.oauth),
                storage: Mutex::new(storage),
                state_dirty: AtomicBool::new(false),
                state_writes: AtomicU64::new(0),
                state_notify: Notify::new(),
                changed: changed_tx,
            }),
        })
    }

    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    pub fn paths(&self) -> &RouterPaths {
        &self.inner.paths
    }

    /// Runs `f` on the pool under its lock. `f` must not block: it is a few field updates.
    pub fn with_pool<R>(&self, f: impl FnOnce(&mut Pool) -> R) -> R {
        let r = f(&mut self.inner.pool.lock());
        self.mark_changed();
        r
    }

    pub fn snapshot(&self) -> Snapshot {
        let now = self.now();
        self.inner.pool.lock().snapshot(now)
    }

    /// The health of every account's link to a Codex `auth.json` (reads those files now).
    pub fn codex_links(&self) -> Vec<codex_router_store::linked::LinkHealth> {
        let linked: Vec<_> = {
            let doc = self.inner.doc.lock();
            doc.accounts
                .iter()
                .filter_map(|a| {
                    let path = a.linked_auth_json.clone()?;
                    Some((a.id.clone()?, path, normalize::identity_of(a)))
                })
                .collect()
        };
        linked
            .into_iter()
            .map(|(id, path, identity)| {
                let error = self.inner.link_errors.lock().get(&id).cloned();
                codex_router_store::linked::health(
                    &id,
                    &self.label_of(&id),
                    &path,
                    identity.as_ref(),
                    error.as_deref(),
                )
            })
            .collect()
    }

    /// How many `state.json` writes this runtime has started.
    pub fn state_writes(&self) -> u64 {
        self.inner.state_writes.load(Ordering::Acquire)
    }

    pub fn storage(&self) -> StorageInfo {
        self.inner.storage.lock().clone()
    }

    pub fn set_pool_config(&self, config: PoolConfig) {
        self.inner.pool.lock().set_config(config);
    }

    pub fn set_oauth(&self, oauth: OAuthClient) {
        *self.inner.oauth.lock() = oauth;
    }

    /// Wakes `status --watch` subscribers and the state flusher.
    pub fn mark_changed(&self) {
        self.inner.changed.send_modify(|n| *n = n.wrapping_add(1));
        self.inner.state_dirty.store(true, Ordering::Release);
        self.inner.state_notify.notify_one();
    }

    /// A receiver that changes whenever the pool does, and whenever `accounts.json` has been
    /// written (for event subscriptions, and for tests that wait for either).
    pub fn subscribe_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.changed.subscribe()
    }

    pub fn credentials(&self, id: &str) -> Option<Credentials> {
        let doc = self.inner.doc.lock();
        let a = doc.accounts.iter().find(|a| a.id.as_deref() == Some(id))?;
        Some(Credentials {
            access_token: a.tokens.access_token.clone(),
            chatgpt_account_id: a.chatgpt_account_id.clone(),
            expires_at: a.tokens.expires_at,
        })
    }

    /// A copy of the stored accounts (with secrets) for IPC listings; callers redact.
    pub fn accounts(&self) -> Vec<StoredAccount> {
        self.inner.doc.lock().accounts.clone()
    }

    /// Applies `f` to the document, completes it, resyncs the pool and writes the file.
    pub async fn update_accounts<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut AccountsFile) -> R + Send + 'static,
    ) -> Result<R, RuntimeError> {
        let r = self.edit_doc(|doc, _| Ok::<R, std::convert::Infallible>(f(doc)));
        let Ok(r) = r;
        self.persist_accounts().await?;
        self.mark_changed();
        Ok(r)
    }

    /// Applies `f` to the document under its lock (pool statuses copied in first), then completes
    /// and de-duplicates the accounts and resyncs the pool. An error from `f` changes nothing
    /// but what `f` itself changed before failing. The caller persists.
    pub(crate) fn edit_doc<R, E>(
        &self,
        f: impl FnOnce(&mut AccountsFile, Timestamp) -> Result<R, E>,
    ) -> Result<R, E> {
        let now = self.now();
        let mut doc = self.inner.doc.lock();
        self.copy_pool_statuses(&mut doc);
        let r = f(&mut doc, now)?;
        normalize::merge_duplicates(&mut doc.accounts);
        complete_all(&mut doc.accounts, now);
        let metas = doc.accounts.iter().map(normalize::meta_of).collect();
        self.inner.pool.lock().sync_accounts(metas);
        Ok(r)
    }

    /// The pool leads on account status: a request marks `not_entitled` there first and copies
    /// it into the document from a spawned task. So the pool's statuses are copied in before any
    /// edit of the document, or the resync after it would revert a change still on its way to
    /// the file.
    pub(crate) fn copy_pool_statuses(&self, doc: &mut AccountsFile) {
        let pool = self.inner.pool.lock();
        for a in &mut doc.accounts {
            let leading = a.id.as_deref().and_then(|id| pool.account(id)).map(|p| p.status);
            if let Some(status) = leading.filter(|s| *s != normalize::status_of(a)) {
                normalize::set_status(a, status);
            }
        }
    }

    /// Copies the pool's persistent status of `id` into the document and writes it.
    pub async fn persist_status(&self, id: &str) -> Result<(), RuntimeError> {
        let status = self.inner.pool.lock().account(id).map(|a| a.status);
        if let Some(status) = status {
            let mut doc = self.inner.doc.lock();
            if let Some(a) = doc.accounts.iter_mut().find(|a| a.id.as_deref() == Some(id)) {
                normalize::set_status(a, status);
            }
        }
        self.persist_accounts().await
    }

    /// Writes `accounts.json` now (atomic, fsynced). Serialised: the snapshot is taken inside
    /// the write gate, so a later state always lands last.
    pub async fn persist_accounts(&self) -> Result<(), RuntimeError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let _gate = inner.write_gate.lock();
            let doc = inner.doc.lock().clone();
            save_accounts(&inner.paths.accounts, &doc)
        })
        .await
        .map_err(|_| RuntimeError::TaskFailed)??;
        // The file now exists and holds the pool: `status` must stop saying `missing`.
        self.inner.storage.lock().state = "ok";
        // Subscribers learn that the file now says what the pool says.
        self.inner.changed.send_modify(|n| *n = n.wrapping_add(1));
        Ok(())
    }

    /// Writes `state.json` now.
    pub async fn flush_state(&self) -> Result<(), RuntimeError> {
        self.inner.state_writes.fetch_add(1, Ordering::AcqRel);
        let inner = self.inner.clone();
        self.inner.state_dirty.store(false, Ordering::Release);
        tokio::task::spawn_blocking(move || {
            let now = inner.clock.now();
            // Only a flat copy under the lock; sorting and encoding happen after it is released.
            let draft = inner.pool.lock().draft_state(now);
            codex_router_store::save_json(&inner.paths.state, &draft.into_file(), 0o600)
        })
        .await
        .map_err(|_| RuntimeError::TaskFailed)??;
        Ok(())
    }

    pub(crate) fn oauth(&self) -> OAuthClient {
        self.inner.oauth.lock().clone()
    }
}

fn storage(
    paths: &RouterPaths,
    state: &'static str,
    kept_aside: Option<std::path::PathBuf>,
    reason: Option<String>,
) -> StorageInfo {
    StorageInfo {
        state,
        path: paths.accounts.clone(),
        kept_aside,
        reason,
    }
}

/// Completes every account; returns whether anything changed.
pub(crate) fn complete_all(accounts: &mut [StoredAccount], now: Timestamp) -> bool {
    let mut changed = false;
    for i in 0..accounts.len() {
        let ids: Vec<String> = accounts[..i].iter().filter_map(|a| a.id.clone()).collect();
        let labels: Vec<String> = accounts[..i].iter().filter_map(|a| a.label.clone()).collect();
        changed |= normalize::complete(&mut accounts[i], &ids, &labels, now);
    }
    changed
}
