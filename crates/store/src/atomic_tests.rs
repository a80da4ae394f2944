use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;

use super::*;

const FAST: RetryPolicy = RetryPolicy {
    attempts: 6,
    base: Duration::ZERO,
};

/// The real filesystem, except that the first `fail_renames` renames fail with `kind`.
struct FlakyFs {
    fail_renames: AtomicU32,
    kind: io::ErrorKind,
    renames: AtomicU32,
}

impl FlakyFs {
    fn new(fail_renames: u32, kind: io::ErrorKind) -> Self {
        Self {
            fail_renames: AtomicU32::new(fail_renames),
            kind,
            renames: AtomicU32::new(0),
        }
    }
}

impl Fs for FlakyFs {
    fn create_tmp(&self, tmp: &Path, content: Content<'_>, mode: u32) -> io::Result<()> {
        RealFs.create_tmp(tmp, content, mode)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.renames.fetch_add(1, Ordering::SeqCst);
        let left = self.fail_renames.load(Ordering::SeqCst);
        if left > 0 {
            self.fail_renames.store(left - 1, Ordering::SeqCst);
            return Err(io::Error::from(self.kind));
        }
        RealFs.rename(from, to)
    }
    fn remove(&self, path: &Path) -> io::Result<()> {
        RealFs.remove(path)
    }
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        RealFs.sync_dir(dir)
    }
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn writes_content_with_mode_and_leaves_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("accounts.json");
    write_atomic(&path, b"first", 0o600).unwrap();
    write_atomic(&path, b"second", 0o600).unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"second");
    assert_eq!(names_in(dir.path()), ["accounts.json"]);
    #[cfg(unix)]
    assert_eq!(mode_of(&path), 0o600);
}

#[cfg(unix)]
#[test]
fn mode_is_exact_even_when_the_old_file_was_looser() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    fs::write(&path, b"old").unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o666)).unwrap();
    write_atomic(&path, b"new", 0o600).unwrap();
    assert_eq!(mode_of(&path), 0o600);
    write_atomic(&path, b"newer", 0o644).unwrap();
    assert_eq!(mode_of(&path), 0o644);
}

// Writes are retried: N-1 transient failures are absorbed.
#[test]
fn five_transient_rename_failures_then_success() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    fs::write(&path, b"old").unwrap();
    let fs_ = FlakyFs::new(5, io::ErrorKind::ResourceBusy);
    write_atomic_with(&path, &|w| w.write_all(b"new"), 0o600, &fs_, FAST).unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"new");
    assert_eq!(fs_.renames.load(Ordering::SeqCst), 6);
    assert_eq!(names_in(dir.path()), ["config.toml"]);
}

// A persistent failure is reported, the original is intact, no temp is left.
#[test]
fn persistent_failure_reports_the_path_and_keeps_the_original() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    fs::write(&path, b"old").unwrap();
    for kind in [
        io::ErrorKind::ResourceBusy,
        io::ErrorKind::PermissionDenied,
        io::ErrorKind::WouldBlock,
    ] {
        let fs_ = FlakyFs::new(6, kind);
        let err = write_atomic_with(&path, &|w| w.write_all(b"new"), 0o600, &fs_, FAST).unwrap_err();
        assert!(
            matches!(&err, StoreError::Write { path: p, .. } if *p == path),
            "{err:?}"
        );
        assert!(err.to_string().contains(&path.display().to_string()));
        assert_eq!(fs_.renames.load(Ordering::SeqCst), 6);
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert_eq!(names_in(dir.path()), ["config.toml"]);
    }
}

#[test]
fn a_permanent_error_is_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    let fs_ = FlakyFs::new(1, io::ErrorKind::StorageFull);
    assert!(write_atomic_with(&path, &|w| w.write_all(b"x"), 0o600, &fs_, FAST).is_err());
    assert_eq!(fs_.renames.load(Ordering::SeqCst), 1);
    assert!(names_in(dir.path()).is_empty());
}

#[test]
fn a_missing_directory_is_an_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope").join("f.json");
    let err = write_atomic(&path, b"x", 0o600).unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}

// Concurrent writers never collide on a temp name and never tear the file.
#[test]
fn concurrent_writers_never_produce_a_torn_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = Arc::new(dir.path().join("state.json"));
    let payload = |writer: usize, round: usize| {
        let filler = "x".repeat(64 * 1024 + writer * 1000);
        serde_json::json!({ "writer": writer, "round": round, "filler": filler }).to_string()
    };
    write_atomic(&path, payload(99, 0).as_bytes(), 0o600).unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (path, stop) = (Arc::clone(&path), Arc::clone(&stop));
        thread::spawn(move || {
            let mut n_reads = 0;
            while !stop.load(Ordering::SeqCst) {
                let text = fs::read_to_string(&*path).unwrap();
                let value: serde_json::Value = serde_json::from_str(&text).unwrap();
                let (w, r) = (
                    value["writer"].as_u64().unwrap(),
                    value["round"].as_u64().unwrap(),
                );
                assert_eq!(text, payload(w as usize, r as usize));
                n_reads += 1;
            }
            n_reads
        })
    };
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let path = Arc::clone(&path);
            thread::spawn(move || {
                for round in 0..20 {
                    write_atomic(&path, payload(writer, round).as_bytes(), 0o600).unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    stop.store(true, Ordering::SeqCst);
    assert!(reader.join().unwrap() > 0);
    let value: serde_json::Value = serde_json::from_str(&fs::read_to_string(&*path).unwrap()).unwrap();
    assert_eq!(value["round"], 19);
    assert_eq!(names_in(dir.path()), ["state.json"]);
}

#[test]
fn create_atomic_creates_once_and_never_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("client.key");
    assert!(create_atomic(&path, b"one", 0o600).unwrap());
    assert!(!create_atomic(&path, b"two", 0o600).unwrap());
    assert_eq!(fs::read(&path).unwrap(), b"one");
    assert_eq!(names_in(dir.path()), ["client.key"]);
    #[cfg(unix)]
    assert_eq!(mode_of(&path), 0o600);
}

#[test]
fn racing_creators_agree_on_one_winner() {
    let dir = tempfile::tempdir().unwrap();
    let path = Arc::new(dir.path().join("client.key"));
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let path = Arc::clone(&path);
            thread::spawn(move || {
                (
                    i,
                    create_atomic(&path, format!("key-{i}").as_bytes(), 0o600).unwrap(),
                )
            })
        })
        .collect();
    let results: Vec<(usize, bool)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let winners: Vec<usize> = results.iter().filter(|(_, won)| *won).map(|(i, _)| *i).collect();
    assert_eq!(winners.len(), 1);
    assert_eq!(fs::read_to_string(&*path).unwrap(), format!("key-{}", winners[0]));
    assert_eq!(names_in(dir.path()), ["client.key"]);
}

#[test]
fn temp_names_are_recognised() {
    let name = tmp_name("accounts.json");
    assert!(name.starts_with(&format!("accounts.json.{}.", std::process::id())));
    assert!(is_our_tmp_name(&name));
    for other in [
        "notes.tmp",
        "a.tmp",
        "x.12.zz.tmp",
        "x.ab.0123456789abcdef.tmp",
        ".1.0123456789abcdef.tmp",
    ] {
        assert!(!is_our_tmp_name(other), "{other}");
    }
}

#[test]
fn stale_temp_files_are_removed_and_fresh_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("accounts.json.4242.0123456789abcdef.tmp");
    let fresh = dir.path().join(tmp_name("state.json"));
    let foreign = dir.path().join("editor-backup.tmp");
    for p in [&old, &fresh, &foreign] {
        fs::write(p, b"partial").unwrap();
    }
    let two_minutes_ago = SystemTime::now() - Duration::from_secs(120);
    for p in [&old, &foreign] {
        File::options()
            .write(true)
            .open(p)
            .unwrap()
            .set_modified(two_minutes_ago)
            .unwrap();
    }
    assert_eq!(remove_stale_tmp(dir.path(), Duration::from_secs(60)), 1);
    assert!(!old.exists());
    assert!(fresh.exists());
    assert!(foreign.exists());
    assert_eq!(remove_stale_tmp(&dir.path().join("missing"), Duration::ZERO), 0);
}
