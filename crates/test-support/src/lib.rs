//! `codex-router-test-support`: an in-process fake of the two services codex-router talks to, for every
//! other crate's tests. Tests prove nothing against a fake that is kinder than the real thing, so this one
//! answers with the real services' observed shapes (`shared/reference/backend-shapes.md`) and fails the
//! ways they fail.
//!
//! # Layout
//! - [`FakeBackend`] (`handle.rs`): one loopback server on `127.0.0.1:0` serving
//!   - the ChatGPT backend under `/backend-api` (`backend/`): `POST /codex/responses` (SSE, one event per
//!     body frame, paced by [`StreamConfig`]), `/codex/responses/compact`, `GET /codex/models`,
//!     `GET /wham/usage`, and an authenticated echo for every other path;
//!   - the same Responses route over WebSocket (`backend/ws*.rs`, SPEC §4.4): `GET /codex/responses` with
//!     `Upgrade: websocket` is captured and authenticated like the HTTP path (401 before any upgrade), then
//!     upgraded with the handshake headers Codex reads; each `response.create` frame runs one response
//!     whose events go out one per text frame. A connection keeps every response it produced (the
//!     prewarm's included) so `previous_response_id` is rebuilt into the full input, and answers scripts
//!     the WebSocket way (wrapped `{"type":"error","status":…}` events, silence, a dropped socket).
//!     [`FakeBackend::set_websocket`] turns it off (upgrade → 404), [`FakeBackend::script_ws_handshake`]
//!     fails handshakes, [`FakeBackend::expire_ws_connections`] forces the 60-minute limit, and
//!     [`FakeBackend::ws_frames`] ([`WsFrame`]) and the `ws_connections_*` counters show what arrived;
//!   - the OAuth issuer at the root (`issuer/`): `POST /oauth/token` (rotating single-use refresh tokens,
//!     PKCE code grant), `GET /oauth/authorize`, and the device-code flow under `/api/accounts/deviceauth`.
//! - [`FakeChatgpt`] (`chatgpt.rs`): `chatgpt_base_url` over HTTPS with a test CA made at start-up, for the
//!   native binding's real-Codex tests: workspace discovery, the start-up calls, every request captured.
//! - [`Behavior`] / [`RefreshBehavior`] (`behavior.rs`): per-account scripts for failure modes (usage limits,
//!   in-band failures, stalls, dropped connections, ...), one-shot or persistent.
//! - Authentication is real: access tokens are fake JWTs ([`make_jwt`]) the fake issued and tracks; unknown,
//!   expired, revoked tokens and a wrong `chatgpt-account-id` get the real 401 bodies ([`bodies`]).
//! - Reasoning and compaction items carry `encrypted_content` bound to the account that produced them;
//!   replaying one on another account gets the real `400 invalid_encrypted_content`.
//! - Helpers for tests: [`parse_sse`], [`unused_local_addr`], request capture ([`CapturedRequest`]),
//!   and [`ManualClock`], the clock tests give the runtime so time moves only when they say.
//!
//! # Device-code flow
//! Modelled on Codex's client (`codex-rs/login/src/device_code_auth.rs`): `usercode` answers
//! `{"device_auth_id","user_code","interval":"1"}`; polling `token` answers `403
//! {"error":{"code":"deviceauth_authorization_pending"}}` for [`FakeBackend::set_device_pending`] polls, then
//! `200 {"authorization_code","code_challenge","code_verifier"}`; that code is exchanged at `/oauth/token`
//! with `redirect_uri = {issuer}/deviceauth/callback`. After [`FakeBackend::expire_device_code`] polls answer
//! `410 {"error":{"code":"deviceauth_expired"}}`.
//!
//! # Concurrency
//! State lives behind one `parking_lot::Mutex`, never held across an `.await` (refresh delays and stream
//! pacing sleep without it). Dropping the last [`FakeBackend`] clone cancels every connection, WebSocket
//! ones included, so a stalled stream cannot outlive its test.

mod account;
mod backend;
mod behavior;
pub mod bodies;
mod capture;
mod chatgpt;
mod clock;
mod encrypted;
mod handle;
mod handle_ws;
mod issuer;
mod jwt;
mod manual_clock;
mod routes;
mod server;
mod sse;
mod state;
mod usage;

pub use account::{FakeAccount, IssuedTokens};
pub use behavior::{Behavior, Gate, RefreshBehavior, StreamConfig};
pub use capture::{AuthorizeRequest, CapturedRequest, WsFrame};
pub use chatgpt::{FakeChatgpt, FakeChatgptError};
pub use encrypted::{encrypted_content_owner, mint_encrypted_content};
pub use handle::FakeBackend;
pub use jwt::{decode_jwt_claims, make_jwt};
pub use manual_clock::ManualClock;
pub use sse::{SseEvent, parse_sse};
pub use usage::{UsageState, Window};

use std::net::{SocketAddr, TcpListener};

/// A loopback address nothing listens on: bind port 0, note the port, release it. Connecting to it is
/// refused, which is how a "dead upstream" looks. (Another process could grab the port in between; on a
/// test machine that is rare enough to accept.)
///
/// # Panics
/// When no loopback port can be bound at all, which leaves a test nothing to run against.
pub fn unused_local_addr() -> SocketAddr {
    match TcpListener::bind(("127.0.0.1", 0)).and_then(|l| l.local_addr()) {
        Ok(addr) => addr,
        Err(err) => panic!("cannot bind a loopback port: {err}"),
    }
}
