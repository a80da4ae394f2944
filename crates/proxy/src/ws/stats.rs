//! Counters of the WebSocket transport for `status` and `/metrics` (SPEC §4.4 "Status").

use std::sync::atomic::{AtomicU64, Ordering};

pub use codex_router_core::ws_counters::WsCounters;

/// Monotonic counters plus the open-connection gauge; relaxed atomics (each is read alone).
#[derive(Debug, Default)]
pub struct WsStats {
    open: AtomicU64,
    connections: AtomicU64,
    responses: AtomicU64,
    incremental: AtomicU64,
    full_resends: AtomicU64,
    forced_reconnects: AtomicU64,
    http_fallbacks: AtomicU64,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Count {
    Connection,
    Response,
    Incremental,
    FullResend,
    ForcedReconnect,
    HttpFallback,
}

impl WsStats {
    pub(crate) fn add(&self, c: Count) {
        let n = match c {
            Count::Connection => &self.connections,
            Count::Response => &self.responses,
            Count::Incremental => &self.incremental,
            Count::FullResend => &self.full_resends,
            Count::ForcedReconnect => &self.forced_reconnects,
            Count::HttpFallback => &self.http_fallbacks,
        };
        n.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn opened(&self) {
        self.open.fetch_add(1, Ordering::Relaxed);
        self.add(Count::Connection);
    }

    pub(crate) fn closed(&self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }

    /// The counters; the context size is the context store's, which these atomics do not see.
    pub(crate) fn counters(&self, context_bytes: u64) -> WsCounters {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        WsCounters {
            context_bytes,
            open: get(&self.open),
            connections: get(&self.connections),
            responses: get(&self.responses),
            incremental: get(&self.incremental),
            full_resends: get(&self.full_resends),
            forced_reconnects: get(&self.forced_reconnects),
            http_fallbacks: get(&self.http_fallbacks),
        }
    }
}
