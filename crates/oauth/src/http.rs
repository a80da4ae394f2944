//! The one place outbound HTTP clients are configured, for the issuer and for the proxy's
//! upstream alike, so that corporate-network settings and latency choices cannot drift apart.
//!
//! What [`client_builder`] sets, and why:
//!
//! - **Trust roots** (SPEC §4 "Networks"): rustls with the OS trust store, through reqwest's
//!   `rustls-tls-native-roots` feature (`rustls-native-certs` 0.8). That crate honours
//!   `SSL_CERT_FILE` (a PEM bundle) and `SSL_CERT_DIR` (`:`-separated directories), but when
//!   either is set it loads *only* those and skips the OS store. The SPEC asks for the OS store
//!   *plus* `SSL_CERT_FILE` (a corporate CA file usually holds just the inspecting proxy's CA),
//!   so in that case the `trust` module adds the OS bundle file back on Unix, including macOS,
//!   whose `/etc/ssl/cert.pem` mirrors the system roots. On Windows the OS store is not added
//!   back: there `SSL_CERT_FILE` replaces it.
//! - **Proxies**: reqwest's default environment proxy, i.e. `HTTPS_PROXY`, `HTTP_PROXY`,
//!   `ALL_PROXY` and `NO_PROXY` (upper or lower case, curl rules). Loopback destinations are
//!   *not* exempt by themselves: a test or a local upstream behind a proxy needs `NO_PROXY`
//!   to cover `127.0.0.1,localhost`, or the caller adds `.no_proxy()`.
//! - **Latency**: `TCP_NODELAY` (SSE events are small writes; without it a Rust peer stalls
//!   ~40 ms at the end of every stream) and pooled keep-alive connections (idle 90 s).
//! - **No decompression**: the proxy must read SSE events as they arrive and forwards bytes
//!   as-is. The workspace enables no compression feature, and the builder also switches every
//!   decoder off explicitly, so a dependency enabling `gzip` on reqwest (Cargo unifies
//!   features) cannot silently turn it on.
//! - **No total timeout**: streams legitimately last many minutes; callers set per-request
//!   timeouts (`RequestBuilder::timeout`) where a bound makes sense.

use std::error::Error as _;
use std::time::Duration;

/// `codex-router/<version>`, so the issuer and upstream can tell this client apart.
pub const USER_AGENT: &str = concat!("codex-router/", env!("CARGO_PKG_VERSION"));

/// How long an idle pooled connection is kept for reuse.
pub const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);

/// Idle upstream connections kept per host. Each holds ~25 KiB of buffers; after a burst of a
/// thousand streams an unbounded pool would keep tens of MiB alive until the idle timeout, while
/// a Codex user needs a handful of warm connections. Sixteen keep a closed loop of 64 clients
/// reusing connections (measured in docs/benchmarks.md).
pub const POOL_MAX_IDLE_PER_HOST: usize = 16;

/// The configured builder every outbound client in the project starts from. Callers may add
/// settings (for example a request timeout) before `build()`.
pub fn client_builder(connect_timeout: Duration) -> reqwest::ClientBuilder {
    let mut builder = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(connect_timeout)
        .tcp_nodelay(true)
        .pool_idle_timeout(POOL_IDLE_TIMEOUT)
        .pool_max_idle_per_host(POOL_MAX_IDLE_PER_HOST)
        .no_gzip()
        .no_brotli()
        .no_zstd()
        .no_deflate();
    for cert in crate::trust::os_roots_displaced_by_env() {
        builder = builder.add_root_certificate(cert);
    }
    builder
}

/// Upper bound on an issuer response body we read: token answers are a few KiB, and an
/// unbounded read would let a broken middlebox make us buffer anything.
pub(crate) const MAX_ISSUER_BODY: usize = 1024 * 1024;

/// Reads a response body, keeping at most [`MAX_ISSUER_BODY`] bytes.
pub(crate) async fn read_capped(mut resp: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        let room = MAX_ISSUER_BODY.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_ISSUER_BODY {
            break;
        }
    }
    Ok(body)
}

/// A transport error as one line, with its causes ("connection refused", "operation timed
/// out") that `reqwest::Error`'s own `Display` leaves out. Tokens travel in request bodies,
/// never in URLs, so the URL reqwest mentions carries no secret.
pub(crate) fn describe(err: &reqwest::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    if err.is_timeout() && !out.contains("timed out") {
        out.insert_str(0, "timed out: ");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_builds_and_names_itself() {
        assert!(USER_AGENT.starts_with("codex-router/"));
        assert!(client_builder(Duration::from_secs(1)).build().is_ok());
    }

    #[tokio::test]
    async fn user_agent_is_sent_and_body_is_capped() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            let n = sock.read(&mut buf).await.unwrap();
            let head = String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase();
            let body = vec![b'x'; MAX_ISSUER_BODY + 10];
            let reply = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len());
            sock.write_all(reply.as_bytes()).await.unwrap();
            let _ = sock.write_all(&body).await;
            head
        });
        // Loopback must not go through a proxy the environment may name.
        let client = client_builder(Duration::from_secs(5)).no_proxy().build().unwrap();
        let resp = client.get(format!("http://{addr}/")).send().await.unwrap();
        assert_eq!(read_capped(resp).await.unwrap().len(), MAX_ISSUER_BODY);
        let head = server.await.unwrap();
        assert!(head.contains(&format!("user-agent: {}", USER_AGENT.to_ascii_lowercase())));
        assert!(
            !head.contains("accept-encoding"),
            "no compression is ever asked for: {head}"
        );
    }

    #[tokio::test]
    async fn describe_names_the_cause() {
        // Bind then drop to get a port nobody listens on.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let client = client_builder(Duration::from_secs(5)).no_proxy().build().unwrap();
        let err = client.get(format!("http://{addr}/")).send().await.unwrap_err();
        let text = describe(&err);
        assert!(text.contains("error sending request"), "{text}");
        assert!(text.len() > err.to_string().len(), "causes appended: {text}");
    }
}
