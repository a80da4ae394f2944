//! The line protocol between the harness and its `fake-upstream` child: one [`Hello`] line when the fake
//! listens, then one answer line per command. JSON lines on stdin/stdout keep the child's lifetime tied
//! to the harness (EOF on stdin ends it) and need no extra port.
//!
//! Commands (one per line on the child's stdin):
//! - `counts` → one [`Counts`] line.
//! - `limit-once <account-index>` → scripts that account's next `/codex/responses` request (HTTP or a
//!   WebSocket `response.create`) to answer `429 usage_limit_reached` resetting in an hour, once; answers
//!   one [`Ack`] line *after* the script is in place, so the harness can send the request it is meant
//!   for without racing the child's stdin reader.
//! - `quit` (or EOF) ends the child.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

/// The command that asks for a [`Counts`] line.
pub const CMD_COUNTS: &str = "counts";
/// The command (followed by a space and an account index) that scripts one usage-limit answer.
pub const CMD_LIMIT_ONCE: &str = "limit-once";
/// The command that ends the child (EOF does too).
pub const CMD_QUIT: &str = "quit";

/// Printed once the fake listens. Tokens are the fake issuer's own; they are worthless outside it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Hello {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT/backend-api`: `CODEX_ROUTER_UPSTREAM`.
    pub base_url: String,
    /// `http://127.0.0.1:PORT`: `CODEX_ROUTER_ISSUER`.
    pub issuer_url: String,
    pub accounts: Vec<HelloAccount>,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct HelloAccount {
    /// The `chatgpt_account_id`, also used as the router label so both sides name accounts alike.
    pub id: String,
    pub plan_type: String,
    pub access_token: String,
    pub refresh_token: String,
    pub id_token: String,
    pub expires_at_unix: i64,
}

impl std::fmt::Debug for HelloAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HelloAccount")
            .field("id", &self.id)
            .field("expires_at_unix", &self.expires_at_unix)
            .finish_non_exhaustive()
    }
}

/// What the fake has seen so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Every `refresh_token` grant the issuer received.
    pub refresh_calls: usize,
    /// Presentations of an already spent refresh token (the fake answers `refresh_token_reused`).
    #[serde(default)]
    pub refresh_reuse: usize,
    /// Refresh grants per account (by the refresh token presented).
    #[serde(default)]
    pub refresh_by_account: BTreeMap<String, usize>,
    /// `/codex/responses` requests per account (by bearer), 401s included.
    pub responses_calls: BTreeMap<String, usize>,
    /// `/wham/usage` requests per account.
    pub usage_calls: BTreeMap<String, usize>,
    /// Responses still streaming.
    pub active: usize,
    /// Bytes of every `POST /codex/responses` body received: what a client (or the router) sent upstream
    /// over HTTP.
    #[serde(default)]
    pub http_body_bytes: u64,
    /// Bytes of every WebSocket text frame received (all connections, all accounts).
    #[serde(default)]
    pub ws_frame_bytes: u64,
    /// WebSocket frames received, and those that named a `previous_response_id` (incremental requests).
    #[serde(default)]
    pub ws_frames: usize,
    #[serde(default)]
    pub ws_incremental: usize,
}

/// The answer to a command that changes the fake (`limit-once`): sent once the change is in place.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ack {
    pub ok: bool,
    /// Why not, when `ok` is false (an index out of range).
    #[serde(default)]
    pub error: Option<String>,
}
