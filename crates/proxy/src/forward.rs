//! One HTTP client request through the pool (SPEC §4.1–§4.3): the HTTP/SSE implementation of
//! "make one attempt", run by the shared attempt loop in [`crate::attempts`].

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use codex_router_core::body::{self, BodyPeek};
use codex_router_core::outcome::{Outcome, classify_http};
use codex_router_core::select::{Lease, RequestCtx};
use codex_router_core::session::session_key;
use futures_util::StreamExt;
use http::request::Parts;
use http::{HeaderValue, StatusCode};

use crate::attempts::{self, Attempt, Call, Ended, Transport};
use crate::headers::{inbound, outbound, set_router_headers};
use crate::hold::{Held, UpstreamStream, hold};
use crate::relay::{StreamGuard, relay};
use crate::{ProxyConfig, ProxyState, reply};

/// Upper bound on an error body read for classification and pass-through.
const ERROR_BODY_CAP: usize = 4 << 20;

/// An error answer the client may get as it is.
pub(crate) type PassThrough = (StatusCode, http::HeaderMap, Bytes);

pub async fn forward(
    state: Arc<ProxyState>,
    upstream_path: &str,
    responses: bool,
    parts: Parts,
    body: Bytes,
) -> Response {
    let rt = state.runtime.clone();
    let cfg = state.config();
    let peek = if responses {
        body::peek(&body)
    } else {
        BodyPeek::default()
    };
    let session = session_key(&parts.headers, &peek);
    let now = rt.now();
    let mut ctx = rt.with_pool(|p| p.begin(session, peek.has_compaction, now));
    let url = match parts.uri.query() {
        Some(q) => format!("{}{upstream_path}?{q}", cfg.upstream_base),
        None => format!("{}{upstream_path}", cfg.upstream_base),
    };
    let mut transport = HttpTransport {
        state: &state,
        cfg: &cfg,
        url: &url,
        parts: &parts,
        body: &body,
    };
    match attempts::run(&state, &cfg, &mut ctx, &mut transport, true).await {
        Ended::Delivered { delivered, lease } => deliver(&state, &cfg, &ctx, lease, delivered),
        Ended::PassThrough { passthrough, label } => reply::upstream_answer(passthrough, &label, ctx.calls()),
        Ended::Exhausted(e) => reply::exhausted(&e, ctx.calls()),
    }
}

/// One POST upstream per attempt, its SSE opening held until it shows output.
pub(crate) struct HttpTransport<'a> {
    pub state: &'a ProxyState,
    pub cfg: &'a ProxyConfig,
    pub url: &'a str,
    pub parts: &'a Parts,
    pub body: &'a Bytes,
}

/// A 2xx whose opening events passed the hold: ready to relay once the lease is attached.
pub(crate) struct Committed {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub held: Vec<Bytes>,
    pub rest: Option<UpstreamStream>,
}

impl Transport for HttpTransport<'_> {
    type Delivered = Committed;
    type PassThrough = PassThrough;

    async fn call(&mut self, at: Attempt<'_>) -> Call<Committed, PassThrough> {
        let Attempt {
            lease,
            creds,
            ctx,
            clean,
        } = at;
        let (send_body, compaction_dropped) = cleaned_body(self.body, lease, ctx, clean);
        let headers = outbound(
            &self.parts.headers,
            creds.access_token.expose(),
            creds.chatgpt_account_id.as_deref(),
            lease.clean_body,
        );
        let req = self
            .state
            .http
            .request(self.parts.method.clone(), self.url)
            .headers(headers)
            .body(send_body);
        post(self.state, self.cfg, req, compaction_dropped).await
    }
}

/// Sends one prepared request and classifies its answer: a held, committed SSE stream or a
/// failure with the bytes to pass on.
pub(crate) async fn post(
    state: &ProxyState,
    cfg: &ProxyConfig,
    req: reqwest::RequestBuilder,
    compaction_dropped: bool,
) -> Call<Committed, PassThrough> {
    let resp = match tokio::time::timeout(cfg.headers_timeout, req.send()).await {
        Ok(Ok(resp)) => resp,
        Ok(Err(_)) | Err(_) => return failed(Outcome::NetworkError, None),
    };
    let status = resp.status();
    let mut headers = inbound(resp.headers());
    if !status.is_success() {
        let bytes = read_capped(resp).await;
        let outcome = classify_http(status.as_u16(), &headers, &bytes, state.runtime.now());
        return Call::Failed {
            outcome,
            status: Some(status.as_u16()),
            passthrough: Some((status, headers, bytes)),
        };
    }
    // Classified now, from the live headers: keeping a clone for later would pin the
    // upstream connection's read buffer through the hold.
    let outcome = classify_http(status.as_u16(), resp.headers(), b"", state.runtime.now());
    let is_sse = resp
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    let stream = resp.bytes_stream().boxed();
    let (held, rest) = if is_sse {
        let rt = state.runtime.clone();
        match hold(stream, cfg.hold_events, cfg.hold_timeout, move || rt.now()).await {
            Held::Commit { held, stream } => (held, stream),
            Held::Failure { outcome, held } => {
                // The upstream's own in-band answer, should the table pass it on.
                let bytes = Bytes::from(held.concat());
                return Call::Failed {
                    outcome,
                    status: Some(200),
                    passthrough: Some((status, headers, bytes)),
                };
            }
            Held::Broken => return failed(Outcome::ServerError, Some(200)),
        }
    } else {
        (Vec::new(), Some(stream))
    };
    if compaction_dropped {
        headers.insert(
            "x-codex-router-context",
            HeaderValue::from_static("compaction-dropped"),
        );
    }
    Call::Delivered {
        delivered: Committed {
            status,
            headers,
            held,
            rest,
        },
        outcome,
        status: Some(status.as_u16()),
    }
}

fn failed<D>(outcome: Outcome, status: Option<u16>) -> Call<D, PassThrough> {
    Call::Failed {
        outcome,
        status,
        passthrough: None,
    }
}

/// The body to send: as received, or cleaned of foreign blobs when the session moved (or the
/// upstream said a blob was foreign). Returns whether a remote compaction item was dropped.
pub(crate) fn cleaned_body(body: &Bytes, lease: &Lease, ctx: &RequestCtx, clean: bool) -> (Bytes, bool) {
    if !(lease.clean_body || clean) {
        return (body.clone(), false);
    }
    match body::clean(body, lease.drop_compaction) {
        Some((cleaned, report)) => {
            if report.compaction_dropped {
                tracing::warn!(
                    session = ctx.session.as_ref().map(|s| s.as_str()).unwrap_or("-"),
                    account = %lease.label,
                    "session moved to another account: its remote compaction item was dropped"
                );
            }
            (Bytes::from(cleaned), report.compaction_dropped)
        }
        None => (body.clone(), false),
    }
}

fn deliver(state: &ProxyState, cfg: &ProxyConfig, ctx: &RequestCtx, lease: Lease, c: Committed) -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = c.status;
    *resp.headers_mut() = c.headers;
    set_router_headers(resp.headers_mut(), Some(&lease.label), ctx.calls());
    let stream_guard = StreamGuard::new(state.runtime.clone(), lease, ctx.session.clone(), true);
    *resp.body_mut() = Body::from_stream(relay(c.held, c.rest, cfg.idle_timeout, stream_guard));
    resp
}

async fn read_capped(resp: reqwest::Response) -> Bytes {
    let mut out = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        let room = ERROR_BODY_CAP.saturating_sub(out.len());
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if out.len() >= ERROR_BODY_CAP {
            break;
        }
    }
    Bytes::from(out)
}
