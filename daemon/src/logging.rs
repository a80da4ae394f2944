//! Logs to stderr and to daily files in `logs/` (7 kept). Filter: `CODEX_ROUTER_LOG` / `[log]
//! filter`, default `info`. Nothing logged anywhere carries a token, key or email: those types
//! redact themselves and the proxy logs labels only.

use std::path::Path;

use anyhow::Context;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::writer::MakeWriterExt;

pub const LOG_PREFIX: &str = "codex-routerd";

/// Installs the global subscriber. Keep the guard alive for the daemon's life (it flushes the file).
pub fn init(logs_dir: &Path, filter: Option<&str>) -> anyhow::Result<WorkerGuard> {
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(LOG_PREFIX)
        .filename_suffix("log")
        .max_log_files(7)
        .build(logs_dir)
        .with_context(|| format!("opening the log directory {}", logs_dir.display()))?;
    let (file, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_new(filter.unwrap_or("info")).context("parsing the log filter")?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::io::stderr.and(file))
        .try_init()
        .map_err(|e| anyhow::anyhow!("installing the logger: {e}"))?;
    Ok(guard)
}
