//! Command line: the harness (default) and the `fake-upstream` mode the harness spawns as a child.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Benchmarks codex-routerd against calling the (fake) upstream directly. Build the binaries first:
/// `cargo build --release -p codex-routerd -p codexctl -p codex-router-bench`.
#[derive(Debug, Parser)]
#[command(name = "codex-router-bench", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub harness: HarnessArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the fake ChatGPT backend + OAuth issuer in this process (the harness spawns this).
    FakeUpstream(FakeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct HarnessArgs {
    /// Tiny cells, a few seconds in all: proves the harness works, measures nothing worth keeping.
    #[arg(long)]
    pub smoke: bool,
    /// Where the machine-readable results go [default: <workspace>/target/codex-router-bench/results.json].
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Markdown file whose results section is (re)written [default: <workspace>/docs/benchmarks.md; in
    /// smoke mode nothing is written unless this is given].
    #[arg(long)]
    pub markdown: Option<PathBuf>,
    /// Do not write any markdown.
    #[arg(long, conflicts_with = "markdown")]
    pub no_markdown: bool,
    /// Directory holding `codex-routerd` and `codexctl` [default: the directory of this executable].
    #[arg(long)]
    pub bin_dir: Option<PathBuf>,
    /// The nginx binary for the baseline row [default: `nginx` on PATH, skipped when absent].
    #[arg(long)]
    pub nginx: Option<PathBuf>,
    /// Skip the nginx baseline even when nginx is installed.
    #[arg(long, conflicts_with = "nginx")]
    pub no_nginx: bool,
    /// Run only these cells (comma separated names: c1, c16, c64, small-new-c16, small-new-c64,
    /// sessions-0, sessions-10k, sessions-100k, accounts-1, accounts-10, accounts-100,
    /// accounts-1000, body-1k, body-55k, body-1m, body-8m, stream-20ms, failover-429, spread-rr,
    /// ws-conversation, ws-conversation-c4, ws-failover, conversation-grows, refresh,
    /// slow-streams, streams-1, streams-64, streams-2000, control; smoke mode has c1, c4,
    /// small-new-c4, sessions-1k, accounts-10, body-1m, streams-4 instead of the c*, small-new-*,
    /// sessions-*, accounts-*, body-* and streams-* cells).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Override the repetitions of the interleaved cells.
    #[arg(long)]
    pub reps: Option<usize>,
    /// Extra environment for every codex-routerd (repeatable), for experiments such as
    /// `TOKIO_WORKER_THREADS=1` or glibc `MALLOC_*` tunables. Results say which were set.
    #[arg(long = "daemon-env", value_name = "KEY=VALUE", value_parser = parse_env)]
    pub daemon_env: Vec<(String, String)>,
    /// Start every daemon under this command, split on spaces (`"heaptrack -o /tmp/ht/daemon"`,
    /// `"valgrind --tool=massif"`); the daemon is stopped with SIGTERM so the tool can write its
    /// output. Results then say "Experiment".
    #[arg(long = "daemon-wrapper", value_name = "COMMAND")]
    pub daemon_wrapper: Option<String>,
}

fn parse_env(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got {s:?}")),
    }
}

/// How the limited account answers in `fake-upstream` mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitKind {
    /// 429 `rate_limit_exceeded` with `retry-after-ms: 0`: the account is tried again by the next new
    /// session, so every time it is picked a failover is measured.
    Short,
    /// 429 `usage_limit_reached` resetting in this many seconds (benches the account until then).
    Usage(i64),
}

impl std::str::FromStr for LimitKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            None if s == "short" => Ok(Self::Short),
            Some(("usage", secs)) => secs
                .parse()
                .map(Self::Usage)
                .map_err(|_| format!("usage:<seconds> needs whole seconds, got {secs:?}")),
            _ => Err(format!("expected `short` or `usage:<seconds>`, got {s:?}")),
        }
    }
}

impl std::fmt::Display for LimitKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Short => f.write_str("short"),
            Self::Usage(secs) => write!(f, "usage:{secs}"),
        }
    }
}

/// The fake upstream's shape. It prints one JSON line (addresses and every account's tokens) once it
/// listens, then answers `counts` and `limit-once <index>` lines on stdin with one JSON line each
/// (`wire.rs` documents the protocol); `quit` or EOF ends it.
#[derive(Debug, Clone, Args)]
pub struct FakeArgs {
    /// Number of accounts (ids `bench-a0`, `bench-a1`, ...).
    #[arg(long, default_value_t = 3)]
    pub accounts: usize,
    /// `response.output_text.delta` events per stream.
    #[arg(long, default_value_t = 20)]
    pub deltas: usize,
    /// Milliseconds between events.
    #[arg(long, default_value_t = 0)]
    pub delay_ms: u64,
    /// Index of the account that answers every request with a 429.
    #[arg(long)]
    pub limit_account: Option<usize>,
    /// What that 429 is: `short` or `usage:<seconds>`.
    #[arg(long, default_value = "short")]
    pub limit: LimitKind,
    /// Issue every first access token already expired (the router must refresh each account once).
    #[arg(long)]
    pub expired: bool,
}

impl FakeArgs {
    /// The same arguments as a command line, for spawning the child.
    pub fn to_argv(&self) -> Vec<String> {
        let mut argv = vec![
            "fake-upstream".to_owned(),
            format!("--accounts={}", self.accounts),
            format!("--deltas={}", self.deltas),
            format!("--delay-ms={}", self.delay_ms),
            format!("--limit={}", self.limit),
        ];
        if let Some(i) = self.limit_account {
            argv.push(format!("--limit-account={i}"));
        }
        if self.expired {
            argv.push("--expired".to_owned());
        }
        argv
    }
}

impl Default for FakeArgs {
    fn default() -> Self {
        Self {
            accounts: 3,
            deltas: 20,
            delay_ms: 0,
            limit_account: None,
            limit: LimitKind::Short,
            expired: false,
        }
    }
}
