//! How big each cell is: the full run (minutes, numbers worth publishing) and the smoke run (seconds,
//! proves only that every cell still works end to end).

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Plan {
    pub smoke: bool,
    /// Interleaved repetitions of the zero-delay cells.
    pub reps: usize,
    /// One measured run of one target.
    pub duration: Duration,
    /// Discarded run before each measured one (connections, pools, allocator warm-up).
    pub warmup: Duration,
    pub levels: Vec<usize>,
    /// Concurrency of the small-body, new-session cells.
    pub small_levels: Vec<usize>,
    /// Live sessions of the session curve's cells.
    pub session_levels: Vec<usize>,
    /// Pool sizes of the accounts curve (small bodies, new session per request, c=16).
    pub account_levels: Vec<usize>,
    /// Body sizes (bytes) of the body curve (one session, c=1), and its repetitions.
    pub body_levels: Vec<usize>,
    pub body_reps: usize,
    /// Concurrent slow streams of the stream curve besides [`Plan::slow_streams`] (which also
    /// measures the settle time).
    pub stream_levels: Vec<usize>,
    pub deltas: usize,
    pub realistic: Realistic,
    pub failover_reps: usize,
    pub refresh_accounts: usize,
    pub refresh_concurrency: usize,
    pub slow_streams: usize,
    pub slow_delay_ms: u64,
    pub slow_deltas: usize,
    /// How long to wait for the daemon's RSS to come back near idle after the slow streams end.
    pub settle_limit: Duration,
    pub status_calls: usize,
    pub spread_concurrency: usize,
    pub ws: WsPlan,
}

/// The WebSocket conversation cells.
#[derive(Debug, Clone)]
pub struct WsPlan {
    /// Steps of the measured conversation (step 1: the 55 KB input; then one small item each).
    pub steps: usize,
    pub reps: usize,
    /// Conversations per target per repetition, one after another (concurrency 1).
    pub conversations: usize,
    /// The concurrent variant: this many conversations at once, each worker running `per_worker`.
    pub concurrency: usize,
    pub per_worker: usize,
    /// Conversations per repetition in the failover cell (one account is limited in each, so the fake
    /// has one more account than this), and the step that fails over.
    pub failover_conversations: usize,
    pub failover_reps: usize,
    pub failover_step: usize,
    /// The "conversation grows" curve: steps, conversations per target per repetition, repetitions.
    pub grow_steps: usize,
    pub grow_conversations: usize,
    pub grow_reps: usize,
}

#[derive(Debug, Clone)]
pub struct Realistic {
    pub concurrency: usize,
    pub delay_ms: u64,
    pub deltas: usize,
    pub reps: usize,
    pub duration: Duration,
}

impl Plan {
    /// About fourteen minutes on 2 cores (the scale curves are most of it).
    pub fn full() -> Self {
        Self {
            smoke: false,
            reps: 5,
            duration: Duration::from_secs(2),
            warmup: Duration::from_millis(300),
            levels: vec![1, 16, 64],
            small_levels: vec![16, 64],
            session_levels: vec![0, 10_000, 100_000],
            account_levels: vec![1, 10, 100, 1_000],
            body_levels: vec![1_000, 55_000, 1_000_000, 8_000_000],
            body_reps: 3,
            stream_levels: vec![1, 64, 2_000],
            deltas: 20,
            // ~350 requests per run and five runs: the first-output median must resolve a
            // tenth of a millisecond, and 3 s × 16 users (90 requests) left it ±0.4 ms.
            realistic: Realistic {
                concurrency: 32,
                delay_ms: 20,
                deltas: 20,
                reps: 5,
                duration: Duration::from_secs(6),
            },
            failover_reps: 3,
            refresh_accounts: 6,
            refresh_concurrency: 32,
            slow_streams: 1000,
            slow_delay_ms: 250,
            slow_deltas: 20,
            settle_limit: Duration::from_secs(60),
            status_calls: 200,
            spread_concurrency: 4,
            // A conversation step takes well under a millisecond at concurrency 1, so 16 conversations
            // × 5 repetitions (800 steps per target) cost a couple of seconds and give per-step medians
            // that resolve a few hundredths of a millisecond.
            ws: WsPlan {
                steps: 10,
                reps: 5,
                conversations: 16,
                concurrency: 4,
                per_worker: 4,
                failover_conversations: 8,
                failover_reps: 3,
                failover_step: 5,
                grow_steps: 50,
                grow_conversations: 4,
                grow_reps: 3,
            },
        }
    }

    /// A few seconds, even with debug binaries.
    pub fn smoke() -> Self {
        Self {
            smoke: true,
            reps: 1,
            duration: Duration::from_millis(300),
            warmup: Duration::from_millis(50),
            levels: vec![1, 4],
            small_levels: vec![4],
            session_levels: vec![1_000],
            account_levels: vec![10],
            body_levels: vec![1_000_000],
            body_reps: 1,
            stream_levels: vec![4],
            deltas: 5,
            realistic: Realistic {
                concurrency: 2,
                delay_ms: 20,
                deltas: 5,
                reps: 1,
                duration: Duration::from_millis(400),
            },
            failover_reps: 1,
            refresh_accounts: 3,
            refresh_concurrency: 4,
            slow_streams: 20,
            slow_delay_ms: 30,
            slow_deltas: 5,
            settle_limit: Duration::from_secs(1),
            status_calls: 5,
            spread_concurrency: 3,
            ws: WsPlan {
                steps: 3,
                reps: 1,
                conversations: 1,
                concurrency: 2,
                per_worker: 1,
                failover_conversations: 1,
                failover_reps: 1,
                failover_step: 2,
                grow_steps: 4,
                grow_conversations: 1,
                grow_reps: 1,
            },
        }
    }
}
