//! The `codexctl` side: connect, call, subscribe.
//!
//! Ids start at 1 and increase per connection; a reply whose id does not match the pending call
//! (left over from a call that timed out) is skipped, while an error frame with id 0 is taken
//! as the answer, because that is how the daemon answers what it could not attribute
//! (`daemon_busy`, an unparseable frame).

use std::io;
use std::path::Path;
use std::time::Duration;

use codex_router_protocol::{ErrorCode, MAX_FRAME_BYTES, Request, ServerFrame};
use futures_util::Stream;
use interprocess::local_socket::tokio::Stream as LocalStream;
use interprocess::local_socket::traits::tokio::Stream as _;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::io::{BufReader, ReadHalf, WriteHalf};

use crate::endpoint::{Endpoint, local_endpoint};
use crate::framing::{ReadOutcome, encode, read_line, write_bytes};
use crate::{IpcError, RpcError};

/// Default bound on one call, so `codexctl` never hangs on a wedged daemon.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// How much of an oversized or unparseable reply to keep for the error message.
const RAW_REPLY_PREVIEW: usize = 4096;

/// A connection to the daemon's control socket.
#[derive(Debug)]
pub struct IpcClient {
    reader: BufReader<ReadHalf<LocalStream>>,
    writer: WriteHalf<LocalStream>,
    endpoint: Endpoint,
    next_id: u64,
    timeout: Option<Duration>,
    line: Vec<u8>,
}

impl IpcClient {
    /// Connects to the daemon owning `socket_path`. [`IpcError::NotRunning`] when there is no
    /// socket or nobody listens on it.
    pub async fn connect(socket_path: &Path) -> Result<Self, IpcError> {
        Self::connect_endpoint(local_endpoint(socket_path)).await
    }

    pub async fn connect_endpoint(endpoint: Endpoint) -> Result<Self, IpcError> {
        let io_err = |source| IpcError::Io {
            endpoint: endpoint.to_string(),
            source,
        };
        let stream = match LocalStream::connect(endpoint.to_name().map_err(io_err)?).await {
            Ok(stream) => stream,
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
                ) =>
            {
                return Err(IpcError::NotRunning {
                    endpoint: endpoint.to_string(),
                });
            }
            Err(err) => return Err(io_err(err)),
        };
        let (read_half, writer) = tokio::io::split(stream);
        Ok(Self {
            reader: BufReader::new(read_half),
            writer,
            endpoint,
            next_id: 1,
            timeout: Some(DEFAULT_CALL_TIMEOUT),
            line: Vec::new(),
        })
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Bound for later [`IpcClient::call`]s; `None` waits forever.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }

    /// Calls `method` with the client's timeout.
    pub async fn call(&mut self, method: &str, params: Value) -> Result<Value, IpcError> {
        self.call_with_timeout(method, params, self.timeout).await
    }

    /// Calls `method`, giving up after `timeout` (`None`: never).
    pub async fn call_with_timeout(
        &mut self,
        method: &str,
        params: Value,
        timeout: Option<Duration>,
    ) -> Result<Value, IpcError> {
        let exchange = async {
            let id = self.send(method, params).await?;
            self.read_reply(id).await
        };
        match timeout {
            None => exchange.await,
            Some(limit) => tokio::time::timeout(limit, exchange)
                .await
                .map_err(|_| IpcError::Timeout {
                    method: method.to_owned(),
                    timeout: limit,
                })?,
        }
    }

    /// [`IpcClient::call`] with typed params and result; a result that does not decode is a
    /// [`IpcError::BadReply`] carrying the result's JSON.
    pub async fn call_typed<P, R>(&mut self, method: &str, params: &P) -> Result<R, IpcError>
    where
        P: Serialize,
        R: DeserializeOwned,
    {
        let params = serde_json::to_value(params)
            .map_err(|err| RpcError::invalid_params(format!("params do not serialise: {err}")))?;
        let result = self.call(method, params).await?;
        serde_json::from_value(result.clone()).map_err(|_| IpcError::BadReply {
            raw: result.to_string(),
        })
    }

    /// Starts a subscription and returns its events. The stream ends when the daemon ends the
    /// subscription; an error item (daemon error frame, hang-up) is always the last. The
    /// connection belongs to the subscription: the daemon closes it afterwards, and dropping
    /// the stream is how the client unsubscribes.
    pub async fn subscribe(
        &mut self,
        method: &str,
        params: Value,
    ) -> Result<impl Stream<Item = Result<Value, IpcError>> + '_, IpcError> {
        let id = self.send(method, params).await?;
        Ok(futures_util::stream::unfold(
            Some(self),
            move |client| async move {
                let client = client?;
                match client.next_event(id).await {
                    Ok(Some(event)) => Some((Ok(event), Some(client))),
                    Ok(None) => None,
                    Err(err) => Some((Err(err), None)),
                }
            },
        ))
    }

    /// The next event of subscription `id`; `None` once the daemon ended it normally.
    async fn next_event(&mut self, id: u64) -> Result<Option<Value>, IpcError> {
        loop {
            match self.read_frame().await? {
                ServerFrame::Event(frame) if frame.id == id => return Ok(Some(frame.event)),
                ServerFrame::Response(frame) if frame.id == id => return Ok(None),
                ServerFrame::Error(frame) if frame.id == id || frame.id == 0 => {
                    return Err(RpcError::from_reply(frame.error).into());
                }
                _ => continue,
            }
        }
    }

    async fn send(&mut self, method: &str, params: Value) -> Result<u64, IpcError> {
        let id = self.next_id;
        self.next_id += 1;
        let bytes = encode(&Request::new(id, method, params)).map_err(|err| self.io_error(err))?;
        if bytes.len() > MAX_FRAME_BYTES + 1 {
            let message = format!("request exceeds {MAX_FRAME_BYTES} bytes");
            return Err(RpcError::new(ErrorCode::FrameTooLarge, message).into());
        }
        if let Err(err) = write_bytes(&mut self.writer, &bytes).await {
            return Err(self.write_failed(err).await);
        }
        Ok(id)
    }

    /// A daemon that closes a connection at once (`daemon_busy`) may do so before our request
    /// is written; its reason is then still waiting in the receive buffer, and beats "closed".
    async fn write_failed(&mut self, err: io::Error) -> IpcError {
        let err = self.io_error(err);
        if matches!(err, IpcError::Closed)
            && let Ok(ServerFrame::Error(frame)) = self.read_frame().await
        {
            return RpcError::from_reply(frame.error).into();
        }
        err
    }

    async fn read_reply(&mut self, id: u64) -> Result<Value, IpcError> {
        loop {
            match self.read_frame().await? {
                ServerFrame::Response(frame) if frame.id == id => return Ok(frame.result),
                ServerFrame::Error(frame) if frame.id == id || frame.id == 0 => {
                    return Err(RpcError::from_reply(frame.error).into());
                }
                other => tracing::debug!(id = other.id(), "skipping a frame for another request"),
            }
        }
    }

    async fn read_frame(&mut self) -> Result<ServerFrame, IpcError> {
        loop {
            let outcome = read_line(&mut self.reader, &mut self.line, MAX_FRAME_BYTES)
                .await
                .map_err(|err| self.io_error(err))?;
            match outcome {
                ReadOutcome::Eof => return Err(IpcError::Closed),
                ReadOutcome::Line if self.line.iter().all(u8::is_ascii_whitespace) => continue,
                ReadOutcome::Line => {}
                ReadOutcome::Truncated | ReadOutcome::TooLarge => return Err(self.bad_reply(outcome)),
            }
            return serde_json::from_slice(&self.line).map_err(|_| self.bad_reply(outcome));
        }
    }

    fn bad_reply(&self, outcome: ReadOutcome) -> IpcError {
        let shown = self.line.get(..RAW_REPLY_PREVIEW).unwrap_or(&self.line);
        let mut raw = String::from_utf8_lossy(shown).into_owned();
        match outcome {
            ReadOutcome::TooLarge => raw.push_str(&format!("… (reply exceeds {MAX_FRAME_BYTES} bytes)")),
            ReadOutcome::Truncated => raw.push_str("… (connection closed mid-reply)"),
            _ if shown.len() < self.line.len() => raw.push('…'),
            _ => {}
        }
        IpcError::BadReply { raw }
    }

    /// A hang-up is [`IpcError::Closed`]; anything else is an I/O error on the endpoint.
    fn io_error(&self, err: io::Error) -> IpcError {
        match err.kind() {
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset | io::ErrorKind::UnexpectedEof => {
                IpcError::Closed
            }
            _ => IpcError::Io {
                endpoint: self.endpoint.to_string(),
                source: err,
            },
        }
    }
}
