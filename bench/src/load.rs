//! The closed-loop load generator: `concurrency` virtual users, each on its own keep-alive connection,
//! each sending its next request only when the previous stream has been read to its end. Closed loop is
//! how Codex behaves (one turn at a time per session) and it keeps the offered load honest: a slower
//! proxy gets fewer requests, which shows as lower throughput instead of an ever-growing queue.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Request};
use http_body_util::Full;

use crate::body::{BodyTemplate, codex_headers, thread_id};
use crate::client::{self, Sample, Sender, Target};

/// A request that takes longer than this is an error: nothing in any cell should come close.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// A virtual user that keeps failing stops early instead of spinning until the deadline.
const MAX_ERRORS_PER_VU: u32 = 50;
/// Error examples kept per run (the count is exact, the examples are for reading).
const MAX_EXAMPLES: usize = 5;

/// How requests map to Codex sessions (thread ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sessions {
    /// One thread per virtual user, like one Codex session per user: sticky affinity applies.
    PerVu,
    /// A new thread for every request, so the strategy chooses an account every time.
    PerRequest,
}

#[derive(Debug, Clone)]
pub struct LoadSpec {
    pub concurrency: usize,
    /// Virtual users stop starting requests after this long (unless `per_vu` is set).
    pub duration: Duration,
    /// Exactly this many requests per virtual user, whatever the duration.
    pub per_vu: Option<usize>,
    pub sessions: Sessions,
    /// Distinguishes thread ids between runs (`seed << 24 | vu << 12 | n`, roughly).
    pub seed: u64,
    /// Upper bound of a pseudo-random pause before each request (zero: none). The fake paces
    /// events on tokio's 1 ms timer ticks and a closed loop sends each request right after a
    /// tick, so without a pause the router's fraction of a millisecond is either swallowed by
    /// the tick or rounded up to a whole one, and the paced cell's medians jump by 1 ms from run
    /// to run. The pause is spun (a timer would land on a tick again) and follows the same
    /// sequence for every target, so direct and router see the same pauses.
    pub jitter: Duration,
}

/// Everything one run produced.
#[derive(Debug, Default)]
pub struct RunResult {
    pub samples: Vec<Sample>,
    pub gaps_us: Vec<u32>,
    /// Requests that failed: transport errors, non-200 answers, streams without `response.completed`.
    pub errors: u64,
    pub error_examples: Vec<String>,
    pub elapsed: Duration,
}

pub async fn run(target: Arc<Target>, body: Arc<BodyTemplate>, spec: &LoadSpec) -> RunResult {
    let start = Instant::now();
    let deadline = start + spec.duration;
    let handles: Vec<_> = (0..spec.concurrency)
        .map(|vu| {
            let (target, body, spec) = (Arc::clone(&target), Arc::clone(&body), spec.clone());
            tokio::spawn(async move { virtual_user(vu, &target, &body, &spec, deadline).await })
        })
        .collect();
    let mut out = RunResult::default();
    for h in handles {
        match h.await {
            Ok(vu) => {
                out.samples.extend(vu.samples);
                out.gaps_us.extend(vu.gaps_us);
                out.errors += vu.errors;
                for e in vu.error_examples {
                    if out.error_examples.len() < MAX_EXAMPLES {
                        out.error_examples.push(e);
                    }
                }
            }
            Err(e) => {
                out.errors += 1;
                out.error_examples.push(format!("virtual user panicked: {e}"));
            }
        }
    }
    out.elapsed = start.elapsed();
    out
}

async fn virtual_user(
    vu: usize,
    target: &Target,
    body: &BodyTemplate,
    spec: &LoadSpec,
    deadline: Instant,
) -> RunResult {
    let mut out = RunResult::default();
    let mut sender: Option<Sender> = None;
    let vu_thread = thread_id(spec.seed << 24 | (vu as u64) << 12);
    let fixed =
        (spec.sessions == Sessions::PerVu).then(|| (body.render(&vu_thread), headers(target, &vu_thread)));
    let mut n = 0usize;
    let mut failures = 0u32;
    loop {
        let more = match spec.per_vu {
            Some(max) => n < max,
            None => Instant::now() < deadline,
        };
        if !more || failures >= MAX_ERRORS_PER_VU {
            break;
        }
        let (bytes, headers) = match &fixed {
            Some((b, h)) => (b.clone(), h.clone()),
            None => {
                let t = thread_id(spec.seed << 24 | (vu as u64) << 12 | (n as u64 & 0xfff));
                (body.render(&t), headers(target, &t))
            }
        };
        pause(spec.jitter, vu, n).await;
        n += 1;
        let result = request(&mut sender, target, bytes, headers, vu, &mut out.gaps_us).await;
        match result {
            Ok(s) if s.ok() => out.samples.push(s),
            Ok(s) => {
                failures += 1;
                out.errors += 1;
                out.error_examples.push(format!(
                    "{}: status {} completed={} body={:?}",
                    target.name,
                    s.status,
                    s.completed,
                    s.error_body.as_deref().unwrap_or("")
                ));
            }
            Err(e) => {
                failures += 1;
                out.errors += 1;
                out.error_examples.push(format!("{}: {e:#}", target.name));
                sender = None;
            }
        }
        out.error_examples.truncate(MAX_EXAMPLES);
    }
    out
}

/// Spins for a pseudo-random share of `jitter`, the same for the same (`vu`, `n`) in every run.
async fn pause(jitter: Duration, vu: usize, n: usize) {
    if jitter.is_zero() {
        return;
    }
    // splitmix64 of the pair: cheap, deterministic, evenly spread.
    let mut z = ((vu as u64) << 32 | n as u64).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    let nanos = z % (jitter.as_nanos() as u64).max(1);
    let until = Instant::now() + Duration::from_nanos(nanos);
    while Instant::now() < until {
        tokio::task::yield_now().await;
    }
}

async fn request(
    sender: &mut Option<Sender>,
    target: &Target,
    bytes: Bytes,
    headers: HeaderMap,
    vu: usize,
    gaps_us: &mut Vec<u32>,
) -> anyhow::Result<Sample> {
    let mut conn = match sender.take() {
        Some(s) if !s.is_closed() => s,
        _ => client::connect(target.addr).await?,
    };
    let mut req = Request::post(target.path.as_str()).body(Full::new(bytes))?;
    *req.headers_mut() = headers;
    let sample = tokio::time::timeout(REQUEST_TIMEOUT, client::send(&mut conn, req, vu, gaps_us))
        .await
        .map_err(|_| anyhow::anyhow!("no complete answer within {REQUEST_TIMEOUT:?}"))??;
    *sender = Some(conn);
    Ok(sample)
}

/// Codex's headers for the thread, the target's credentials and `host` (hyper's low-level client does
/// not add it, and the router refuses a non-loopback one).
fn headers(target: &Target, thread: &str) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in codex_headers(thread) {
        if let Ok(v) = HeaderValue::from_str(&value) {
            map.append(HeaderName::from_static(name), v);
        }
    }
    for (name, value) in &target.auth {
        map.insert(name.clone(), value.clone());
    }
    if let Ok(host) = HeaderValue::from_str(&target.addr.to_string()) {
        map.insert(http::header::HOST, host);
    }
    map
}
