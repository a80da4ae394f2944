//! What the WebSocket transport did since start (SPEC §4.4 "Status"): the one shape behind the
//! `websocket` object of `status --json` and the WebSocket lines of `/metrics`, so both always
//! count the same things.

use serde::{Deserialize, Serialize};

/// A consistent-enough copy of the transport's counters for one status document. Absent
/// members read as 0, so an older daemon's document still decodes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WsCounters {
    /// Client WebSocket connections open now.
    pub open: u64,
    /// Client WebSocket connections accepted since start.
    pub connections: u64,
    /// `response.create` requests served over WebSocket.
    pub responses: u64,
    /// Of those, sent upstream incrementally (only the new items).
    pub incremental: u64,
    /// Requests re-sent in full from the kept context (a move, a reconnect, HTTP fallback).
    pub full_resends: u64,
    /// Upstream connections reopened for the same account (60-minute limit, dropped idle).
    pub forced_reconnects: u64,
    /// Client connections served over HTTP upstream (the upstream refused WebSocket).
    pub http_fallbacks: u64,
    /// Conversation context kept for moves, over all connections.
    pub context_bytes: u64,
}
