use std::sync::mpsc;

use super::*;

#[test]
fn second_try_lock_fails_while_held_and_succeeds_after_drop() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("daemon.lock");
    let first = try_lock(&path).unwrap().expect("free lock");
    assert!(try_lock(&path).unwrap().is_none());
    assert_eq!(first.path(), path);
    drop(first);
    assert!(try_lock(&path).unwrap().is_some());
}

#[test]
fn lock_with_timeout_gives_up_while_held() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("accounts.lock");
    let _held = try_lock(&path).unwrap().unwrap();
    assert!(
        lock_with_timeout(&path, Duration::from_millis(30))
            .unwrap()
            .is_none()
    );
}

#[test]
fn lock_with_timeout_gets_a_lock_released_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("accounts.lock");
    let held = try_lock(&path).unwrap().unwrap();
    let (tx, rx) = mpsc::channel();
    let waiter = {
        let path = path.clone();
        thread::spawn(move || {
            tx.send(()).unwrap();
            lock_with_timeout(&path, Duration::from_secs(30))
                .unwrap()
                .is_some()
        })
    };
    rx.recv().unwrap();
    drop(held);
    assert!(waiter.join().unwrap());
}

#[test]
fn lock_blocking_waits_for_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bind.lock");
    let held = try_lock(&path).unwrap().unwrap();
    let (tx, rx) = mpsc::channel();
    let waiter = {
        let path = path.clone();
        thread::spawn(move || {
            let lock = lock_blocking(&path).unwrap();
            tx.send(()).unwrap();
            drop(lock);
        })
    };
    // Still held: the waiter cannot have finished.
    assert!(rx.try_recv().is_err());
    drop(held);
    rx.recv().unwrap();
    waiter.join().unwrap();
}

#[test]
fn pid_is_recorded_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("daemon.lock");
    assert_eq!(read_lock_pid(&path), None);
    std::fs::write(&path, b"999999999\nleftover garbage").unwrap();
    let mut lock = try_lock(&path).unwrap().unwrap();
    lock.write_pid().unwrap();
    assert_eq!(read_lock_pid(&path), Some(std::process::id()));
}

#[cfg(unix)]
#[test]
fn a_new_lock_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fresh.lock");
    let _lock = try_lock(&path).unwrap().unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn a_lock_in_a_missing_directory_is_an_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run").join("daemon.lock");
    let err = try_lock(&path).unwrap_err();
    assert!(err.to_string().contains("daemon.lock"), "{err}");
}
