//! Lines read from a child's stdout or stderr by a thread, for tests that wait on what a
//! process says (never on time): shared by the daemon and interactive-`codexctl` harnesses.

use std::io::{BufRead, BufReader, Read};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Lines read so far from one stream, and whether it ended.
#[derive(Debug, Default)]
pub(crate) struct Lines {
    lines: Vec<String>,
    eof: bool,
}

pub(crate) type Shared = Arc<(Mutex<Lines>, Condvar)>;

pub(crate) fn collect(stream: Option<impl Read + Send + 'static>) -> Shared {
    let shared: Shared = Arc::default();
    let sink = Arc::clone(&shared);
    std::thread::spawn(move || {
        let (lock, cvar) = &*sink;
        if let Some(stream) = stream {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if let Ok(mut all) = lock.lock() {
                    all.lines.push(line);
                }
                cvar.notify_all();
            }
        }
        if let Ok(mut all) = lock.lock() {
            all.eof = true;
        }
        cvar.notify_all();
    });
    shared
}

pub(crate) fn wait_for(shared: &Shared, needle: &str, limit: Duration) -> Option<String> {
    let deadline = Instant::now() + limit;
    let (lock, cvar) = &**shared;
    let mut all = lock.lock().ok()?;
    loop {
        if let Some(line) = all.lines.iter().find(|l| l.contains(needle)) {
            return Some(line.clone());
        }
        if all.eof {
            return None;
        }
        let left = deadline.checked_duration_since(Instant::now())?;
        all = cvar.wait_timeout(all, left).ok()?.0;
    }
}

/// Waits until the stream has ended (its writer exited), at most `limit`.
pub(crate) fn wait_eof(shared: &Shared, limit: Duration) {
    let deadline = Instant::now() + limit;
    let (lock, cvar) = &**shared;
    let Ok(mut all) = lock.lock() else { return };
    while !all.eof {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            return;
        };
        match cvar.wait_timeout(all, left) {
            Ok((guard, _)) => all = guard,
            Err(_) => return,
        }
    }
}

pub(crate) fn text(shared: &Shared) -> String {
    shared.0.lock().map(|l| l.lines.join("\n")).unwrap_or_default()
}
