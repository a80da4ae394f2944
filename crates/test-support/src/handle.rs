//! `FakeBackend`, the handle tests hold: starts the server and scripts and inspects it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio_util::sync::{CancellationToken, DropGuard};

/// Pending connections the fake's listener queues before accepting them.
const ACCEPT_BACKLOG: u32 = 4096;

use crate::account::{FakeAccount, IssuedTokens};
use crate::behavior::{Behavior, RefreshBehavior, StreamConfig};
use crate::capture::{AuthorizeRequest, CapturedRequest};
use crate::server::{Shared, accept_loop};
use crate::usage::UsageState;

/// A fake ChatGPT backend (`/backend-api/...`) and OAuth issuer (`/oauth/...`, `/api/accounts/...`) on one
/// loopback port. Cheap to clone; the server stops when the last clone is dropped, ending any stream it
/// still holds open.
#[derive(Clone)]
pub struct FakeBackend {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for FakeBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeBackend")
            .field("addr", &self.inner.addr)
            .finish_non_exhaustive()
    }
}

struct Inner {
    shared: Arc<Shared>,
    addr: SocketAddr,
    _stop: DropGuard,
}

impl FakeBackend {
    /// Binds `127.0.0.1:0` and serves until dropped.
    ///
    /// # Panics
    /// When no loopback port can be bound: a test cannot run without one, and panicking names the cause.
    pub async fn start() -> FakeBackend {
        match Self::try_start().await {
            Ok(fake) => fake,
            Err(err) => panic!("fake backend could not bind 127.0.0.1:0: {err}"),
        }
    }

    /// Like [`FakeBackend::start`], returning the bind error instead of panicking.
    pub async fn try_start() -> std::io::Result<FakeBackend> {
        // A deep accept queue, like the daemon's: the benchmark opens a thousand upstream
        // connections at once, and tokio's default of 1 024 overflows on a busy machine (the
        // kernel then drops the handshake's last ACK and the connection later fails).
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))?;
        let listener: TcpListener = socket.listen(ACCEPT_BACKLOG)?;
        let addr = listener.local_addr()?;
        let cancel = CancellationToken::new();
        let shared = Arc::new(Shared::new(format!("http://{addr}"), cancel.clone()));
        let router = crate::routes::router(Arc::clone(&shared));
        tokio::spawn(accept_loop(listener, router, cancel.clone()));
        Ok(FakeBackend {
            inner: Arc::new(Inner {
                shared,
                addr,
                _stop: cancel.drop_guard(),
            }),
        })
    }

    /// The shared state itself, for a companion fake that must not keep this server alive.
    pub(crate) fn shared_arc(&self) -> Arc<Shared> {
        Arc::clone(&self.inner.shared)
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.inner.shared
    }

    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// `http://127.0.0.1:PORT/backend-api`, the router's upstream base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}/backend-api", self.inner.addr)
    }

    /// `http://127.0.0.1:PORT`, the OAuth issuer URL.
    pub fn issuer_url(&self) -> String {
        self.shared().issuer_url.clone()
    }

    /// Registers the identity and issues its first token set (access token valid for `access_ttl_secs`).
    pub fn add_account(&self, spec: FakeAccount) -> IssuedTokens {
        let mut state = self.shared().state.lock();
        state.register(&spec);
        state.issue(&spec, spec.access_ttl_secs)
    }

    /// An additional, independent token chain for an already registered account (a second login). Valid
    /// for the account's `access_ttl_secs`, or an hour when that is not positive.
    ///
    /// # Panics
    /// When the account was never added: that is a bug in the test, not a case to handle.
    pub fn issue_tokens(&self, chatgpt_account_id: &str) -> IssuedTokens {
        let mut state = self.shared().state.lock();
        let Some(identity) = state.identity(chatgpt_account_id).cloned() else {
            panic!("issue_tokens: account {chatgpt_account_id:?} was never added");
        };
        let ttl = crate::state::login_ttl(&identity);
        state.issue(&identity, ttl)
    }

    /// The account's plan changes (an upgrade): every token issued from now on, refreshes
    /// included, names `plan_type`.
    pub fn change_plan(&self, chatgpt_account_id: &str, plan_type: &str) {
        self.shared()
            .state
            .lock()
            .change_plan(chatgpt_account_id, plan_type);
    }

    /// Every access token issued so far for the account now answers 401 `token_expired`.
    pub fn expire_access_tokens(&self, chatgpt_account_id: &str) {
        self.shared().state.lock().expire_access(chatgpt_account_id);
    }

    /// Revokes every token issued so far: access → 401 `token_invalidated`, refresh → 401
    /// `refresh_token_invalidated`. Tokens issued afterwards (a new login) work.
    pub fn invalidate_account(&self, chatgpt_account_id: &str) {
        self.shared().state.lock().invalidate(chatgpt_account_id);
    }

    /// Queues a one-shot behaviour for the account's next `/codex/responses` request (several calls queue in
    /// order). One-shots run before the persistent script.
    pub fn script(&self, chatgpt_account_id: &str, b: Behavior) {
        let mut state = self.shared().state.lock();
        state
            .one_shot
            .entry(chatgpt_account_id.to_owned())
            .or_default()
            .push_back(b);
    }

    /// A behaviour for every request of the account until [`FakeBackend::clear_script`].
    pub fn script_always(&self, chatgpt_account_id: &str, b: Behavior) {
        self.shared()
            .state
            .lock()
            .persistent
            .insert(chatgpt_account_id.to_owned(), b);
    }

    /// Drops both the queued one-shots and the persistent behaviour of the account.
    pub fn clear_script(&self, chatgpt_account_id: &str) {
        let mut state = self.shared().state.lock();
        state.one_shot.remove(chatgpt_account_id);
        state.persistent.remove(chatgpt_account_id);
    }

    /// The shape of normal streams (unless a behaviour brings its own).
    pub fn set_stream(&self, cfg: StreamConfig) {
        self.shared().state.lock().stream = cfg;
    }

    /// The windows reported by `x-codex-*` headers and `/wham/usage` for the account.
    pub fn set_usage(&self, chatgpt_account_id: &str, usage: UsageState) {
        self.shared()
            .state
            .lock()
            .usage
            .insert(chatgpt_account_id.to_owned(), usage);
    }

    /// Every request to `/backend-api/*`, in arrival order.
    pub fn requests(&self) -> Vec<CapturedRequest> {
        self.shared().state.lock().requests.clone()
    }

    /// `/backend-api/codex/responses` and `/compact` requests whose bearer belongs to the account,
    /// including those answered 401, plus every WebSocket `response.create` frame of the account (a
    /// prewarm included: it is a request the backend received; handshakes are not counted, see
    /// [`FakeBackend::ws_connections_total`]).
    pub fn responses_calls(&self, chatgpt_account_id: &str) -> usize {
        self.shared()
            .state
            .lock()
            .responses_calls
            .get(chatgpt_account_id)
            .copied()
            .unwrap_or(0)
    }

    /// Every `refresh_token` grant received, whatever its outcome.
    pub fn refresh_calls(&self) -> usize {
        self.shared().state.lock().refresh_calls
    }

    /// Presentations of an already used refresh token (each answered `refresh_token_reused`).
    pub fn refresh_reuse_count(&self) -> usize {
        self.shared().state.lock().refresh_reuse
    }

    /// Queues a one-shot behaviour for the next refresh grant.
    pub fn script_refresh(&self, r: RefreshBehavior) {
        self.shared().state.lock().refresh_script.push_back(r);
    }

    /// Delay before every refresh answer (taken without holding any lock), to widen race windows.
    pub fn set_refresh_delay(&self, d: Duration) {
        self.shared().state.lock().refresh_delay = d;
    }

    /// Lifetime of access tokens minted by refreshes (default 3600 s; also the answer's `expires_in`).
    pub fn set_refreshed_ttl(&self, secs: i64) {
        self.shared().state.lock().refreshed_ttl_secs = Some(secs);
    }

    /// `GET /backend-api/wham/usage` requests whose bearer belongs to the account.
    pub fn usage_calls(&self, chatgpt_account_id: &str) -> usize {
        self.shared()
            .state
            .lock()
            .usage_calls
            .get(chatgpt_account_id)
            .copied()
            .unwrap_or(0)
    }

    /// Every request to the issuer routes (`/oauth/*`, `/api/accounts/deviceauth/*`), in arrival order.
    pub fn issuer_requests(&self) -> Vec<CapturedRequest> {
        self.shared().state.lock().issuer_requests.clone()
    }

    /// The identity the next browser or device login signs in as (registered like `add_account`, without
    /// issuing tokens). Stays until replaced.
    pub fn set_login_identity(&self, account: FakeAccount) {
        let mut state = self.shared().state.lock();
        state.register(&account);
        state.login_identity = Some(account);
    }

    /// Decoded queries of every `GET /oauth/authorize`.
    pub fn authorize_requests(&self) -> Vec<AuthorizeRequest> {
        self.shared().state.lock().authorize_requests.clone()
    }

    /// How many polls of each device login answer "pending" before it is approved (default 0). Applies to
    /// device logins already started and to later ones.
    pub fn set_device_pending(&self, n: usize) {
        let mut state = self.shared().state.lock();
        state.device_pending = n;
        for device in state.device.values_mut().filter(|d| d.approved.is_none()) {
            device.pending_left = n;
        }
    }

    /// The poll interval the usercode answer advertises (default 1 s, sent as a string like the real one).
    pub fn set_device_interval(&self, secs: u64) {
        self.shared().state.lock().device_interval_secs = Some(secs);
    }

    /// Every device login started so far answers its next polls with an expiry error.
    pub fn expire_device_code(&self) {
        for device in self.shared().state.lock().device.values_mut() {
            device.expired = true;
        }
    }

    /// Polls of `/api/accounts/deviceauth/token` received.
    pub fn device_polls(&self) -> usize {
        self.shared().state.lock().device_polls
    }

    /// `/codex/responses` answers currently alive (parked before headers or streaming). Drops back when the
    /// client disconnects, which is how tests prove a cancelled request does not linger upstream.
    pub fn active_responses(&self) -> usize {
        *self.shared().active.borrow()
    }

    /// Waits until exactly `n` `/codex/responses` answers are alive.
    pub async fn wait_active_responses(&self, n: usize) {
        let mut rx = self.shared().active.subscribe();
        // The sender lives in `Shared`, which `self` keeps alive, so this cannot fail.
        let _ = rx.wait_for(|v| *v == n).await;
    }

    /// Waits until at least `n` `/backend-api` requests have been captured.
    pub async fn wait_for_requests(&self, n: usize) {
        let mut rx = self.shared().captured.subscribe();
        let _ = rx.wait_for(|v| *v >= n).await;
    }
}
