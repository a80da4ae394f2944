//! Resident memory and CPU time of another process, read from `/proc` (Linux only; elsewhere the
//! readings are `None` and the report says so).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// `USER_HZ`: the unit of `utime`/`stime` in `/proc/<pid>/stat`. It is 100 on every mainstream Linux
/// ABI and reading it from `sysconf` would take `unsafe`, which the workspace forbids.
pub const TICKS_PER_SEC: f64 = 100.0;

/// `VmRSS` of `/proc/<pid>/status`, in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `VmHWM` of `/proc/<pid>/status` (the process's resident high-water mark), in KiB: unlike a
/// sampler it cannot miss a spike that lasts a few milliseconds, such as one 8 MB request.
pub fn hwm_kib(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU ticks of a process and its children: nginx's master and its workers.
pub fn cpu_ticks_with_children(pid: u32) -> u64 {
    tree_ticks(pid, 1)
}

/// `utime + stime` of `/proc/<pid>/stat`, in ticks of [`TICKS_PER_SEC`].
pub fn cpu_ticks(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: fields are counted after the last `)`.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state); utime and stime are fields 14 and 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Samples a process's RSS in the background and keeps the peak, so a short spike between two
/// explicit readings is not missed.
#[derive(Debug)]
pub struct RssSampler {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    pub fn start(pid: u32, every: Duration) -> Self {
        let peak = Arc::new(AtomicU64::new(rss_kib(pid).unwrap_or(0)));
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn({
            let (peak, stop) = (Arc::clone(&peak), Arc::clone(&stop));
            async move {
                // Bounded by `stop` (set in `finish`) and by the process's end.
                while !stop.load(Ordering::Relaxed) {
                    let Some(rss) = rss_kib(pid) else { break };
                    peak.fetch_max(rss, Ordering::Relaxed);
                    tokio::time::sleep(every).await;
                }
            }
        });
        Self { peak, stop, task }
    }

    /// Stops sampling; the peak in KiB including a last reading.
    pub async fn finish(self, pid: u32) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        self.peak.load(Ordering::Relaxed).max(rss_kib(pid).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_process() {
        if cfg!(target_os = "linux") {
            let me = std::process::id();
            assert!(rss_kib(me).is_some_and(|k| k > 0));
            assert!(cpu_ticks(me).is_some());
        }
    }
}

/// Busy ticks of the whole machine (everything but idle and iowait) from `/proc/stat`; steal counts as
/// busy, since a hypervisor lending our cores to someone else is contention too.
pub fn machine_busy_ticks() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<u64> = line.split_whitespace().filter_map(|f| f.parse().ok()).collect();
    let total: u64 = v.iter().take(8).sum();
    Some(total - v.get(3)? - v.get(4)?)
}

/// CPU ticks of a process and its live descendants (the harness's are the fake, the daemon and nginx
/// with its workers), `depth` levels down.
fn tree_ticks(pid: u32, depth: u32) -> u64 {
    let own = cpu_ticks(pid).unwrap_or(0);
    if depth == 0 {
        return own;
    }
    own + children(pid)
        .iter()
        .map(|&c| tree_ticks(c, depth - 1))
        .sum::<u64>()
}

fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|s| {
            s.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}

/// How much of the machine something other than the benchmark's own processes used during a run: on a
/// shared 2-core machine one stray compile halves a run's throughput and makes its ratio meaningless.
/// Processes that start or end during the measurement skew it (their ticks appear or vanish), so it
/// brackets runs whose processes live throughout.
#[derive(Debug)]
pub struct CpuMeter {
    busy0: Option<u64>,
    ours0: u64,
    t0: std::time::Instant,
}

/// The harness, its children and grandchildren (nginx workers).
const TREE_DEPTH: u32 = 2;

impl CpuMeter {
    pub fn start() -> Self {
        let ours0 = tree_ticks(std::process::id(), TREE_DEPTH);
        Self {
            busy0: machine_busy_ticks(),
            ours0,
            t0: std::time::Instant::now(),
        }
    }

    /// Share of the machine's capacity (all cores) used by others since `start`; `None` without `/proc`.
    pub fn foreign_share(&self) -> Option<f64> {
        let busy = machine_busy_ticks()?.checked_sub(self.busy0?)?;
        let ours = tree_ticks(std::process::id(), TREE_DEPTH).saturating_sub(self.ours0);
        let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
        let capacity = self.t0.elapsed().as_secs_f64() * cores * TICKS_PER_SEC;
        (capacity > 0.0).then(|| (busy.saturating_sub(ours) as f64 / capacity).max(0.0))
    }
}

/// Share of the machine's capacity that was busy over `window` (the benchmark being idle meanwhile,
/// this is other work).
pub async fn busy_share(window: Duration) -> Option<f64> {
    let (b0, t0) = (machine_busy_ticks()?, std::time::Instant::now());
    tokio::time::sleep(window).await;
    let busy = machine_busy_ticks()?.saturating_sub(b0) as f64;
    let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
    Some(busy / (t0.elapsed().as_secs_f64() * cores * TICKS_PER_SEC))
}
