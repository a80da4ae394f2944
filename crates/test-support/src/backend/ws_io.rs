//! The socket side of one WebSocket connection: reading text frames, sending events paced and cut the way
//! a script says, and reading on while it waits (so pings are answered, a client close is noticed at once,
//! and a frame sent early is kept for later).

use std::collections::VecDeque;
use std::future::Future;
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt as _, StreamExt as _};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use super::stream::Tail;

pub(super) type Socket = WebSocketStream<TokioIo<Upgraded>>;

/// How long a closed connection waits for the client's close reply before letting the socket go.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Why the connection stops.
pub(super) enum Stop {
    /// Close handshake: the client closed (our reply is flushed) or the fake closes after an error.
    Close,
    /// A scripted drop: the TCP socket goes without a close frame.
    Drop,
}

pub(super) struct Io {
    tx: SplitSink<Socket, Message>,
    rx: SplitStream<Socket>,
    /// Text frames that arrived while a response was still being answered.
    pending: VecDeque<String>,
}

impl Io {
    pub(super) fn new(ws: Socket) -> Self {
        let (tx, rx) = ws.split();
        Self {
            tx,
            rx,
            pending: VecDeque::new(),
        }
    }

    /// The next text frame; `None` once the client closed or the socket broke. Pings are answered by
    /// tungstenite while reading; binary frames are ignored.
    pub(super) async fn next_text(&mut self) -> Option<String> {
        if let Some(text) = self.pending.pop_front() {
            return Some(text);
        }
        loop {
            match self.rx.next().await? {
                Ok(Message::Text(text)) => return Some(text.as_str().to_owned()),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// Runs `fut` while still reading the socket (pings answered, early frames queued); a client close
    /// wins.
    pub(super) async fn while_reading<F: Future>(&mut self, fut: F) -> Result<F::Output, Stop> {
        let mut fut = std::pin::pin!(fut);
        loop {
            tokio::select! {
                out = &mut fut => return Ok(out),
                msg = self.rx.next() => match msg {
                    Some(Ok(Message::Text(text))) => self.pending.push_back(text.as_str().to_owned()),
                    Some(Ok(Message::Close(_)) | Err(_)) | None => return Err(Stop::Close),
                    Some(Ok(_)) => {}
                },
            }
        }
    }

    /// Silence until the client leaves.
    pub(super) async fn park(&mut self) -> Result<(), Stop> {
        self.while_reading(std::future::pending::<()>()).await
    }

    pub(super) async fn send(&mut self, text: String) -> Result<(), Stop> {
        self.tx.send(Message::text(text)).await.map_err(|_| Stop::Close)
    }

    /// Sends `evs` paced by `delay` (on an absolute schedule, like the SSE pacer), cut as `tail` says.
    pub(super) async fn play(&mut self, evs: &[Value], delay: Duration, tail: &Tail) -> Result<(), Stop> {
        let mut last_due: Option<tokio::time::Instant> = None;
        for i in 0..=evs.len() {
            match tail {
                Tail::Stall(n) if i >= *n => return self.park().await,
                Tail::Drop(n) if i >= *n => return Err(Stop::Drop),
                Tail::Pause(n, gate) if i == *n => self.while_reading(gate.wait()).await?,
                _ => {}
            }
            let Some(ev) = evs.get(i) else { break };
            let now = tokio::time::Instant::now();
            let due = match last_due {
                Some(prev) if !delay.is_zero() => (prev + delay).max(now),
                _ => now,
            };
            if due > now {
                self.while_reading(tokio::time::sleep_until(due)).await?;
            }
            last_due = Some(due);
            self.send(ev.to_string()).await?;
        }
        Ok(())
    }

    /// Sends our close frame (or flushes the reply to the client's), then lets the client finish.
    pub(super) async fn close(&mut self) {
        let _ = self.tx.close().await;
        let drain = async { while let Some(Ok(_)) = self.rx.next().await {} };
        let _ = tokio::time::timeout(CLOSE_GRACE, drain).await;
    }
}
