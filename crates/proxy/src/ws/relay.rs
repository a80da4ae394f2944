//! The committed part of one WebSocket response: the upstream's frames (or the HTTP
//! fallback's SSE events) relayed to the client as they arrive, the output items kept for the
//! conversation's context, and the end recorded on the stream's lease.

use std::collections::VecDeque;

use codex_router_core::record::StreamEnd;
use codex_router_core::wsframe::event_info;
use futures_util::{FutureExt, SinkExt, StreamExt};
use serde_json::value::RawValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};

use super::conn::{Conn, Flow, Rx, Tx, close};
use super::request::idle;
use super::upstream::UpstreamWs;
use crate::ProxyConfig;
use crate::relay::StreamGuard;
use crate::sse::SseSplitter;

/// The committed part of one response: frames relayed as they arrive, the output kept.
pub(crate) struct Relay<'a> {
    pub tx: &'a mut Tx,
    pub rx: &'a mut Rx,
    pub queue: &'a mut VecDeque<Message>,
    pub guard: StreamGuard,
    pub outputs: Vec<Box<RawValue>>,
    pub response_id: Option<String>,
    pub completed: bool,
}

enum Step {
    More,
    Done,
    Broken,
}

impl Relay<'_> {
    /// Queues one upstream event for the client (sent at the next flush), noting what the
    /// context needs. The frame's bytes are passed on, never copied.
    async fn event(&mut self, text: Utf8Bytes) -> Result<Step, Flow> {
        let mut step = Step::More;
        if let Some(info) = event_info(text.as_str()) {
            if self.response_id.is_none() {
                self.response_id = info.response_id.clone();
            }
            if info.kind == "response.completed" {
                self.completed = true;
            }
            if info.is_terminal() {
                step = Step::Done;
            }
            if let Some(item) = info.output_item {
                self.outputs.push(item);
            }
        }
        match self.tx.feed(Message::Text(text)).await {
            Ok(()) => Ok(step),
            Err(_) => Err(self.client_gone()),
        }
    }

    /// Writes what was queued: one write for the frames that arrived together.
    async fn flush(&mut self) -> Result<(), Flow> {
        match self.tx.flush().await {
            Ok(()) => Ok(()),
            Err(_) => Err(self.client_gone()),
        }
    }

    fn client_gone(&mut self) -> Flow {
        self.guard.end(StreamEnd::ClientGone);
        Flow::Close(None)
    }

    /// Takes the upstream frames that have already arrived (never waits for one that has
    /// not), so a burst of events becomes one write to the client instead of one per event.
    async fn drain_ready(&mut self, ws: &mut UpstreamWs) -> Result<Step, Flow> {
        loop {
            match ws.next().now_or_never() {
                None => return Ok(Step::More),
                Some(Some(Ok(Message::Text(t)))) => match self.event(t).await? {
                    Step::More => {}
                    other => return Ok(other),
                },
                Some(Some(Ok(Message::Close(_)) | Err(_)) | None) => return Ok(Step::Broken),
                Some(Some(Ok(_))) => {}
            }
        }
    }

    /// A client frame while a response is in flight: kept for after it; a hang-up ends it.
    fn client(&mut self, m: Option<Result<Message, WsError>>) -> Result<(), Flow> {
        match m {
            Some(Ok(m @ (Message::Text(_) | Message::Binary(_)))) => {
                self.queue.push_back(m);
                Ok(())
            }
            Some(Ok(Message::Close(_)) | Err(_)) | None => {
                self.guard.end(StreamEnd::ClientGone);
                Err(Flow::Close(None))
            }
            Some(Ok(_)) => Ok(()),
        }
    }

    async fn finish(&mut self, step: Step) -> Flow {
        if let Err(flow) = self.flush().await {
            return flow;
        }
        match step {
            Step::Done | Step::More => {
                self.guard.end(StreamEnd::Completed);
                Flow::Continue
            }
            Step::Broken => {
                self.completed = false;
                self.guard.end(StreamEnd::UpstreamBroken);
                close(CloseCode::Error, "the upstream connection broke")
            }
        }
    }

    pub(crate) async fn frames(&mut self, conn: &mut Conn, cfg: &ProxyConfig, held: Vec<String>) -> Flow {
        for text in held {
            match self.event(text.into()).await {
                Ok(Step::Done) => return self.finish(Step::Done).await,
                Ok(_) => {}
                Err(flow) => return flow,
            }
        }
        let Some(up) = conn.upstream.as_mut() else {
            return self.finish(Step::Broken).await;
        };
        let drained = match self.drain_ready(&mut up.ws).await {
            Ok(step) => step,
            Err(flow) => return flow,
        };
        match drained {
            Step::More => {
                if let Err(flow) = self.flush().await {
                    return flow;
                }
            }
            Step::Broken => {
                conn.upstream = None;
                return self.finish(Step::Broken).await;
            }
            Step::Done => return self.finish(Step::Done).await,
        }
        loop {
            let step = tokio::select! {
                m = tokio::time::timeout(idle(cfg), up.ws.next()) => match m {
                    Ok(Some(Ok(Message::Text(t)))) => {
                        let step = match self.event(t).await {
                            Ok(Step::More) => self.drain_ready(&mut up.ws).await,
                            other => other,
                        };
                        match step {
                            Ok(Step::More) => match self.flush().await {
                                Ok(()) => Step::More,
                                Err(flow) => return flow,
                            },
                            Ok(step) => step,
                            Err(flow) => return flow,
                        }
                    }
                    Ok(Some(Ok(Message::Close(_)) | Err(_))) | Ok(None) | Err(_) => Step::Broken,
                    Ok(Some(Ok(_))) => Step::More,
                },
                m = self.rx.next() => match self.client(m) {
                    Ok(()) => Step::More,
                    Err(flow) => return flow,
                },
            };
            match step {
                Step::More => {}
                Step::Broken => {
                    conn.upstream = None;
                    return self.finish(Step::Broken).await;
                }
                Step::Done => return self.finish(Step::Done).await,
            }
        }
    }

    /// The HTTP fallback's SSE stream, each event's data sent as a frame.
    pub(crate) async fn sse(&mut self, cfg: &ProxyConfig, c: crate::forward::Committed) -> Flow {
        let mut splitter = SseSplitter::default();
        for chunk in c.held {
            for ev in splitter.push(&chunk) {
                if let Some(data) = ev.data {
                    match self.event(data.into()).await {
                        Ok(Step::Done) => return self.finish(Step::Done).await,
                        Ok(_) => {}
                        Err(flow) => return flow,
                    }
                }
            }
        }
        let Some(mut rest) = c.rest else {
            return self.finish(Step::Done).await;
        };
        loop {
            let step = tokio::select! {
                m = tokio::time::timeout(idle(cfg), rest.next()) => match m {
                    Ok(Some(Ok(chunk))) => {
                        let mut step = Step::More;
                        for ev in splitter.push(&chunk) {
                            if let Some(data) = ev.data {
                                match self.event(data.into()).await {
                                    Ok(Step::Done) => step = Step::Done,
                                    Ok(_) => {}
                                    Err(flow) => return flow,
                                }
                            }
                        }
                        if let Err(flow) = self.flush().await {
                            return flow;
                        }
                        step
                    }
                    Ok(None) => Step::Done,
                    Ok(Some(Err(_))) | Err(_) => Step::Broken,
                },
                m = self.rx.next() => match self.client(m) {
                    Ok(()) => Step::More,
                    Err(flow) => return flow,
                },
            };
            match step {
                Step::More => {}
                other => return self.finish(other).await,
            }
        }
    }
}
