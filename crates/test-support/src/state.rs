//! The fake's shared state: identities, every token it issued and what became of it, scripts and counters.
//!
//! It sits behind a `parking_lot::Mutex` that is never held across an `.await`: handlers take what they
//! need, drop the guard, then sleep or stream.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use rand::Rng as _;
use rand::distr::Alphanumeric;

use crate::account::{FakeAccount, IssuedTokens};
use crate::behavior::{Behavior, RefreshBehavior, StreamConfig};
use crate::capture::{AuthorizeRequest, CapturedRequest};
use crate::clock::now_unix;
use crate::jwt::{ClaimsInput, identity_claims, make_jwt};
use crate::usage::UsageState;

/// An access token the backend will recognise.
struct AccessRecord {
    account_id: String,
    exp: i64,
    /// Set by `expire_access_tokens`: answers `token_expired` whatever `exp` says.
    forced_expired: bool,
    invalidated: bool,
}

/// A refresh token the issuer will recognise.
struct RefreshRecord {
    identity: FakeAccount,
    used: bool,
    invalidated: bool,
}

/// What an `authorization: Bearer` header resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum BearerStatus {
    Unknown,
    Valid(String),
    Expired(String),
    Invalidated(String),
}

impl BearerStatus {
    pub(crate) fn account(&self) -> Option<&str> {
        match self {
            BearerStatus::Unknown => None,
            BearerStatus::Valid(a) | BearerStatus::Expired(a) | BearerStatus::Invalidated(a) => Some(a),
        }
    }
}

/// Outcome of presenting a refresh token.
pub(crate) enum RefreshOutcome {
    Rotated(IssuedTokens, i64),
    Reused,
    Invalidated,
    Unknown,
}

/// A code minted by `/oauth/authorize` or the device flow, waiting for its `authorization_code` grant.
pub(crate) struct AuthCode {
    pub identity: FakeAccount,
    pub code_challenge: String,
    pub redirect_uri: String,
    pub client_id: Option<String>,
    pub used: bool,
}

/// One device-code login in progress.
pub(crate) struct DeviceAuth {
    pub user_code: String,
    pub identity: FakeAccount,
    pub pending_left: usize,
    pub expired: bool,
    /// Once approved: (authorization code, challenge, verifier), repeated on later polls.
    pub approved: Option<(String, String, String)>,
}

#[derive(Default)]
pub(crate) struct State {
    identities: Vec<FakeAccount>,
    access: HashMap<String, AccessRecord>,
    refresh: HashMap<String, RefreshRecord>,
    pub usage: HashMap<String, UsageState>,
    pub one_shot: HashMap<String, VecDeque<Behavior>>,
    pub persistent: HashMap<String, Behavior>,
    pub stream: StreamConfig,
    pub requests: Vec<CapturedRequest>,
    pub issuer_requests: Vec<CapturedRequest>,
    pub responses_calls: HashMap<String, usize>,
    pub usage_calls: HashMap<String, usize>,
    pub refresh_calls: usize,
    pub refresh_reuse: usize,
    pub refresh_script: VecDeque<RefreshBehavior>,
    pub refresh_delay: Duration,
    /// Lifetime of access tokens minted by a refresh.
    pub refreshed_ttl_secs: Option<i64>,
    serial: u64,
    pub login_identity: Option<FakeAccount>,
    pub authorize_requests: Vec<AuthorizeRequest>,
    pub codes: HashMap<String, AuthCode>,
    pub device: HashMap<String, DeviceAuth>,
    pub device_pending: usize,
    pub device_interval_secs: Option<u64>,
    pub device_polls: usize,
    pub ws: crate::backend::ws_state::WsState,
}

impl State {
    /// A number never handed out before, for ids, blobs and token nonces.
    pub(crate) fn next_serial(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }

    /// Remembers an identity (replacing one with the same account and user) and gives its account default
    /// usage windows if it has none yet.
    pub(crate) fn register(&mut self, account: &FakeAccount) {
        self.identities.retain(|a| {
            !(a.chatgpt_account_id == account.chatgpt_account_id && a.user_id == account.user_id)
        });
        self.identities.push(account.clone());
        self.usage
            .entry(account.chatgpt_account_id.clone())
            .or_insert_with(|| UsageState::fresh(&account.plan_type));
    }

    /// The first registered identity of a workspace.
    pub(crate) fn identity(&self, chatgpt_account_id: &str) -> Option<&FakeAccount> {
        self.identities
            .iter()
            .find(|a| a.chatgpt_account_id == chatgpt_account_id)
    }

    /// Mints a fresh access/refresh/id set for `identity`, valid for `ttl_secs`.
    pub(crate) fn issue(&mut self, identity: &FakeAccount, ttl_secs: i64) -> IssuedTokens {
        let iat = now_unix();
        let exp = iat + ttl_secs;
        let access_token = self.jwt(identity, iat, exp);
        let id_token = self.jwt(identity, iat, exp);
        let refresh_token = format!("rt_{}", random_string(48));
        self.access.insert(
            access_token.clone(),
            AccessRecord {
                account_id: identity.chatgpt_account_id.clone(),
                exp,
                forced_expired: false,
                invalidated: false,
            },
        );
        self.refresh.insert(
            refresh_token.clone(),
            RefreshRecord {
                identity: identity.clone(),
                used: false,
                invalidated: false,
            },
        );
        IssuedTokens {
            access_token,
            refresh_token,
            id_token,
            expires_at_unix: exp,
        }
    }

    fn jwt(&mut self, identity: &FakeAccount, iat: i64, exp: i64) -> String {
        let jti = format!("{}-{}", self.next_serial(), random_string(12));
        make_jwt(&identity_claims(&ClaimsInput {
            chatgpt_account_id: &identity.chatgpt_account_id,
            user_id: &identity.user_id,
            email: &identity.email,
            plan_type: &identity.plan_type,
            iat,
            exp,
            jti: &jti,
        }))
    }

    pub(crate) fn bearer_status(&self, token: &str, now: i64) -> BearerStatus {
        let Some(record) = self.access.get(token) else {
            return BearerStatus::Unknown;
        };
        let account = record.account_id.clone();
        if record.invalidated {
            BearerStatus::Invalidated(account)
        } else if record.forced_expired || record.exp <= now {
            BearerStatus::Expired(account)
        } else {
            BearerStatus::Valid(account)
        }
    }

    /// The account a refresh token belongs to, for request capture.
    pub(crate) fn refresh_owner(&self, token: &str) -> Option<String> {
        self.refresh
            .get(token)
            .map(|r| r.identity.chatgpt_account_id.clone())
    }

    pub(crate) fn expire_access(&mut self, chatgpt_account_id: &str) {
        for record in self
            .access
            .values_mut()
            .filter(|r| r.account_id == chatgpt_account_id)
        {
            record.forced_expired = true;
        }
    }

    /// Revokes every token issued so far for the account; tokens issued later (a new login) work again.
    pub(crate) fn invalidate(&mut self, chatgpt_account_id: &str) {
        for record in self
            .access
            .values_mut()
            .filter(|r| r.account_id == chatgpt_account_id)
        {
            record.invalidated = true;
        }
        for record in self
            .refresh
            .values_mut()
            .filter(|r| r.identity.chatgpt_account_id == chatgpt_account_id)
        {
            record.invalidated = true;
        }
    }

    /// Presents a refresh token: rotates it once, and reports reuse after that.
    /// The workspace's plan changes: tokens issued from now on (refreshes included) carry it.
    pub(crate) fn change_plan(&mut self, chatgpt_account_id: &str, plan_type: &str) {
        let owned = |a: &FakeAccount| a.chatgpt_account_id == chatgpt_account_id;
        for a in self.identities.iter_mut().filter(|a| owned(a)) {
            a.plan_type = plan_type.to_owned();
        }
        for r in self.refresh.values_mut().filter(|r| owned(&r.identity)) {
            r.identity.plan_type = plan_type.to_owned();
        }
    }

    pub(crate) fn present_refresh(&mut self, token: &str) -> RefreshOutcome {
        let (identity, ttl) = match self.refresh.get_mut(token) {
            None => return RefreshOutcome::Unknown,
            Some(r) if r.invalidated => return RefreshOutcome::Invalidated,
            Some(r) if r.used => {
                self.refresh_reuse += 1;
                return RefreshOutcome::Reused;
            }
            Some(r) => {
                r.used = true;
                (r.identity.clone(), self.refreshed_ttl_secs.unwrap_or(3600))
            }
        };
        RefreshOutcome::Rotated(self.issue(&identity, ttl), ttl)
    }
}

/// Lifetime of tokens from a login: the identity's own, unless that asks for an already expired token
/// (which only makes sense for the set `add_account` hands out).
pub(crate) fn login_ttl(identity: &FakeAccount) -> i64 {
    if identity.access_ttl_secs > 0 {
        identity.access_ttl_secs
    } else {
        3600
    }
}

/// Random `[A-Za-z0-9]` text, for opaque tokens and ids.
pub(crate) fn random_string(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_are_unique_and_resolve() {
        let mut state = State::default();
        let acc = FakeAccount::new("a", "pro");
        state.register(&acc);
        let t1 = state.issue(&acc, 60);
        let t2 = state.issue(&acc, 60);
        assert_ne!(t1.access_token, t2.access_token);
        assert_ne!(t1.id_token, t2.id_token);
        assert_ne!(t1.access_token, t1.id_token);
        let now = now_unix();
        assert_eq!(
            state.bearer_status(&t1.access_token, now),
            BearerStatus::Valid("a".into())
        );
        assert_eq!(state.bearer_status("nope", now), BearerStatus::Unknown);
        assert_eq!(
            state.bearer_status(&t1.access_token, now + 61),
            BearerStatus::Expired("a".into())
        );
    }

    #[test]
    fn refresh_rotates_once_then_reports_reuse() {
        let mut state = State::default();
        let acc = FakeAccount::new("a", "pro");
        let t = state.issue(&acc, 60);
        assert!(matches!(
            state.present_refresh(&t.refresh_token),
            RefreshOutcome::Rotated(_, 3600)
        ));
        assert!(matches!(
            state.present_refresh(&t.refresh_token),
            RefreshOutcome::Reused
        ));
        assert_eq!(state.refresh_reuse, 1);
        assert!(matches!(
            state.present_refresh("rt_unknown"),
            RefreshOutcome::Unknown
        ));
    }

    #[test]
    fn invalidation_spares_later_logins() {
        let mut state = State::default();
        let acc = FakeAccount::new("a", "pro");
        let old = state.issue(&acc, 60);
        state.invalidate("a");
        let new = state.issue(&acc, 60);
        let now = now_unix();
        assert_eq!(
            state.bearer_status(&old.access_token, now),
            BearerStatus::Invalidated("a".into())
        );
        assert_eq!(
            state.bearer_status(&new.access_token, now),
            BearerStatus::Valid("a".into())
        );
        assert!(matches!(
            state.present_refresh(&old.refresh_token),
            RefreshOutcome::Invalidated
        ));
    }
}
