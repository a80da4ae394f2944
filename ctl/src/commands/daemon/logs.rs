//! `daemon logs [-f]`: print the newest daily log (`logs/codex-routerd.<date>.log`), and with
//! `-f` keep printing what is appended, moving on to the next day's file when the daemon
//! rotates. Following a file has no event to wait on portably, so `-f` checks for growth four
//! times a second.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

use crate::ctx::Ctx;
use crate::output;

const PREFIX: &str = "codex-routerd.";
const SUFFIX: &str = ".log";
const FOLLOW_PAUSE: Duration = Duration::from_millis(250);

pub async fn logs(ctx: &Ctx<'_>, follow: bool) -> anyhow::Result<()> {
    let dir = &ctx.paths.logs_dir;
    let mut current = newest_log(dir);
    if current.is_none() && !follow {
        output::error_line(&format!("codexctl: no daemon log in {} yet", dir.display()));
        return Ok(());
    }
    let mut pos = 0u64;
    if let Some(path) = &current {
        pos = copy_from(path, 0)?;
    }
    if !follow {
        return Ok(());
    }
    loop {
        tokio::time::sleep(FOLLOW_PAUSE).await;
        if let Some(path) = &current {
            pos = copy_from(path, pos)?;
        }
        let newest = newest_log(dir);
        if newest.is_some() && newest != current {
            current = newest;
            pos = 0;
        }
    }
}

/// Prints `path` from byte `pos` on; returns the new position. A file that shrank (truncated
/// by hand) is printed from its start again.
fn copy_from(path: &Path, pos: u64) -> anyhow::Result<u64> {
    let mut file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let pos = if len < pos { 0 } else { pos };
    file.seek(SeekFrom::Start(pos))?;
    let mut buf = Vec::new();
    file.read_to_end(&mut buf)
        .with_context(|| format!("reading {}", path.display()))?;
    if !buf.is_empty() {
        output::bytes(&buf)?;
    }
    Ok(pos + buf.len() as u64)
}

/// The daily file names embed the date as `YYYY-MM-DD`, so the greatest name is the newest.
fn newest_log(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            (name.starts_with(PREFIX) && name.ends_with(SUFFIX)).then_some(name)
        })
        .max()
        .map(|name| dir.join(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_by_date_ignoring_other_files() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(newest_log(dir.path()), None);
        for name in [
            "codex-routerd.2026-01-02.log",
            "codex-routerd.2026-01-10.log",
            "daemon-stderr.log",
            "codex-routerd.2026-01-03.log",
        ] {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        assert_eq!(
            newest_log(dir.path()),
            Some(dir.path().join("codex-routerd.2026-01-10.log"))
        );
    }
}
