//! Logs to stderr and to daily files in `logs/` (7 kept). Filter: `CODEX_ROUTER_LOG` / `[log]
//! filter`, default `info`, changeable live by `config reload`. Nothing logged anywhere carries
//! a token, key or email: those types redact themselves and the proxy logs labels only.

use std::path::Path;
use std::sync::OnceLock;

use anyhow::Context;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::writer::MakeWriterExt;

pub const LOG_PREFIX: &str = "codex-routerd";
const DEFAULT_FILTER: &str = "info";

type Reloader = Box<dyn Fn(EnvFilter) -> Result<(), String> + Send + Sync>;

/// Swaps the installed subscriber's filter; set once by [`init`]. A global because the
/// subscriber itself is one: in-process tests install none, and then there is nothing to swap.
static RELOAD: OnceLock<Reloader> = OnceLock::new();

/// Lines the log writer buffers before it drops some. The default (128 000) reserves a 4 MB
/// queue whose pages stay resident once a burst of streams has cycled through them; the daemon
/// writes a few lines per failure, so a few thousand absorb any burst it really produces.
const LOG_BUFFER_LINES: usize = 4096;

/// Installs the global subscriber. Keep the guard alive for the daemon's life (it flushes the file).
pub fn init(logs_dir: &Path, filter: Option<&str>) -> anyhow::Result<WorkerGuard> {
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(LOG_PREFIX)
        .filename_suffix("log")
        .max_log_files(7)
        .build(logs_dir)
        .with_context(|| format!("opening the log directory {}", logs_dir.display()))?;
    let (file, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_BUFFER_LINES)
        .finish(appender);
    let filter = EnvFilter::try_new(filter.unwrap_or(DEFAULT_FILTER)).context("parsing the log filter")?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::io::stderr.and(file))
        .with_filter_reloading();
    let handle = builder.reload_handle();
    builder
        .try_init()
        .map_err(|e| anyhow::anyhow!("installing the logger: {e}"))?;
    let _ = RELOAD.set(Box::new(move |f| handle.reload(f).map_err(|e| e.to_string())));
    Ok(guard)
}

/// Applies a new filter (`None`: the default) to the installed logger. An invalid filter is an
/// error and leaves the old one in force.
pub fn set_filter(filter: Option<&str>) -> Result<(), String> {
    let filter = EnvFilter::try_new(filter.unwrap_or(DEFAULT_FILTER)).map_err(|e| e.to_string())?;
    match RELOAD.get() {
        Some(reload) => reload(filter),
        None => Ok(()),
    }
}
