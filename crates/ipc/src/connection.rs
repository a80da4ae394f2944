//! One accepted connection: read a frame, answer it, repeat, strictly in order.
//!
//! Every write error means the peer is gone; the connection then ends quietly (a `debug` log),
//! because a client hanging up mid-reply is normal (`codexctl … | head`) and must never take
//! the daemon down. A subscription takes the connection over until its stream ends, the client
//! hangs up, or the daemon shuts down; the connection closes after it.

use std::io;
use std::panic::AssertUnwindSafe;

use codex_router_protocol::{
    ErrorBody, ErrorCode, ErrorFrame, EventFrame, MAX_FRAME_BYTES, Request, Response,
};
use futures_util::stream::BoxStream;
use futures_util::{FutureExt, StreamExt};
use interprocess::local_socket::tokio::Stream;
use serde_json::Value;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, BufReader};
use tokio_util::sync::CancellationToken;
use tracing::debug;

use crate::dispatch::parse_request;
use crate::framing::{ReadOutcome, encode, read_line, write_bytes, write_frame};
use crate::{Handler, RpcError};

/// Serves one connection to completion; never panics on peer behaviour.
pub(crate) async fn run(stream: Stream, handler: &dyn Handler, shutdown: &CancellationToken) {
    let (read_half, mut writer) = tokio::io::split(stream);
    let mut reader = BufReader::new(read_half);
    if let Err(err) = serve_frames(&mut reader, &mut writer, handler, shutdown).await {
        debug!(error = %err, "control connection ended by an I/O error");
    }
}

async fn serve_frames<R, W>(
    reader: &mut R,
    writer: &mut W,
    handler: &dyn Handler,
    shutdown: &CancellationToken,
) -> io::Result<()>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut line = Vec::new();
    loop {
        let outcome = tokio::select! {
            biased;
            () = shutdown.cancelled() => return Ok(()),
            outcome = read_line(reader, &mut line, MAX_FRAME_BYTES) => outcome?,
        };
        match outcome {
            ReadOutcome::Eof | ReadOutcome::Truncated => return Ok(()),
            ReadOutcome::TooLarge => {
                debug!("closing a control connection that sent an oversized frame");
                return write_frame(writer, &ErrorFrame::new(0, ErrorBody::frame_too_large())).await;
            }
            ReadOutcome::Line if line.iter().all(u8::is_ascii_whitespace) => continue,
            ReadOutcome::Line => {}
        }
        let request = match parse_request(&line) {
            Ok(request) => request,
            Err(frame) => {
                write_frame(writer, &frame).await?;
                continue;
            }
        };
        let id = request.id;
        match subscribe(handler, &request) {
            Some(Ok(events)) => return stream_events(reader, writer, id, events, shutdown).await,
            Some(Err(err)) => write_bytes(writer, &encode_reply(id, Err(err))).await?,
            None => write_bytes(writer, &encode_reply(id, call(handler, request).await)).await?,
        }
    }
}

/// Asks the handler whether this is a subscription, turning a panic into `internal`.
fn subscribe(
    handler: &dyn Handler,
    request: &Request,
) -> Option<Result<BoxStream<'static, Value>, RpcError>> {
    let attempt = || handler.subscribe(&request.method, request.params.clone());
    std::panic::catch_unwind(AssertUnwindSafe(attempt)).unwrap_or_else(|_| Some(Err(panicked())))
}

/// Runs one call, turning a panic in the handler into an `internal` answer.
async fn call(handler: &dyn Handler, request: Request) -> Result<Value, RpcError> {
    let start = || handler.call(request.method, request.params);
    let Ok(future) = std::panic::catch_unwind(AssertUnwindSafe(start)) else {
        return Err(panicked());
    };
    AssertUnwindSafe(future)
        .catch_unwind()
        .await
        .unwrap_or_else(|_| Err(panicked()))
}

fn panicked() -> RpcError {
    RpcError::internal("codex-routerd failed while handling this request (see its log)")
}

/// Encodes a reply, replacing one that would exceed the frame limit (or cannot be encoded)
/// by an `internal` error: the client enforces the same limit and would reject it.
fn encode_reply(id: u64, reply: Result<Value, RpcError>) -> Vec<u8> {
    let encoded = match reply {
        Ok(result) => encode(&Response::new(id, result)),
        Err(err) => encode(&ErrorFrame::new(id, err.into())),
    };
    match encoded {
        Ok(bytes) if bytes.len() <= MAX_FRAME_BYTES + 1 => bytes,
        _ => {
            let body = ErrorBody::new(
                ErrorCode::Internal,
                format!("reply exceeds {MAX_FRAME_BYTES} bytes"),
            );
            encode(&ErrorFrame::new(id, body)).unwrap_or_default()
        }
    }
}

/// Relays subscription events. The client is not expected to send anything meanwhile; reading
/// is only how a hang-up is noticed, and whatever arrives is discarded.
async fn stream_events<R, W>(
    reader: &mut R,
    writer: &mut W,
    id: u64,
    mut events: BoxStream<'static, Value>,
    shutdown: &CancellationToken,
) -> io::Result<()>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    loop {
        tokio::select! {
            biased;
            () = shutdown.cancelled() => {
                let body = ErrorBody::new(ErrorCode::Unavailable, "codex-routerd is shutting down");
                return write_frame(writer, &ErrorFrame::new(id, body)).await;
            }
            received = async { reader.fill_buf().await.map(<[u8]>::len) } => match received? {
                0 => return Ok(()),
                n => reader.consume(n),
            },
            event = events.next() => {
                let Some(event) = event else {
                    return write_frame(writer, &Response::new(id, Value::Null)).await;
                };
                let bytes = encode(&EventFrame::new(id, event))?;
                if bytes.len() > MAX_FRAME_BYTES + 1 {
                    let reply = Err(RpcError::internal("event exceeds the frame limit; subscription ended"));
                    return write_bytes(writer, &encode_reply(id, reply)).await;
                }
                write_bytes(writer, &bytes).await?;
            }
        }
    }
}
