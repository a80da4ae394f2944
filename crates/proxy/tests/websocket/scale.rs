//! Many conversations at once: all complete, counters exact, nothing left behind.

use futures_util::future::join_all;
use serde_json::json;

use crate::client::{self, create, open_conversation, request};
use crate::common::{Router, Setup, eventually, within};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_five_step_conversations_complete_with_exact_counters() {
    let r = Router::start(Setup::new(4)).await;
    let n = 200;
    within("200 conversations", 120, async {
        join_all((0..n).map(|i| {
            let r = &r;
            async move {
                let session = format!("thread-{i}");
                let mut ws = client::connect(r, &session).await;
                let mut last = open_conversation(&mut ws, &session).await;
                for step in 2..=5 {
                    let item = json!({"type": "message", "role": "user", "content": format!("step {step}")});
                    last = request(&mut ws, &create(&session, Some(&last.response_id()), vec![item])).await;
                    assert!(last.completed(), "{session} step {step}: {last:?}");
                }
            }
        }))
        .await;
    })
    .await;
    let c = r.status().counters;
    // Per conversation: the handshake, a prewarm (answered by the router) and five steps.
    assert_eq!(c.streams_started, n * 5);
    assert_eq!(c.streams_completed, n * 5);
    assert_eq!(c.streams_failed, 0);
    assert_eq!(c.total_requests, n * 6);
    assert_eq!(c.upstream_requests, n * 6);
    let ws = r.state.ws.counters();
    assert_eq!((ws.connections, ws.responses), (n, n * 6));
    eventually(&r.runtime, "connections closed", || {
        r.state.ws.counters().open == 0 && r.state.ws.context_bytes() == 0
    })
    .await;
    assert!(r.status().accounts.iter().all(|a| a.in_flight == 0));
}
