//! Giving memory back after a burst (the target: back near idle RSS within a minute after 1 000
//! concurrent streams end, docs/benchmarks.md).
//!
//! glibc keeps freed heap pages in its per-thread arenas, so after a burst of concurrent streams
//! the daemon's RSS stays at the peak although nothing uses the memory. When the pool has been
//! quiet (nothing in flight) after some streams ran, `malloc_trim(0)` returns the free pages of
//! every arena to the kernel. Elsewhere (macOS, Windows, musl) this is a no-op.

use std::time::Duration;

use codex_router_runtime::Runtime;
use tokio_util::sync::CancellationToken;

const CHECK_EVERY: Duration = Duration::from_secs(10);

/// Trims the heap whenever the daemon went idle after serving streams.
pub async fn run_trimmer(runtime: Runtime, shutdown: CancellationToken) {
    let mut trimmed_at_streams = 0u64;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(CHECK_EVERY) => {}
        }
        let (idle, streams) = runtime.with_pool_read(|p| {
            let in_flight: u32 = p.accounts().iter().map(|a| a.in_flight).sum();
            (in_flight == 0, p.counters().streams_started)
        });
        if idle && streams != trimmed_at_streams {
            trimmed_at_streams = streams;
            trim();
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn trim() {
    // SAFETY: malloc_trim only walks glibc's own arenas and madvises their free pages; it takes
    // the arena locks itself and is safe to call from any thread at any time.
    let released = unsafe { libc::malloc_trim(0) };
    tracing::debug!(released, "returned free heap pages to the kernel");
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}
