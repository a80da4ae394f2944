//! The committed part of one WebSocket response: the upstream's frames (or the HTTP
//! fallback's SSE events) relayed to the client as they arrive, the output items kept for the
//! conversation's context, and the end recorded on the stream's lease.

use std::collections::VecDeque;

use codex_router_core::record::StreamEnd;
use codex_router_core::wsframe::event_info;
use futures_util::{SinkExt, StreamExt};
use serde_json::value::RawValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::conn::{Conn, Flow, Rx, Tx, close};
use super::request::idle;
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
    /// Forwards one upstream event to the client, noting what the context needs.
    async fn event(&mut self, text: String) -> Result<Step, Flow> {
        let mut step = Step::More;
        if let Some(info) = event_info(&text) {
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
        match self.tx.send(Message::Text(text.into())).await {
            Ok(()) => Ok(step),
            Err(_) => {
                self.guard.end(StreamEnd::ClientGone);
                Err(Flow::Close(None))
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

    fn finish(&mut self, step: Step) -> Flow {
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
            match self.event(text).await {
                Ok(Step::Done) => return self.finish(Step::Done),
                Ok(_) => {}
                Err(flow) => return flow,
            }
        }
        let Some(up) = conn.upstream.as_mut() else {
            return self.finish(Step::Broken);
        };
        loop {
            let step = tokio::select! {
                m = tokio::time::timeout(idle(cfg), up.ws.next()) => match m {
                    Ok(Some(Ok(Message::Text(t)))) => match self.event(t.as_str().to_owned()).await {
                        Ok(step) => step,
                        Err(flow) => return flow,
                    },
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
                    return self.finish(Step::Broken);
                }
                Step::Done => return self.finish(Step::Done),
            }
        }
    }

    /// The HTTP fallback's SSE stream, each event's data sent as a frame.
    pub(crate) async fn sse(&mut self, cfg: &ProxyConfig, c: crate::forward::Committed) -> Flow {
        let mut splitter = SseSplitter::default();
        for chunk in c.held {
            for ev in splitter.push(&chunk) {
                if let Some(data) = ev.data {
                    match self.event(data).await {
                        Ok(Step::Done) => return self.finish(Step::Done),
                        Ok(_) => {}
                        Err(flow) => return flow,
                    }
                }
            }
        }
        let Some(mut rest) = c.rest else {
            return self.finish(Step::Done);
        };
        loop {
            let step = tokio::select! {
                m = tokio::time::timeout(idle(cfg), rest.next()) => match m {
                    Ok(Some(Ok(chunk))) => {
                        let mut step = Step::More;
                        for ev in splitter.push(&chunk) {
                            if let Some(data) = ev.data {
                                match self.event(data).await {
                                    Ok(Step::Done) => step = Step::Done,
                                    Ok(_) => {}
                                    Err(flow) => return flow,
                                }
                            }
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
                other => return self.finish(other),
            }
        }
    }
}
