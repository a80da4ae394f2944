//! The WebSocket side of [`FakeBackend`]: switching it off, scripting handshakes, the 60-minute limit on
//! command, and what tests inspect (frames, connections).

use crate::behavior::Behavior;
use crate::capture::WsFrame;
use crate::handle::FakeBackend;

impl FakeBackend {
    /// With `false`, a WebSocket upgrade on `/codex/responses` is answered `404` (JSON body), like a
    /// server without WebSocket support, so a router's HTTP fallback can be tested. Default `true`.
    /// Connections already open stay open.
    pub fn set_websocket(&self, enabled: bool) {
        self.shared().state.lock().ws.disabled = !enabled;
    }

    /// Queues a one-shot answer for the account's next WebSocket handshake (after authentication):
    /// `Http` and `UsageLimit` answer with that HTTP status and body instead of upgrading,
    /// `StallBeforeHeaders` never answers, `DelayHeaders`/`WaitForGate` upgrade late, `DropAfterEvents`
    /// drops the connection without an answer; anything else upgrades normally.
    pub fn script_ws_handshake(&self, chatgpt_account_id: &str, b: Behavior) {
        self.shared()
            .state
            .lock()
            .ws
            .handshake_script
            .entry(chatgpt_account_id.to_owned())
            .or_default()
            .push_back(b);
    }

    /// Every WebSocket connection of the account open now answers its next `response.create` with the
    /// backend's 60-minute `websocket_connection_limit_reached` error event, then closes. Connections opened
    /// later are not affected.
    pub fn expire_ws_connections(&self, chatgpt_account_id: &str) {
        let mut state = self.shared().state.lock();
        for conn in state
            .ws
            .open
            .values_mut()
            .filter(|c| c.account == chatgpt_account_id)
        {
            conn.expired = true;
        }
    }

    /// Every client text frame received over WebSocket, in arrival order across connections.
    pub fn ws_frames(&self) -> Vec<WsFrame> {
        self.shared().state.lock().ws.frames.clone()
    }

    /// WebSocket connections of the account ever upgraded (refused handshakes are not counted; they show
    /// in [`FakeBackend::requests`] as `GET`s).
    pub fn ws_connections_total(&self, chatgpt_account_id: &str) -> usize {
        self.shared()
            .state
            .lock()
            .ws
            .total
            .get(chatgpt_account_id)
            .copied()
            .unwrap_or(0)
    }

    /// WebSocket connections open now (counted from the 101 until the connection's task ends).
    pub fn ws_connections_open(&self) -> usize {
        *self.shared().ws_open.borrow()
    }

    /// Waits until at least `n` WebSocket client frames have been captured.
    pub async fn wait_ws_frames(&self, n: usize) {
        let mut rx = self.shared().ws_frames.subscribe();
        // The sender lives in `Shared`, which `self` keeps alive, so this cannot fail.
        let _ = rx.wait_for(|v| *v >= n).await;
    }

    /// Waits until exactly `n` WebSocket connections are open.
    pub async fn wait_ws_connections_open(&self, n: usize) {
        let mut rx = self.shared().ws_open.subscribe();
        let _ = rx.wait_for(|v| *v == n).await;
    }
}
