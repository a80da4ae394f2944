//! What the numbers were measured on: they mean little without the CPU, the core count, the memory,
//! the date, the commit and the build profile next to them.

use std::path::Path;
use std::process::Command;

use serde::Serialize;
use time::format_description::well_known::Rfc3339;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
    pub date: String,
    /// `git rev-parse --short HEAD`, with `-dirty` when the work tree has changes.
    pub commit: String,
    /// `release` or `debug`: the profile of the codex-routerd binary measured.
    pub profile: String,
    /// `/proc/loadavg` (1, 5, 15 min) before and after the run: anything else busy on the machine (a
    /// build, another benchmark) skews every figure, and this is where it shows.
    pub load_at_start: String,
    pub load_at_end: String,
}

impl Machine {
    pub fn detect(repo: &Path, routerd: &Path) -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map_or_else(|| std::env::consts::ARCH.to_owned(), |(_, v)| v.trim().to_owned());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let mem_kib: f64 = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").map_or_else(
            |_| std::env::consts::OS.to_owned(),
            |k| format!("Linux {}", k.trim()),
        );
        let profile = if routerd.components().any(|c| c.as_os_str() == "release") {
            "release"
        } else {
            "debug"
        };
        Self {
            cpu,
            cores: std::thread::available_parallelism().map_or(0, usize::from),
            memory_gib: (mem_kib / 1024.0 / 1024.0 * 10.0).round() / 10.0,
            kernel,
            date: time::OffsetDateTime::now_utc()
                .format(&Rfc3339)
                .unwrap_or_default(),
            commit: commit(repo),
            profile: profile.to_owned(),
            load_at_start: loadavg(),
            load_at_end: String::new(),
        }
    }
}

pub fn loadavg() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn commit(repo: &Path) -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    match git(&["rev-parse", "--short", "HEAD"]) {
        None => "unknown".to_owned(),
        Some(head) => match git(&["status", "--porcelain", "--untracked-files=no"]) {
            Some(changes) if !changes.is_empty() => format!("{head}-dirty"),
            _ => head,
        },
    }
}
