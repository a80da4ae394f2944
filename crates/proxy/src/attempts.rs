//! The attempt loop both transports share: select → call → classify → record → next
//! (SPEC §4.1, §4.2).
//!
//! HTTP/SSE and WebSocket differ only in how one attempt is made ([`Transport::call`]): what
//! an outcome does to its account, when the same account is retried (after a refresh, with a
//! cleaned body), when the next account is tried and when the pool is exhausted is decided
//! here, once, so the two transports cannot drift apart.

use std::future::Future;

use codex_router_core::exhausted::Exhausted;
use codex_router_core::outcome::Outcome;
use codex_router_core::record::{Next, RetryKind};
use codex_router_core::select::{Lease, RequestCtx, Selection};
use codex_router_runtime::{Credentials, Runtime};

use crate::usage::probe_reset;
use crate::{ProxyConfig, ProxyState};

/// What one upstream call reported.
pub(crate) enum Call<D, P> {
    /// A success whose opening passed the hold: the request is committed to this account.
    Delivered {
        delivered: D,
        /// The success outcome (quota headers) to record.
        outcome: Outcome,
        status: Option<u16>,
    },
    /// A failure before anything reached the client; `passthrough` is what the client gets
    /// if the table says to pass it on.
    Failed {
        outcome: Outcome,
        status: Option<u16>,
        passthrough: Option<P>,
    },
    /// Not the account's doing and nothing another account could fix (the context a move
    /// needs is gone): stop, answer the client with this, record nothing.
    Abandon(P),
}

/// One way of making an attempt with an account's credentials.
pub(crate) trait Transport {
    type Delivered;
    type PassThrough;

    /// Makes one upstream call.
    fn call(
        &mut self,
        at: Attempt<'_>,
    ) -> impl Future<Output = Call<Self::Delivered, Self::PassThrough>> + Send;
}

/// What one attempt is made with.
#[derive(Clone, Copy)]
pub(crate) struct Attempt<'a> {
    pub lease: &'a Lease,
    pub creds: &'a Credentials,
    pub ctx: &'a RequestCtx,
    /// The §4.3 cleaning even when the lease does not ask for it (the retry after an
    /// `invalid_encrypted_content`).
    pub clean: bool,
}

/// How a client request's attempts ended.
pub(crate) enum Ended<D, P> {
    /// Committed: the caller owns the lease (release it exactly once, normally through a
    /// stream guard). The success is recorded and the request finished.
    Delivered { delivered: D, lease: Lease },
    /// The upstream's answer goes to the client as it is (`None`: nothing usable to pass on).
    PassThrough { passthrough: Option<P>, label: String },
    /// No account can serve: the §4.2 exhaustion answer.
    Exhausted(Exhausted),
}

/// Releases a lease unless it is handed on.
struct LeaseGuard<'a> {
    runtime: &'a Runtime,
    lease: Option<Lease>,
}

impl Drop for LeaseGuard<'_> {
    fn drop(&mut self) {
        if let Some(lease) = self.lease.take() {
            self.runtime.with_pool(|p| p.release(&lease));
        }
    }
}

/// Runs attempts until one is delivered, passed through, or the pool is exhausted.
/// `counts_stream`: a delivery starts a relayed body that counts in `streams_*`.
pub(crate) async fn run<T: Transport>(
    state: &ProxyState,
    cfg: &ProxyConfig,
    ctx: &mut RequestCtx,
    transport: &mut T,
    counts_stream: bool,
) -> Ended<T::Delivered, T::PassThrough> {
    let rt = &state.runtime;
    loop {
        let now = rt.now();
        let lease = match rt.with_pool(|p| p.select(ctx, now)) {
            Selection::Use(lease) => lease,
            Selection::Exhausted(e) => {
                rt.with_pool(|p| p.finish(ctx, None, true));
                tracing::warn!(reason = e.reason.as_str(), status = e.status, "pool exhausted");
                return Ended::Exhausted(e);
            }
        };
        let mut guard = LeaseGuard {
            runtime: rt,
            lease: Some(lease.clone()),
        };
        let mut clean = false;
        loop {
            let creds = match rt.fresh_credentials(&lease.account_id).await {
                Ok(c) => c,
                Err(f) => {
                    let now = rt.now();
                    let changed = rt.with_pool(|p| p.refresh_failed(ctx, &lease, f.is_permanent(), now));
                    persist_if(rt, changed, &lease.account_id);
                    break;
                }
            };
            let (outcome, status, passthrough) = match transport
                .call(Attempt {
                    lease: &lease,
                    creds: &creds,
                    ctx,
                    clean,
                })
                .await
            {
                Call::Delivered {
                    delivered,
                    outcome,
                    status,
                } => {
                    let now = rt.now();
                    rt.with_pool(|p| {
                        p.record(ctx, &lease, &outcome, status, now);
                        if counts_stream {
                            p.stream_started();
                        }
                        p.finish(ctx, Some(&lease), false);
                    });
                    let Some(lease) = guard.lease.take() else { continue };
                    return Ended::Delivered { delivered, lease };
                }
                Call::Failed {
                    outcome,
                    status,
                    passthrough,
                } => (outcome, status, passthrough),
                Call::Abandon(reply) => {
                    rt.with_pool(|p| p.finish(ctx, None, false));
                    return Ended::PassThrough {
                        passthrough: Some(reply),
                        label: lease.label.clone(),
                    };
                }
            };
            let outcome = with_probed_reset(state, cfg, &creds, outcome).await;
            let now = rt.now();
            let rec = rt.with_pool(|p| p.record(ctx, &lease, &outcome, status, now));
            persist_if(rt, rec.status_changed, &lease.account_id);
            tracing::info!(account = %lease.label, ?status, next = ?rec.next, "upstream attempt failed");
            match rec.next {
                Next::RetrySame(RetryKind::Refresh) => {
                    match rt.refresh(&lease.account_id, Some(&creds.access_token)).await {
                        Ok(()) => rt.with_pool(|p| p.retry_same(ctx, &lease, RetryKind::Refresh)),
                        Err(f) => {
                            let now = rt.now();
                            let changed =
                                rt.with_pool(|p| p.refresh_failed(ctx, &lease, f.is_permanent(), now));
                            persist_if(rt, changed, &lease.account_id);
                            break;
                        }
                    }
                }
                Next::RetrySame(RetryKind::Clean) => {
                    clean = true;
                    rt.with_pool(|p| p.retry_same(ctx, &lease, RetryKind::Clean));
                }
                Next::TryNext => break,
                Next::PassThrough | Next::Deliver => {
                    rt.with_pool(|p| p.finish(ctx, None, false));
                    return Ended::PassThrough {
                        passthrough,
                        label: lease.label.clone(),
                    };
                }
            }
        }
    }
}

/// A usage limit that named no reset asks `/wham/usage` once for the window's reset.
async fn with_probed_reset(
    state: &ProxyState,
    cfg: &ProxyConfig,
    creds: &Credentials,
    outcome: Outcome,
) -> Outcome {
    match outcome {
        Outcome::UsageLimit {
            reset_at: None,
            plan_type,
            quota,
        } => Outcome::UsageLimit {
            reset_at: probe_reset(state, cfg, creds).await,
            plan_type,
            quota,
        },
        o => o,
    }
}

/// Writes a changed account status to `accounts.json` off the request path.
pub(crate) fn persist_if(rt: &Runtime, changed: bool, id: &str) {
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
