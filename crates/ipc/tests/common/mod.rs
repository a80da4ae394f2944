//! Shared harness: a scripted handler, a server on a socket in a temp dir, and a raw client
//! that writes arbitrary bytes.

#![allow(dead_code, reason = "each test binary uses a different part of the harness")]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use codex_router_ipc::{
    BoxFuture, BoxStream, Handler, IpcListener, RpcError, ServeOptions, bind, local_endpoint, serve_with,
};
use futures_util::StreamExt;
use interprocess::local_socket::tokio::Stream;
use interprocess::local_socket::traits::tokio::Stream as _;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, ReadHalf, WriteHalf};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Upper bound for any single test step, so a bug fails the test instead of hanging CI.
pub const STEP: Duration = Duration::from_secs(20);

pub async fn within<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(STEP, future)
        .await
        .expect("test step timed out")
}

/// Methods: `echo` (returns params), `big` (`{"bytes": n}` → a string of n bytes), `panic`,
/// `yield` (yields to the scheduler a few times first). Subscriptions: `ticks` (relays
/// [`TestHandler::events`] until dropped), `countdown` (`{"n": k}` events then ends).
pub struct TestHandler {
    pub events: broadcast::Sender<Value>,
    /// Receives `()` each time a `ticks` subscription starts.
    subscribed: mpsc::UnboundedSender<()>,
    /// Receives `()` each time a subscription stream is dropped by the server.
    dropped: mpsc::UnboundedSender<()>,
}

pub struct HandlerProbes {
    pub subscribed: mpsc::UnboundedReceiver<()>,
    pub dropped: mpsc::UnboundedReceiver<()>,
}

impl TestHandler {
    pub fn new() -> (Arc<Self>, HandlerProbes) {
        let (events, _) = broadcast::channel(64);
        let (subscribed, subscribed_rx) = mpsc::unbounded_channel();
        let (dropped, dropped_rx) = mpsc::unbounded_channel();
        let handler = Arc::new(Self {
            events,
            subscribed,
            dropped,
        });
        (
            handler,
            HandlerProbes {
                subscribed: subscribed_rx,
                dropped: dropped_rx,
            },
        )
    }
}

/// Tells the test when the server dropped a subscription stream.
struct DropSignal(mpsc::UnboundedSender<()>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

impl Handler for TestHandler {
    fn call(&self, method: String, params: Value) -> BoxFuture<'static, Result<Value, RpcError>> {
        Box::pin(async move {
            match method.as_str() {
                "echo" => Ok(params),
                "big" => {
                    let n = params["bytes"].as_u64().unwrap_or(0) as usize;
                    Ok(Value::String("b".repeat(n)))
                }
                "panic" => panic!("scripted handler panic"),
                "yield" => {
                    for _ in 0..50 {
                        tokio::task::yield_now().await;
                    }
                    Ok(params)
                }
                _ => Err(RpcError::unknown_method(&method)),
            }
        })
    }

    fn subscribe(&self, method: &str, params: Value) -> Option<Result<BoxStream<'static, Value>, RpcError>> {
        let signal = DropSignal(self.dropped.clone());
        match method {
            "ticks" => {
                let rx = self.events.subscribe();
                let _ = self.subscribed.send(());
                let stream = futures_util::stream::unfold((rx, signal), |(mut rx, signal)| async move {
                    rx.recv().await.ok().map(|event| (event, (rx, signal)))
                });
                Some(Ok(stream.boxed()))
            }
            "countdown" => {
                let n = params["n"].as_u64().unwrap_or(0);
                let events: Vec<Value> = (0..n).map(|i| json!({"tick": i})).collect();
                let stream = futures_util::stream::iter(events).map(move |event| {
                    let _keep = &signal;
                    event
                });
                Some(Ok(stream.boxed()))
            }
            "refused" => Some(Err(RpcError::invalid_params("no subscription for you"))),
            _ => None,
        }
    }
}

/// A server running on `<tempdir>/run/codexctl.sock`.
pub struct TestServer {
    pub dir: tempfile::TempDir,
    pub socket: PathBuf,
    pub shutdown: CancellationToken,
    pub task: JoinHandle<Result<(), codex_router_ipc::IpcError>>,
    pub probes: HandlerProbes,
    pub handler: Arc<TestHandler>,
}

pub fn socket_in(dir: &Path) -> PathBuf {
    dir.join("run").join("codexctl.sock")
}

pub async fn start() -> TestServer {
    start_with(ServeOptions::default()).await
}

pub async fn start_with(options: ServeOptions) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let socket = socket_in(dir.path());
    let listener = bind(&socket).unwrap();
    spawn_server(dir, socket, listener, options)
}

pub fn spawn_server(
    dir: tempfile::TempDir,
    socket: PathBuf,
    listener: IpcListener,
    options: ServeOptions,
) -> TestServer {
    let (handler, probes) = TestHandler::new();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(serve_with(listener, handler.clone(), shutdown.clone(), options));
    TestServer {
        dir,
        socket,
        shutdown,
        task,
        probes,
        handler,
    }
}

/// A client that speaks raw lines, for frames the real client would never send.
pub struct Raw {
    pub reader: BufReader<ReadHalf<Stream>>,
    pub writer: WriteHalf<Stream>,
}

impl Raw {
    pub async fn connect(socket: &Path) -> Self {
        let endpoint = local_endpoint(socket);
        let stream = Stream::connect(endpoint.to_name().unwrap()).await.unwrap();
        let (reader, writer) = tokio::io::split(stream);
        Self {
            reader: BufReader::new(reader),
            writer,
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.unwrap();
        self.writer.flush().await.unwrap();
    }

    /// The next frame, or `None` when the server closed the connection.
    pub async fn recv(&mut self) -> Option<Value> {
        recv(&mut self.reader).await
    }
}

/// The next frame on `reader`, or `None` when the server closed the connection.
pub async fn recv(reader: &mut BufReader<ReadHalf<Stream>>) -> Option<Value> {
    let mut line = String::new();
    match within(reader.read_line(&mut line)).await {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(serde_json::from_str(&line).unwrap()),
    }
}

pub fn request(id: u64, method: &str, params: Value) -> Vec<u8> {
    let mut line = json!({"v": 1, "id": id, "method": method, "params": params})
        .to_string()
        .into_bytes();
    line.push(b'\n');
    line
}
