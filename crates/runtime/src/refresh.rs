//! Token refresh with the guarantees of SPEC §6.
//!
//! Refresh tokens are single use, and presenting one twice can cost the user the login. So:
//! - one refresh per account at a time (a per-account async gate; callers that waited behind
//!   it see the token already changed and return without a second call);
//! - before a refresh token is presented, `refresh_in_flight_since` is durably written, so
//!   after a crash the daemon knows the token may be spent;
//! - the new tokens are durably written before anyone uses them, with no other work between
//!   the issuer's answer and the fsync;
//! - for an account linked to a Codex `auth.json`, that file is re-read first: if Codex
//!   refreshed meanwhile, its tokens are adopted instead of presenting a spent one.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use codex_router_core::Secret;
use codex_router_core::account::{AccountStatus, NeedsLoginReason};
use codex_router_oauth::RefreshError;

use crate::runtime::Runtime;
use codex_router_store::{linked, normalize};

/// Why a refresh did not produce a usable token.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RefreshFailure {
    #[error("the account needs a new login")]
    Permanent,
    #[error("token refresh failed for now: {0}")]
    Transient(String),
    #[error("unknown account")]
    UnknownAccount,
}

impl RefreshFailure {
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Permanent)
    }
}

/// One account's refresh slot: the lock makes refreshes single flight; `attempts` lets a caller
/// that waited see that a presentation happened meanwhile, and `last` what it gave.
#[derive(Default)]
pub(crate) struct RefreshGate {
    attempts: AtomicU64,
    last: tokio::sync::Mutex<Option<RefreshFailure>>,
}

impl Runtime {
    fn refresh_gate(&self, id: &str) -> Arc<RefreshGate> {
        self.inner
            .refresh_gates
            .lock()
            .entry(id.to_owned())
            .or_default()
            .clone()
    }

    /// Refreshes `id` unless its access token already differs from `observed` (someone else
    /// refreshed while we waited). `observed = None` forces a refresh.
    pub async fn refresh(&self, id: &str, observed: Option<&Secret>) -> Result<(), RefreshFailure> {
        let gate = self.refresh_gate(id);
        let seen = gate.attempts.load(Ordering::Acquire);
        // Held across the issuer call on purpose: this is the single-flight guarantee.
        let mut last = gate.last.lock().await;
        // Someone presented the token while we waited: share their result instead of presenting
        // again (after a network error the token may be spent; presenting it twice could cost
        // the login).
        if gate.attempts.load(Ordering::Acquire) != seen {
            return match &*last {
                Some(failure) => Err(failure.clone()),
                None => Ok(()),
            };
        }
        // A refresh token the issuer refused for good is never presented again: only a new
        // login (new tokens, status reset) makes the account refreshable.
        let needs_login = self.with_pool_read(|p| {
            p.account(id)
                .is_some_and(|a| matches!(a.status, codex_router_core::account::AccountStatus::NeedsLogin(_)))
        });
        if needs_login {
            return Err(RefreshFailure::Permanent);
        }
        let (refresh_token, crash_suspect, linked_path) = {
            let doc = self.inner.doc.lock();
            let a = doc
                .accounts
                .iter()
                .find(|a| a.id.as_deref() == Some(id))
                .ok_or(RefreshFailure::UnknownAccount)?;
            if observed.is_some_and(|o| o != &a.tokens.access_token) {
                return Ok(());
            }
            (
                a.tokens.refresh_token.clone(),
                a.refresh_in_flight_since.is_some(),
                a.linked_auth_json.clone(),
            )
        };
        if let Some(path) = linked_path
            && self.adopt_linked(id, &path, &refresh_token).await
        {
            *last = None;
            gate.attempts.fetch_add(1, Ordering::AcqRel);
            return Ok(());
        }
        self.with_pool(|p| p.set_refreshing(id, true));
        let result = self.present(id, &refresh_token, crash_suspect).await;
        *last = result.clone().err();
        gate.attempts.fetch_add(1, Ordering::AcqRel);
        self.with_pool(|p| {
            p.set_refreshing(id, false);
            p.note_refresh(result.is_ok());
        });
        result
    }

    async fn present(
        &self,
        id: &str,
        refresh_token: &Secret,
        crash_suspect: bool,
    ) -> Result<(), RefreshFailure> {
        let now = self.now();
        // The one re-presentation a crash allows (SPEC §6): a second crash before its answer is
        // saved must not lead to a third presentation, so the outcome it would end in is on
        // disk first and undone only by an answer that proves otherwise.
        let before = crash_suspect.then(|| self.mark_presumed_spent(id));
        self.edit_account(id, |a| a.refresh_in_flight_since = Some(now));
        self.persist_accounts()
            .await
            .map_err(|e| RefreshFailure::Transient(e.to_string()))?;
        let answer = self.oauth().refresh(refresh_token).await;
        match answer {
            Ok(set) => {
                let now = self.now();
                if let Some(prev) = before {
                    self.set_status_everywhere(id, prev);
                }
                self.edit_account(id, |a| {
                    a.tokens.access_token = set.access_token.clone();
                    if let Some(rt) = &set.refresh_token {
                        a.tokens.refresh_token = rt.clone();
                    }
                    if let Some(idt) = &set.id_token {
                        a.tokens.id_token = Some(idt.clone());
                    }
                    a.tokens.expires_at = set
                        .expires_in
                        .map(|s| now.plus(std::time::Duration::from_secs(s)));
                    a.refresh_in_flight_since = None;
                    a.last_refresh = Some(now);
                    let _ = normalize::complete(a, &[], &[], now);
                });
                self.inner.unanswered.lock().remove(id);
                self.persist_accounts()
                    .await
                    .map_err(|e| RefreshFailure::Transient(e.to_string()))?;
                self.resync_account(id).await;
                self.write_back_linked(id).await;
                tracing::info!(account = %self.label_of(id), "token refreshed");
                Ok(())
            }
            Err(err) => {
                // Not spent by this attempt: a refusal to connect sent nothing, and an issuer that
                // answered (a 5xx) did not consume it. Only then does the earlier status return.
                let not_spent_now = matches!(
                    &err,
                    RefreshError::ConnectFailed { .. } | RefreshError::Transient { status: Some(_), .. }
                );
                if let Some(prev) = before
                    && not_spent_now
                {
                    self.set_status_everywhere(id, prev);
                    let _ = self.persist_accounts().await;
                }
                self.refresh_failed(id, &err, crash_suspect).await
            }
        }
    }

    /// Records `needs_login` (`refresh_interrupted_by_crash`) for an account whose token is
    /// about to be re-presented after a crash; returns the status it had.
    fn mark_presumed_spent(&self, id: &str) -> AccountStatus {
        let prev = self
            .with_pool_read(|p| p.account(id).map(|a| a.status))
            .unwrap_or(AccountStatus::Ok);
        self.set_status_everywhere(
            id,
            AccountStatus::NeedsLogin(NeedsLoginReason::RefreshInterruptedByCrash),
        );
        prev
    }

    /// The pool's status and the document's, together (the next `accounts.json` write saves it).
    fn set_status_everywhere(&self, id: &str, status: AccountStatus) {
        self.with_pool(|p| {
            if let Some(a) = p.account_mut(id) {
                a.status = status;
            }
        });
        self.edit_account(id, |a| normalize::set_status(a, status));
    }

    async fn refresh_failed(
        &self,
        id: &str,
        err: &RefreshError,
        crash_suspect: bool,
    ) -> Result<(), RefreshFailure> {
        let label = self.label_of(id);
        match err {
            RefreshError::Permanent { code, .. } => {
                // A reused token behind an in-flight mark went through on an earlier attempt
                // whose answer was lost: by a crash, or by the network while we ran.
                let unanswered = self.inner.unanswered.lock().remove(id);
                let reason = match (crash_suspect && err.is_reused(), unanswered) {
                    (true, false) => NeedsLoginReason::RefreshInterruptedByCrash,
                    (true, true) | (false, _) => NeedsLoginReason::RefreshFailed,
                };
                let cause = if crash_suspect && err.is_reused() && unanswered {
                    "an earlier refresh whose answer never arrived had spent the token"
                } else {
                    "the issuer refused the token"
                };
                tracing::warn!(account = %label, %code, reason = reason.as_str(), cause, "refresh refused for good; the account needs `codexctl accounts login`");
                self.edit_account(id, |a| a.refresh_in_flight_since = None);
                self.with_pool(|p| p.mark_needs_login(id, reason));
                let _ = self.persist_status(id).await;
                Err(RefreshFailure::Permanent)
            }
            RefreshError::ConnectFailed { message } => {
                // `connect_failed`: the token never left this process, so it is not spent and
                // the mark goes (unless a crash left it: that earlier attempt may still have
                // spent it).
                if !crash_suspect {
                    self.edit_account(id, |a| a.refresh_in_flight_since = None);
                    let _ = self.persist_accounts().await;
                }
                tracing::warn!(account = %label, cause = "connect_failed", %message, "token refresh could not reach the issuer; will retry");
                Err(RefreshFailure::Transient(message.clone()))
            }
            RefreshError::Transient { status, message } => {
                // An answer from the issuer means the token was not consumed; no answer at all
                // (`no_answer`) leaves the in-flight mark so a later reuse is recognised.
                if status.is_some() {
                    self.edit_account(id, |a| a.refresh_in_flight_since = None);
                    let _ = self.persist_accounts().await;
                    self.inner.unanswered.lock().remove(id);
                } else if !crash_suspect {
                    // A mark a crash left stays the crash's: that attempt may have spent it.
                    self.inner.unanswered.lock().insert(id.to_owned());
                }
                let cause = if status.is_some() { "answered" } else { "no_answer" };
                tracing::warn!(account = %label, status = ?status, cause, %message, "token refresh failed; will retry");
                Err(RefreshFailure::Transient(message.clone()))
            }
        }
    }

    pub(crate) fn edit_account(&self, id: &str, f: impl FnOnce(&mut codex_router_store::StoredAccount)) {
        let mut doc = self.inner.doc.lock();
        if let Some(a) = doc.accounts.iter_mut().find(|a| a.id.as_deref() == Some(id)) {
            f(a);
        }
    }

    /// Carries token-derived facts (plan) into the pool after a token change; a token that
    /// shows another plan clears `not_entitled`, and that change is written at once.
    pub(crate) async fn resync_account(&self, id: &str) {
        let meta = {
            let doc = self.inner.doc.lock();
            doc.accounts
                .iter()
                .find(|a| a.id.as_deref() == Some(id))
                .map(normalize::meta_of)
        };
        let Some(meta) = meta else { return };
        let cleared = self.with_pool(|p| p.adopt_token_plan(id, meta.plan_type));
        if cleared {
            tracing::info!(account = %self.label_of(id), "the refreshed token shows another plan; the account is no longer not_entitled");
            if let Err(e) = self.persist_status(id).await {
                tracing::error!(error = %e, "could not write an account status change to accounts.json");
            }
        }
    }

    pub fn label_of(&self, id: &str) -> String {
        self.inner
            .pool
            .lock()
            .account(id)
            .map(|a| a.label.clone())
            .unwrap_or_else(|| id.to_owned())
    }

    /// Re-reads a linked Codex `auth.json`; adopts its tokens when it holds the same identity
    /// with a different refresh token. Returns true when tokens were adopted.
    async fn adopt_linked(&self, id: &str, path: &std::path::Path, ours: &Secret) -> bool {
        let Some(identity) = self.identity(id) else {
            return false;
        };
        let Some(theirs) = linked::read_same_identity(path, &identity) else {
            return false;
        };
        if &theirs.refresh_token == ours {
            return false;
        }
        let now = self.now();
        self.edit_account(id, |a| {
            a.tokens = theirs;
            a.refresh_in_flight_since = None;
            a.last_refresh = Some(now);
            let _ = normalize::complete(a, &[], &[], now);
        });
        if self.persist_accounts().await.is_err() {
            return false;
        }
        self.resync_account(id).await;
        tracing::info!(account = %self.label_of(id), "adopted tokens that Codex refreshed in its auth.json");
        true
    }

    fn identity(&self, id: &str) -> Option<(String, String)> {
        let doc = self.inner.doc.lock();
        doc.accounts
            .iter()
            .find(|a| a.id.as_deref() == Some(id))
            .and_then(normalize::identity_of)
    }

    async fn write_back_linked(&self, id: &str) {
        let (path, tokens, identity, last_refresh) = {
            let doc = self.inner.doc.lock();
            let Some(a) = doc.accounts.iter().find(|a| a.id.as_deref() == Some(id)) else {
                return;
            };
            let Some(path) = a.linked_auth_json.clone() else {
                return;
            };
            (path, a.tokens.clone(), normalize::identity_of(a), a.last_refresh)
        };
        let Some(identity) = identity else { return };
        let label = self.label_of(id);
        let res =
            tokio::task::spawn_blocking(move || linked::write_back(&path, &tokens, &identity, last_refresh))
                .await;
        // `status` and `doctor` show a link the router left alone (`Runtime::codex_links`),
        // not only this log line.
        match res {
            Ok(Ok(true)) => {
                self.inner.link_errors.lock().remove(id);
                tracing::info!(account = %label, "wrote refreshed tokens back to Codex's auth.json")
            }
            Ok(Ok(false)) => {
                self.inner.link_errors.lock().remove(id);
                tracing::warn!(account = %label, "Codex's auth.json now holds another account; left it alone")
            }
            Ok(Err(e)) => {
                self.inner.link_errors.lock().insert(id.to_owned(), e.to_string());
                tracing::warn!(account = %label, error = %e, "could not write tokens back to Codex's auth.json")
            }
            Err(_) => {}
        }
    }

    /// Marks an account whose refresh was interrupted by a crash: used by the startup check.
    pub fn crash_suspects(&self) -> Vec<String> {
        let doc = self.inner.doc.lock();
        doc.accounts
            .iter()
            .filter(|a| a.refresh_in_flight_since.is_some())
            .filter_map(|a| a.id.clone())
            .collect()
    }
}
