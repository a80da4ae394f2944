//! The load generator's HTTP side: one HTTP/1.1 keep-alive connection per virtual user (hyper's
//! low-level client, so no pool or extra task sits between the socket and the timestamps), and the
//! timing of one request from the first byte written to the end of its stream.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request};
use http_body_util::{BodyExt as _, Empty, Full};
use hyper::client::conn::http1::{SendRequest, handshake};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::sse_scan::EventScanner;

pub type Sender = SendRequest<Full<Bytes>>;

/// Where a run sends its requests, and the credentials it adds.
#[derive(Debug, Clone)]
pub struct Target {
    /// `direct`, `router` or `nginx`.
    pub name: String,
    pub addr: SocketAddr,
    pub path: String,
    /// Direct: the account's bearer and `chatgpt-account-id`; router: the client key; nginx: nothing
    /// (its config injects the account's, like the router does).
    pub auth: Vec<(HeaderName, HeaderValue)>,
}

/// One finished request. Times are microseconds from just before the request was written.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    pub vu: usize,
    pub status: u16,
    pub headers_us: u64,
    pub first_byte_us: Option<u64>,
    pub first_output_us: Option<u64>,
    pub total_us: u64,
    pub events: u32,
    /// A `response.completed` event arrived: the stream really ended, it was not cut.
    pub completed: bool,
    pub coalesced: u32,
    /// `x-codex-router-attempts` and `x-codex-router-account` (router only).
    pub attempts: Option<u32>,
    pub account: Option<String>,
    /// The start of a non-2xx body, for the error report.
    pub error_body: Option<String>,
}

impl Sample {
    pub fn ok(&self) -> bool {
        self.status == 200 && self.completed
    }
}

/// Opens a connection with `TCP_NODELAY`, as Codex's client does.
pub async fn connect(addr: SocketAddr) -> anyhow::Result<Sender> {
    let tcp = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    tcp.set_nodelay(true).context("setting TCP_NODELAY")?;
    let (sender, conn) = handshake(TokioIo::new(tcp)).await.context("HTTP/1.1 handshake")?;
    tokio::spawn(async move {
        // Ends when the sender is dropped or the peer closes; either way there is nothing to report.
        let _ = conn.await;
    });
    Ok(sender)
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Sends `req` and reads the whole response; SSE gaps are appended to `gaps_us`.
pub async fn send(
    sender: &mut Sender,
    req: Request<Full<Bytes>>,
    vu: usize,
    gaps_us: &mut Vec<u32>,
) -> anyhow::Result<Sample> {
    sender.ready().await.context("connection not ready")?;
    let t0 = Instant::now();
    let resp = sender.send_request(req).await.context("sending the request")?;
    let headers_at = Instant::now();
    let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok());
    let mut sample = Sample {
        vu,
        status: resp.status().as_u16(),
        headers_us: micros(headers_at - t0),
        attempts: header("x-codex-router-attempts").and_then(|v| v.parse().ok()),
        account: header("x-codex-router-account").map(str::to_owned),
        ..Sample::default()
    };
    let mut body = resp.into_body();
    let mut scanner = EventScanner::default();
    let mut error_body = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.context("reading the response body")?;
        let Ok(data) = frame.into_data() else { continue };
        if data.is_empty() {
            continue;
        }
        let at = Instant::now();
        sample.first_byte_us.get_or_insert(micros(at - t0));
        if sample.status == 200 {
            scanner.feed(&data, at, gaps_us);
        } else if error_body.len() < 512 {
            error_body.extend_from_slice(&data);
        }
    }
    sample.total_us = micros(t0.elapsed());
    sample.events = scanner.events;
    sample.completed = scanner.completed;
    sample.coalesced = scanner.coalesced;
    sample.first_output_us = scanner.first_output.map(|at| micros(at - t0));
    if sample.status != 200 {
        sample.error_body = Some(String::from_utf8_lossy(&error_body).chars().take(300).collect());
    }
    Ok(sample)
}

/// A one-off `GET` (healthz, metrics): status and body.
pub async fn get(addr: SocketAddr, path: &str, bearer: Option<&str>) -> anyhow::Result<(u16, Bytes)> {
    let tcp = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    let (mut sender, conn) = handshake::<_, Empty<Bytes>>(TokioIo::new(tcp))
        .await
        .context("handshake")?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let mut req = Request::get(path).header(http::header::HOST, addr.to_string());
    if let Some(key) = bearer {
        req = req.header(http::header::AUTHORIZATION, format!("Bearer {key}"));
    }
    let resp = sender
        .send_request(req.body(Empty::new()).context("building the request")?)
        .await
        .with_context(|| format!("GET {path}"))?;
    let status = resp.status().as_u16();
    let body = resp
        .into_body()
        .collect()
        .await
        .context("reading the body")?
        .to_bytes();
    Ok((status, body))
}
