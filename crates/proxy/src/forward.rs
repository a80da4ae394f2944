//! One client request through the pool: select, call, classify, fail over (SPEC §4.1–§4.3).

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use codex_router_core::body::{self, BodyPeek};
use codex_router_core::outcome::{Outcome, classify_http};
use codex_router_core::record::{Next, RetryKind};
use codex_router_core::select::{Lease, RequestCtx, Selection};
use codex_router_core::session::session_key;
use codex_router_runtime::{Credentials, Runtime};
use futures_util::StreamExt;
use http::request::Parts;
use http::{HeaderValue, StatusCode};

use crate::ProxyState;
use crate::headers::{inbound, outbound, set_router_headers};
use crate::hold::{Held, hold};
use crate::relay::{StreamGuard, relay};
use crate::reply;
use crate::usage::probe_reset;

/// Upper bound on an error body read for classification and pass-through.
const ERROR_BODY_CAP: usize = 4 << 20;

/// Releases a lease when an attempt ends without a committed stream.
struct LeaseGuard {
    runtime: Runtime,
    lease: Option<Lease>,
}

impl LeaseGuard {
    fn lease(&self) -> Option<&Lease> {
        self.lease.as_ref()
    }

    /// Hands the lease over to a stream guard.
    fn take(mut self) -> Option<Lease> {
        self.lease.take()
    }
}

impl Drop for LeaseGuard {
    fn drop(&mut self) {
        if let Some(lease) = self.lease.take() {
            self.runtime.with_pool(|p| p.release(&lease));
        }
    }
}

/// What one upstream call produced.
enum Attempt {
    Delivered(Committed),
    Failed {
        outcome: Outcome,
        status: Option<u16>,
        passthrough: Option<(StatusCode, http::HeaderMap, Bytes)>,
    },
}

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
    loop {
        let now = rt.now();
        let guard = match rt.with_pool(|p| p.select(&mut ctx, now)) {
            Selection::Use(lease) => LeaseGuard {
                runtime: rt.clone(),
                lease: Some(lease),
            },
            Selection::Exhausted(e) => {
                rt.with_pool(|p| p.finish(&ctx, None, true));
                tracing::warn!(reason = e.reason.as_str(), status = e.status, "pool exhausted");
                return reply::exhausted(&e, ctx.calls());
            }
        };
        let Some(lease) = guard.lease().cloned() else {
            continue;
        };
        let mut force_clean = false;
        loop {
            let creds = match rt.fresh_credentials(&lease.account_id).await {
                Ok(c) => c,
                Err(f) => {
                    let now = rt.now();
                    let changed = rt.with_pool(|p| p.refresh_failed(&mut ctx, &lease, f.is_permanent(), now));
                    persist_if(&rt, changed, &lease.account_id);
                    break;
                }
            };
            let attempt = attempt(
                &state,
                &cfg,
                &url,
                &parts,
                &body,
                &lease,
                &creds,
                &ctx,
                force_clean,
            )
            .await;
            let (outcome, status, passthrough) = match attempt {
                Attempt::Delivered(c) => return deliver(&rt, &cfg, &mut ctx, guard, c),
                Attempt::Failed {
                    outcome,
                    status,
                    passthrough,
                } => (outcome, status, passthrough),
            };
            let outcome = match outcome {
                Outcome::UsageLimit {
                    reset_at: None,
                    plan_type,
                    quota,
                } => {
                    let reset_at = probe_reset(&state, &cfg, &creds).await;
                    Outcome::UsageLimit {
                        reset_at,
                        plan_type,
                        quota,
                    }
                }
                o => o,
            };
            let now = rt.now();
            let rec = rt.with_pool(|p| p.record(&mut ctx, &lease, &outcome, status, now));
            persist_if(&rt, rec.status_changed, &lease.account_id);
            tracing::info!(account = %lease.label, ?status, next = ?rec.next, "upstream attempt failed");
            match rec.next {
                Next::RetrySame(RetryKind::Refresh) => {
                    match rt.refresh(&lease.account_id, Some(&creds.access_token)).await {
                        Ok(()) => rt.with_pool(|p| p.retry_same(&mut ctx, &lease, RetryKind::Refresh)),
                        Err(f) => {
                            let now = rt.now();
                            let changed =
                                rt.with_pool(|p| p.refresh_failed(&mut ctx, &lease, f.is_permanent(), now));
                            persist_if(&rt, changed, &lease.account_id);
                            break;
                        }
                    }
                }
                Next::RetrySame(RetryKind::Clean) => {
                    force_clean = true;
                    rt.with_pool(|p| p.retry_same(&mut ctx, &lease, RetryKind::Clean));
                }
                Next::TryNext => break,
                Next::PassThrough | Next::Deliver => {
                    rt.with_pool(|p| p.finish(&ctx, None, false));
                    return pass_through(passthrough, &lease, ctx.calls());
                }
            }
        }
    }
}

fn persist_if(rt: &Runtime, changed: bool, id: &str) {
    if changed {
        let rt = rt.clone();
        let id = id.to_owned();
        tokio::spawn(async move {
            if let Err(e) = rt.persist_status(&id).await {
                tracing::error!(error = %e, "could not write an account status change to accounts.json");
            }
        });
    }
}

#[allow(clippy::too_many_arguments)]
async fn attempt(
    state: &ProxyState,
    cfg: &crate::ProxyConfig,
    url: &str,
    parts: &Parts,
    body: &Bytes,
    lease: &Lease,
    creds: &Credentials,
    ctx: &RequestCtx,
    force_clean: bool,
) -> Attempt {
    let mut compaction_dropped = false;
    let send_body = if lease.clean_body || force_clean {
        match body::clean(body, lease.drop_compaction) {
            Some((cleaned, report)) => {
                compaction_dropped = report.compaction_dropped;
                if report.compaction_dropped {
                    tracing::warn!(
                        session = ctx.session.as_ref().map(|s| s.as_str()).unwrap_or("-"),
                        account = %lease.label,
                        "session moved to another account: its remote compaction item was dropped"
                    );
                }
                Bytes::from(cleaned)
            }
            None => body.clone(),
        }
    } else {
        body.clone()
    };
    let headers = outbound(
        &parts.headers,
        creds.access_token.expose(),
        creds.chatgpt_account_id.as_deref(),
        lease.clean_body,
    );
    let req = state
        .http
        .request(parts.method.clone(), url)
        .headers(headers)
        .body(send_body);
    let resp = match tokio::time::timeout(cfg.headers_timeout, req.send()).await {
        Ok(Ok(resp)) => resp,
        Ok(Err(_)) | Err(_) => {
            return Attempt::Failed {
                outcome: Outcome::NetworkError,
                status: None,
                passthrough: None,
            };
        }
    };
    let status = resp.status();
    let mut headers = inbound(resp.headers());
    if status.is_success() {
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
                Held::Failure(outcome) => {
                    return Attempt::Failed {
                        outcome,
                        status: Some(200),
                        passthrough: None,
                    };
                }
                Held::Broken => {
                    return Attempt::Failed {
                        outcome: Outcome::ServerError,
                        status: Some(200),
                        passthrough: None,
                    };
                }
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
        return Attempt::Delivered(Committed {
            status,
            headers,
            held,
            rest,
            outcome,
        });
    }
    let bytes = read_capped(resp).await;
    let now = state.runtime.now();
    let outcome = classify_http(status.as_u16(), &headers, &bytes, now);
    Attempt::Failed {
        outcome,
        status: Some(status.as_u16()),
        passthrough: Some((status, headers, bytes)),
    }
}

/// A 2xx whose opening events passed the hold: ready to relay once the lease is attached.
struct Committed {
    status: StatusCode,
    headers: http::HeaderMap,
    held: Vec<Bytes>,
    rest: Option<crate::hold::UpstreamStream>,
    outcome: Outcome,
}

fn deliver(
    rt: &Runtime,
    cfg: &crate::ProxyConfig,
    ctx: &mut RequestCtx,
    guard: LeaseGuard,
    c: Committed,
) -> Response {
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = c.status;
    *resp.headers_mut() = c.headers;
    let Some(lease) = guard.take() else { return resp };
    let now = rt.now();
    rt.with_pool(|p| {
        p.record(ctx, &lease, &c.outcome, Some(c.status.as_u16()), now);
        p.stream_started();
        p.finish(ctx, Some(&lease), false);
    });
    set_router_headers(resp.headers_mut(), Some(&lease.label), ctx.calls());
    let stream_guard = StreamGuard::new(rt.clone(), lease, ctx.session.clone(), true);
    *resp.body_mut() = Body::from_stream(relay(c.held, c.rest, cfg.idle_timeout, stream_guard));
    resp
}

fn pass_through(
    passthrough: Option<(StatusCode, http::HeaderMap, Bytes)>,
    lease: &Lease,
    attempts: u32,
) -> Response {
    let Some((status, headers, bytes)) = passthrough else {
        return reply::error(
            StatusCode::BAD_GATEWAY,
            "router_upstream_error",
            "the upstream failed",
        );
    };
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = status;
    *resp.headers_mut() = headers;
    set_router_headers(resp.headers_mut(), Some(&lease.label), attempts);
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
