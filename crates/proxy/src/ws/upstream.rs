//! The WebSocket client to an account's backend (`wss://…/backend-api/codex/responses`).
//!
//! reqwest does not speak WebSocket, so this client is built beside it with the same network
//! choices (`oauth::http`): the same trust roots (`oauth::root_store`), `TCP_NODELAY` (events
//! are small frames), the connect timeout, and the §4 outbound header rules. A refused
//! handshake comes back with its status, headers and body so the attempt loop classifies it
//! exactly like the HTTP answer.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Any byte stream the WebSocket runs over (plain TCP to a local upstream, TLS otherwise).
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

pub(crate) type UpstreamWs = WebSocketStream<Box<dyn Io>>;

/// Why an upstream WebSocket did not open.
#[derive(Debug)]
pub(crate) enum ConnectError {
    /// The handshake was answered with an HTTP status instead of `101`.
    Http {
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
    },
    /// Connect, TLS or handshake failed, or timed out.
    Network,
}

/// An open upstream connection and its handshake response headers.
pub(crate) struct Opened {
    pub ws: UpstreamWs,
    pub headers: HeaderMap,
}

/// `http(s)://host/backend-api` → `ws(s)://host/backend-api/codex/responses`.
pub(crate) fn ws_url(upstream_base: &str) -> Option<String> {
    let rest = upstream_base
        .strip_prefix("https://")
        .map(|r| format!("wss://{r}"))
        .or_else(|| upstream_base.strip_prefix("http://").map(|r| format!("ws://{r}")))?;
    Some(format!("{rest}/codex/responses"))
}

fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    Arc::clone(CONFIG.get_or_init(|| {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap_or_else(|_| rustls::ClientConfig::builder());
        Arc::new(
            builder
                .with_root_certificates(codex_router_oauth::root_store())
                .with_no_client_auth(),
        )
    }))
}

/// Opens an upstream WebSocket with `headers` (already rewritten for the account).
/// `env` is where proxy settings are read (the process environment, in the daemon).
pub(crate) async fn connect(
    url: &str,
    headers: HeaderMap,
    connect_timeout: Duration,
    handshake_timeout: Duration,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Opened, ConnectError> {
    let mut request = url.into_client_request().map_err(|_| ConnectError::Network)?;
    let uri = request.uri().clone();
    let host = uri.host().ok_or(ConnectError::Network)?.to_owned();
    let tls = uri.scheme_str() == Some("wss");
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    for (name, value) in &headers {
        request.headers_mut().append(name.clone(), value.clone());
    }
    let tcp = match super::tunnel::proxy_for(tls, &host, env) {
        Some(proxy) => super::tunnel::connect(&proxy, &host, port, connect_timeout)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "could not open the upstream WebSocket through the proxy");
                ConnectError::Network
            })?,
        None => tokio::time::timeout(connect_timeout, TcpStream::connect((host.as_str(), port)))
            .await
            .map_err(|_| ConnectError::Network)?
            .map_err(|_| ConnectError::Network)?,
    };
    let _ = tcp.set_nodelay(true);
    let io: Box<dyn Io> = if tls {
        let name = rustls::pki_types::ServerName::try_from(host).map_err(|_| ConnectError::Network)?;
        let connector = tokio_rustls::TlsConnector::from(tls_config());
        let stream = tokio::time::timeout(connect_timeout, connector.connect(name, tcp))
            .await
            .map_err(|_| ConnectError::Network)?
            .map_err(|_| ConnectError::Network)?;
        Box::new(stream)
    } else {
        Box::new(tcp)
    };
    let config = WebSocketConfig::default();
    let handshake = tokio_tungstenite::client_async_with_config(request, io, Some(config));
    match tokio::time::timeout(handshake_timeout, handshake).await {
        Err(_) => Err(ConnectError::Network),
        Ok(Ok((ws, resp))) => Ok(Opened {
            ws,
            headers: resp.headers().clone(),
        }),
        Ok(Err(tokio_tungstenite::tungstenite::Error::Http(resp))) => {
            let (parts, body) = resp.into_parts();
            Err(ConnectError::Http {
                status: parts.status,
                headers: parts.headers,
                body: Bytes::from(body.unwrap_or_default()),
            })
        }
        Ok(Err(_)) => Err(ConnectError::Network),
    }
}

/// A refusal meaning "this upstream has no WebSocket here" (SPEC §4.4: served over HTTP).
pub(crate) fn refuses_websocket(status: StatusCode) -> bool {
    matches!(status.as_u16(), 404 | 405 | 426)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_websocket_url_follows_the_upstream_base() {
        assert_eq!(
            ws_url("https://chatgpt.com/backend-api").as_deref(),
            Some("wss://chatgpt.com/backend-api/codex/responses")
        );
        assert_eq!(
            ws_url("http://127.0.0.1:9/backend-api").as_deref(),
            Some("ws://127.0.0.1:9/backend-api/codex/responses")
        );
        assert_eq!(ws_url("ftp://x"), None);
    }

    #[test]
    fn not_found_method_and_upgrade_required_mean_no_websocket() {
        for s in [404, 405, 426] {
            assert!(refuses_websocket(StatusCode::from_u16(s).unwrap()));
        }
        for s in [401, 429, 500, 503] {
            assert!(!refuses_websocket(StatusCode::from_u16(s).unwrap()));
        }
    }
}
