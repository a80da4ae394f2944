//! Gathering: what is already there travels together, what is not is never waited for.

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;

use super::gather_ready;

type Item = Result<Bytes, &'static str>;

fn b(s: &'static str) -> Bytes {
    Bytes::from_static(s.as_bytes())
}

#[tokio::test]
async fn chunks_already_received_are_sent_in_one_write() {
    let mut up = futures_util::stream::iter(vec![Ok(b("b")), Ok(b("c")), Ok(b("d"))]);
    let (out, peeked) = gather_ready::<_, &str>(b("a"), &mut up).await;
    assert_eq!(out, b("abcd"));
    assert!(matches!(peeked, Some(None)), "the end is kept for the next poll");
}

#[tokio::test]
async fn a_failure_after_gathered_chunks_is_kept_for_the_next_poll() {
    let mut up = futures_util::stream::iter(vec![Ok(b("b")), Err("broken"), Ok(b("never"))]);
    let (out, peeked) = gather_ready(b("a"), &mut up).await;
    assert_eq!(out, b("ab"));
    assert!(matches!(peeked, Some(Some(Err("broken")))));
}

#[tokio::test]
async fn a_chunk_not_yet_produced_is_not_waited_for() {
    let (tx, mut chan) = tokio::sync::mpsc::unbounded_channel::<Item>();
    let mut rx = futures_util::stream::poll_fn(move |cx| chan.poll_recv(cx));
    let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
    // The producer has the next chunk only after gathering returned: gathering must not wait.
    let late = tokio::spawn(async move {
        let _ = go_rx.await;
        let _ = tx.send(Ok(b("late")));
    });
    let (out, peeked) = tokio::time::timeout(Duration::from_secs(5), gather_ready(b("first"), &mut rx))
        .await
        .expect("gathering returned without the late chunk");
    let _ = go_tx.send(());
    assert_eq!(out, b("first"));
    assert!(peeked.is_none());
    late.await.expect("sender task");
    assert_eq!(rx.next().await, Some(Ok(b("late"))));
}

#[tokio::test]
async fn gathering_stops_at_the_cap() {
    let big = Bytes::from(vec![b'x'; super::GATHER_CAP]);
    let mut up = futures_util::stream::iter(vec![Ok::<_, &str>(big.clone()), Ok(b("next"))]);
    let (out, peeked) = gather_ready(b("a"), &mut up).await;
    assert_eq!(out.len(), 1 + super::GATHER_CAP);
    assert!(peeked.is_none());
    assert_eq!(up.next().await, Some(Ok(b("next"))));
}
