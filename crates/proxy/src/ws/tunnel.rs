//! The upstream WebSocket through a corporate proxy (SPEC §4 "Networks": `HTTPS_PROXY` /
//! `NO_PROXY`), the way reqwest does it for the HTTP client: an HTTP `CONNECT` tunnel, then TLS
//! to the backend inside it, so TLS inspection sees what it sees for every other request.

use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// A proxy to tunnel through: where it listens and its `Proxy-Authorization`, if any.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ProxyUrl {
    pub host: String,
    pub port: u16,
    /// `Basic <base64(user:password)>` from the URL's userinfo. Never logged.
    auth: Option<String>,
}

impl std::fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyUrl")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("auth", &self.auth.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

fn first_set(env: &impl Fn(&str) -> Option<String>, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| env(n).filter(|v| !v.trim().is_empty()))
}

/// `NO_PROXY` as curl reads it: `*`, or comma-separated hosts that match exactly or as a
/// domain suffix (a leading dot is optional); ports in entries are ignored.
fn bypassed(host: &str, no_proxy: &str) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    no_proxy
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let entry = entry.to_ascii_lowercase();
            let entry = match entry.rsplit_once(':') {
                Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !h.contains(':') => h.to_owned(),
                _ => entry,
            };
            let name = entry.trim_start_matches('.');
            host == name || host.ends_with(&format!(".{name}"))
        })
}

/// The proxy for a connection to `host` (`tls`: a `wss://` URL), read from `env` with the
/// variables reqwest honours; `None` when none applies.
pub(crate) fn proxy_for(tls: bool, host: &str, env: impl Fn(&str) -> Option<String>) -> Option<ProxyUrl> {
    let names: &[&str] = if tls {
        &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
    } else {
        &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
    };
    let raw = first_set(&env, names)?;
    if let Some(no) = first_set(&env, &["NO_PROXY", "no_proxy"])
        && bypassed(host, &no)
    {
        return None;
    }
    let with_scheme = if raw.contains("://") {
        raw
    } else {
        format!("http://{raw}")
    };
    let url = url::Url::parse(&with_scheme).ok()?;
    if url.scheme() != "http" {
        // An https:// or socks proxy is not something this tunnel speaks.
        tracing::warn!(
            scheme = url.scheme(),
            "unsupported proxy scheme for the upstream WebSocket; connecting directly"
        );
        return None;
    }
    let auth = (!url.username().is_empty()).then(|| {
        let user = percent_decode(url.username());
        let pass = percent_decode(url.password().unwrap_or(""));
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
        )
    });
    Some(ProxyUrl {
        host: url.host_str()?.to_owned(),
        port: url.port().unwrap_or(80),
        auth,
    })
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Upper bound on the proxy's answer to `CONNECT`; it is a status line and a few headers.
const MAX_CONNECT_REPLY: usize = 16 << 10;

/// Opens a `CONNECT` tunnel to `host:port` through `proxy`.
pub(crate) async fn connect(
    proxy: &ProxyUrl,
    host: &str,
    port: u16,
    timeout: Duration,
) -> std::io::Result<TcpStream> {
    let work = async {
        let mut tcp = TcpStream::connect((proxy.host.as_str(), proxy.port)).await?;
        let _ = tcp.set_nodelay(true);
        let authority = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let mut req = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
        if let Some(auth) = &proxy.auth {
            req.push_str(&format!("Proxy-Authorization: {auth}\r\n"));
        }
        req.push_str("\r\n");
        tcp.write_all(req.as_bytes()).await?;
        let mut reply = Vec::with_capacity(256);
        let mut byte = [0u8; 1];
        // Byte by byte: nothing after the blank line may be consumed, it belongs to TLS.
        while !reply.ends_with(b"\r\n\r\n") {
            if tcp.read(&mut byte).await? == 0 || reply.len() >= MAX_CONNECT_REPLY {
                return Err(std::io::Error::other(
                    "the proxy closed or overflowed its CONNECT answer",
                ));
            }
            reply.push(byte[0]);
        }
        let status_line = reply.split(|&b| b == b'\r').next().unwrap_or_default();
        let ok = std::str::from_utf8(status_line)
            .ok()
            .and_then(|l| l.split_whitespace().nth(1))
            .is_some_and(|code| code.starts_with('2'));
        if !ok {
            return Err(std::io::Error::other(format!(
                "the proxy refused the tunnel: {}",
                String::from_utf8_lossy(status_line)
            )));
        }
        Ok(tcp)
    };
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| std::io::Error::other("the proxy tunnel timed out"))?
}

#[cfg(test)]
#[path = "tunnel_tests.rs"]
mod tests;
