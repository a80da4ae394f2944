//! The one-shot loopback server that catches the browser login's redirect
//! (`http://localhost:1455/auth/callback?code=...&state=...`).
//!
//! It answers exactly one callback: the first request to [`CALLBACK_PATH`] decides the login.
//! A matching `state` yields the code and a "signed in" page; a wrong `state` (another attempt's
//! redirect, or a forged one), a refusal or a malformed callback yields a `400` page and an
//! error, so nothing is added. Other paths (a browser's `/favicon.ico`) get a `404` and do not
//! count. The listener is closed when the wait ends, however it ends.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use codex_router_oauth::{LoginError, parse_redirect};
use parking_lot::Mutex;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::error::LoginFlowError;

/// Where Codex's registered redirect lands: `localhost:1455`, bound on IPv4 loopback as Codex
/// itself does.
pub const DEFAULT_CALLBACK_ADDR: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 1455));
/// The redirect's path.
pub const CALLBACK_PATH: &str = "/auth/callback";
/// How long a browser login waits for the user before giving up and freeing the port.
pub const DEFAULT_LOGIN_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// How long the served page may take to reach the browser once the login is decided.
const DRAIN: Duration = Duration::from_secs(2);

/// A bound, not yet serving, callback listener. Binding first (before the browser opens) turns a
/// busy port into an immediate, clear error instead of a redirect to someone else's server.
pub struct CallbackServer {
    listener: TcpListener,
    addr: SocketAddr,
}

/// The one-shot result slot. A `parking_lot` mutex: it is taken once, never across an await.
struct Slot {
    expected_state: String,
    result: Mutex<Option<oneshot::Sender<Result<String, LoginError>>>>,
}

impl CallbackServer {
    /// Binds [`DEFAULT_CALLBACK_ADDR`].
    pub async fn bind_default() -> Result<Self, LoginFlowError> {
        Self::bind(DEFAULT_CALLBACK_ADDR).await
    }

    /// Binds `addr` (tests pass `127.0.0.1:0`). A port in use is
    /// [`LoginFlowError::CallbackPortBusy`], which suggests `--no-browser`.
    pub async fn bind(addr: SocketAddr) -> Result<Self, LoginFlowError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| match source.kind() {
                std::io::ErrorKind::AddrInUse => LoginFlowError::CallbackPortBusy { addr },
                _ => LoginFlowError::CallbackBind { addr, source },
            })?;
        let addr = listener
            .local_addr()
            .map_err(|source| LoginFlowError::CallbackBind { addr, source })?;
        Ok(Self { listener, addr })
    }

    /// The address actually bound (the port, when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until the first callback, and returns its code if its `state` is
    /// `expected_state`. Gives up after `timeout` with [`LoginFlowError::Timeout`].
    pub async fn wait_for_code(
        self,
        expected_state: &str,
        timeout: Duration,
    ) -> Result<String, LoginFlowError> {
        let (tx, rx) = oneshot::channel();
        let slot = Arc::new(Slot {
            expected_state: expected_state.to_owned(),
            result: Mutex::new(Some(tx)),
        });
        let app = Router::new()
            .route(CALLBACK_PATH, get(callback))
            .fallback(not_found)
            .with_state(slot);
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let serve = axum::serve(self.listener, app).with_graceful_shutdown(async move {
            let _ = stop_rx.await;
        });
        let mut serve = std::pin::pin!(serve.into_future());
        let outcome = tokio::select! {
            result = rx => result.map_err(|_| LoginFlowError::CallbackServer("it dropped the result".into())),
            ended = &mut serve => Err(LoginFlowError::CallbackServer(match ended {
                Ok(()) => "it stopped unexpectedly".into(),
                Err(e) => e.to_string(),
            })),
            () = tokio::time::sleep(timeout) => Err(LoginFlowError::Timeout { waited: timeout }),
        };
        // Let the page reach the browser, then close the port; a browser that holds the
        // connection open does not keep the login waiting.
        let _ = stop_tx.send(());
        let _ = tokio::time::timeout(DRAIN, serve).await;
        Ok(outcome??)
    }
}

impl std::fmt::Debug for CallbackServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackServer")
            .field("addr", &self.addr)
            .finish()
    }
}

async fn callback(State(slot): State<Arc<Slot>>, uri: Uri) -> Response {
    let Some(tx) = slot.result.lock().take() else {
        return page(StatusCode::CONFLICT, DONE_PAGE);
    };
    let result = parse_redirect(&uri.to_string(), &slot.expected_state);
    let response = match &result {
        Ok(_) => page(StatusCode::OK, SUCCESS_PAGE),
        Err(LoginError::StateMismatch) => page(StatusCode::BAD_REQUEST, STATE_PAGE),
        Err(_) => page(StatusCode::BAD_REQUEST, FAILED_PAGE),
    };
    let _ = tx.send(result);
    response
}

async fn not_found() -> Response {
    StatusCode::NOT_FOUND.into_response()
}

fn page(status: StatusCode, body: &'static str) -> Response {
    (status, Html(body)).into_response()
}

const SUCCESS_PAGE: &str = "<!doctype html><title>codex-router</title><h1>Signed in</h1>\
    <p>You can close this tab and return to the terminal.</p>";
const STATE_PAGE: &str = "<!doctype html><title>codex-router</title><h1>Sign-in refused</h1>\
    <p>This sign-in does not belong to the login codexctl started (state mismatch). Nothing was \
    added. Run <code>codexctl accounts login</code> again.</p>";
const FAILED_PAGE: &str = "<!doctype html><title>codex-router</title><h1>Sign-in not completed</h1>\
    <p>The sign-in was refused or the callback was incomplete. Nothing was added. See the \
    terminal, then run <code>codexctl accounts login</code> again.</p>";
const DONE_PAGE: &str = "<!doctype html><title>codex-router</title><h1>Already finished</h1>\
    <p>This login has already been decided; see the terminal.</p>";
