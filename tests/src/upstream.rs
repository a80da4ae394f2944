//! The fake backend on a runtime of its own, and small async helpers run to completion.
//!
//! Tests are synchronous (they spawn and wait on processes); the fake serves from this
//! runtime's worker threads meanwhile, so a blocked test thread never stalls it.

use std::path::Path;
use std::time::Duration;

use codex_router_ipc::IpcClient;
use codex_router_test_support::{FakeAccount, FakeBackend, IssuedTokens};
use serde_json::{Value, json};
use tokio::runtime::Runtime;

#[derive(Debug)]
pub struct Upstream {
    /// Declared first: dropped (connections cancelled) before the runtime goes.
    pub fake: FakeBackend,
    pub rt: Runtime,
}

impl Upstream {
    /// # Panics
    /// When no runtime or loopback port is available.
    pub fn start() -> Upstream {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("tokio runtime: {e}"));
        let fake = rt.block_on(FakeBackend::start());
        Upstream { fake, rt }
    }

    /// Registers an account with the fake and returns its first token set.
    pub fn account(&self, id: &str, plan: &str) -> IssuedTokens {
        self.fake.add_account(FakeAccount::new(id, plan))
    }
}

/// `ping` over the control socket: the answering pid, `None` when nothing answers within 1 s.
pub fn ping(socket: &Path) -> Option<u32> {
    let reply = call(socket, "ping", json!({}))?;
    reply.get("pid")?.as_u64().and_then(|p| u32::try_from(p).ok())
}

/// One control-plane call on a fresh connection; `None` on any failure.
pub fn call(socket: &Path, method: &str, params: Value) -> Option<Value> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    rt.block_on(async {
        let mut client = IpcClient::connect(socket).await.ok()?;
        client
            .call_with_timeout(method, params, Some(Duration::from_secs(1)))
            .await
            .ok()
    })
}
