//! `status.subscribe`: the full status document at once, then one per change.
//!
//! The pool signals a change on every request's bookkeeping, which under load is thousands a
//! second. The stream therefore waits at least [`MIN_GAP`] between documents and lets changes
//! that arrive meanwhile coalesce (a `watch` channel only remembers "changed"), so a watcher
//! costs at most ten snapshots a second however busy the proxy is, and always ends up showing
//! the latest state.

use std::sync::Arc;
use std::time::Duration;

use codex_router_ipc::BoxStream;
use futures_util::StreamExt;
use serde_json::Value;
use tokio::time::Instant;

use super::Control;

/// At most ten documents a second.
const MIN_GAP: Duration = Duration::from_millis(100);

pub(super) fn status_events(ctl: Arc<Control>) -> BoxStream<'static, Value> {
    let changes = ctl.runtime.subscribe_changes();
    futures_util::stream::unfold((ctl, changes, None::<Instant>), |(ctl, mut changes, last)| async move {
        if let Some(last) = last {
            // The sender lives as long as the runtime, which `ctl` keeps alive.
            changes.changed().await.ok()?;
            tokio::time::sleep_until(last + MIN_GAP).await;
            changes.borrow_and_update();
        }
        let doc = match ctl.status_value().await {
            Ok(doc) => doc,
            Err(e) => {
                tracing::error!(error = %e.message, "could not build a status event; ending the subscription");
                return None;
            }
        };
        Some((doc, (ctl, changes, Some(Instant::now()))))
    })
    .boxed()
}
