//! What the fake remembers about its WebSocket connections (inside `State`, under the one mutex), and the
//! guard that keeps the open count true however a connection ends.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::behavior::Behavior;
use crate::capture::WsFrame;
use crate::server::Shared;

#[derive(Default)]
pub(crate) struct WsState {
    /// `set_websocket(false)`: upgrades are answered 404, like a server without WebSocket support.
    pub disabled: bool,
    /// One-shot answers for the next handshakes of an account, instead of upgrading.
    pub handshake_script: HashMap<String, VecDeque<Behavior>>,
    /// Open connections by serial.
    pub open: HashMap<u64, OpenConn>,
    /// Connections ever upgraded, per account.
    pub total: HashMap<String, usize>,
    pub frames: Vec<WsFrame>,
    serial: u64,
}

/// One open connection, as the handle sees it.
pub(crate) struct OpenConn {
    pub account: String,
    /// Set by `expire_ws_connections`: the next `response.create` gets the 60-minute limit error.
    pub expired: bool,
}

/// Registers a connection when the handshake is accepted (so a client that got its 101 already sees it
/// counted) and unregisters it when dropped: connection end, scripted drop, failed upgrade, or shutdown.
pub(crate) struct OpenGuard {
    shared: Arc<Shared>,
    pub serial: u64,
}

impl OpenGuard {
    pub(crate) fn register(shared: &Arc<Shared>, account: &str) -> Self {
        let mut state = shared.state.lock();
        state.ws.serial += 1;
        let serial = state.ws.serial;
        state.ws.open.insert(
            serial,
            OpenConn {
                account: account.to_owned(),
                expired: false,
            },
        );
        *state.ws.total.entry(account.to_owned()).or_default() += 1;
        drop(state);
        shared.ws_open.send_modify(|n| *n += 1);
        Self {
            shared: Arc::clone(shared),
            serial,
        }
    }
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.shared.state.lock().ws.open.remove(&self.serial);
        self.shared.ws_open.send_modify(|n| *n = n.saturating_sub(1));
    }
}
