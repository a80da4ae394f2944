//! The line protocol between the harness and its `fake-upstream` child: one [`Hello`] line when the fake
//! listens, then one [`Counts`] line per `counts` command. JSON lines on stdin/stdout keep the child's
//! lifetime tied to the harness (EOF on stdin ends it) and need no extra port.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

/// The command that asks for a [`Counts`] line.
pub const CMD_COUNTS: &str = "counts";
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
}
