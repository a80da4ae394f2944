//! The handshake's attempt: open the upstream WebSocket for the chosen account.

use axum::response::Response;
use bytes::Bytes;
use codex_router_core::outcome::{Outcome, classify_http};

use codex_router_runtime::Credentials;
use http::{HeaderMap, StatusCode};

use super::upstream::{self, ConnectError, UpstreamWs};
use crate::attempts::{Attempt, Call, Transport};
use crate::headers::outbound;
use crate::{ProxyConfig, ProxyState, reply};

/// What the handshake opened for the connection.
pub(crate) enum Opened {
    WebSocket {
        ws: Box<UpstreamWs>,
        headers: HeaderMap,
    },
    /// The upstream has no WebSocket (or `[upstream] websocket = "off"`): every request of
    /// this connection goes over HTTP.
    Http,
}

pub(crate) type Refusal = (StatusCode, HeaderMap, Bytes);

pub(crate) struct Handshake<'a> {
    pub state: &'a ProxyState,
    pub cfg: &'a ProxyConfig,
    pub headers: &'a HeaderMap,
}

/// The client's handshake headers rewritten for an account, minus the WebSocket handshake's
/// own (the upstream handshake makes its own key; `permessage-deflate` is not offered).
pub(crate) fn ws_outbound(client: &HeaderMap, creds: &Credentials, drop_turn_state: bool) -> HeaderMap {
    let mut out = outbound(
        client,
        creds.access_token.expose(),
        creds.chatgpt_account_id.as_deref(),
        drop_turn_state,
    );
    for name in [
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-extensions",
        "sec-websocket-protocol",
        "sec-websocket-accept",
    ] {
        out.remove(name);
    }
    out
}

/// Opens the upstream WebSocket for `creds`, classified for the attempt loop.
pub(crate) async fn open<D, P>(
    cfg: &ProxyConfig,
    state: &ProxyState,
    headers: HeaderMap,
) -> Result<Opened, Call<D, P>>
where
    P: From<Refusal>,
{
    if !cfg.websocket {
        return Ok(Opened::Http);
    }
    let Some(url) = upstream::ws_url(&cfg.upstream_base) else {
        return Ok(Opened::Http);
    };
    let env = |name: &str| std::env::var(name).ok();
    match upstream::connect(&url, headers, cfg.connect_timeout, cfg.headers_timeout, &env).await {
        Ok(o) => Ok(Opened::WebSocket {
            ws: Box::new(o.ws),
            headers: o.headers,
        }),
        Err(ConnectError::Http { status, .. }) if upstream::refuses_websocket(status) => Ok(Opened::Http),
        Err(ConnectError::Http {
            status,
            headers,
            body,
        }) => {
            let outcome = classify_http(status.as_u16(), &headers, &body, state.runtime.now());
            Err(Call::Failed {
                outcome,
                status: Some(status.as_u16()),
                passthrough: Some(P::from((status, headers, body))),
            })
        }
        Err(ConnectError::Network) => Err(Call::Failed {
            outcome: Outcome::NetworkError,
            status: None,
            passthrough: None,
        }),
    }
}

impl Transport for Handshake<'_> {
    type Delivered = Opened;
    type PassThrough = Refusal;

    async fn call(&mut self, at: Attempt<'_>) -> Call<Opened, Refusal> {
        let Attempt { lease, creds, .. } = at;
        let headers = ws_outbound(self.headers, creds, lease.clean_body);
        match open::<Opened, Refusal>(self.cfg, self.state, headers).await {
            Ok(opened) => {
                let quota_headers = match &opened {
                    Opened::WebSocket { headers, .. } => headers.clone(),
                    Opened::Http => HeaderMap::new(),
                };
                Call::Delivered {
                    delivered: opened,
                    outcome: classify_http(200, &quota_headers, b"", self.state.runtime.now()),
                    status: Some(101),
                }
            }
            Err(call) => call,
        }
    }
}

/// The upstream's refusal of a handshake that no other account could replace.
pub(crate) fn refused(passthrough: Option<Refusal>, label: &str, attempts: u32) -> Response {
    let answer = passthrough.map(|(status, headers, body)| (status, crate::headers::inbound(&headers), body));
    reply::upstream_answer(answer, label, attempts)
}
