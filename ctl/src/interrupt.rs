//! Ctrl-C for commands that must clean up or say what they left undone (`accounts login`,
//! `demo`): raced against the work with `tokio::select!`.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

/// Ctrl-C, already listened for when this returns. tokio installs its handler on the first
/// poll; a Ctrl-C before that would kill the process without a word, so that poll happens here,
/// before any prompt is shown.
pub async fn armed_ctrl_c() -> Pin<Box<dyn Future<Output = ()>>> {
    let mut signal: Pin<Box<dyn Future<Output = ()>>> = Box::pin(async {
        if tokio::signal::ctrl_c().await.is_err() {
            // Signals cannot be watched here: never fire.
            std::future::pending::<()>().await;
        }
    });
    std::future::poll_fn(|cx| {
        let _ = signal.as_mut().poll(cx);
        Poll::Ready(())
    })
    .await;
    signal
}
