//! Retrying filesystem operations that fail for a moment.
//!
//! On Windows an antivirus scanner, the search indexer or a second process reading the file
//! holds it open for a few milliseconds and `rename`/`remove` fail with a sharing violation;
//! on Unix the same shows up as `EBUSY`/`EAGAIN` on network and FUSE filesystems. Those
//! failures go away on their own, so every write, rename and delete of a file that matters goes
//! through [`retry`]: 6 attempts in all, with a short doubling pause between them.

use std::io;
use std::thread;
use std::time::Duration;

/// How often and how patiently to retry. A value so tests can retry without pausing.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub attempts: u32,
    /// Pause after the first failure; doubles after each further one.
    pub base: Duration,
}

impl RetryPolicy {
    /// 6 attempts, pausing 10, 20, 40, 80, 160 ms: at most ~0.3 s before giving up.
    pub const DEFAULT: RetryPolicy = RetryPolicy {
        attempts: 6,
        base: Duration::from_millis(10),
    };
}

/// Whether an error is one of the transient kinds worth another try.
///
/// `PermissionDenied` covers both `EACCES` and `EPERM` (and Windows' access denied, which is
/// what a file pending deletion or opened without share-delete reports).
pub fn is_transient(err: &io::Error) -> bool {
    if matches!(
        err.kind(),
        io::ErrorKind::ResourceBusy
            | io::ErrorKind::PermissionDenied
            | io::ErrorKind::WouldBlock
            | io::ErrorKind::Interrupted
    ) {
        return true;
    }
    match err.raw_os_error() {
        #[cfg(unix)]
        Some(code) => [libc::EBUSY, libc::EPERM, libc::EACCES, libc::EAGAIN, libc::EINTR].contains(&code),
        // ERROR_ACCESS_DENIED, ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION.
        #[cfg(windows)]
        Some(code) => [5, 32, 33].contains(&code),
        _ => false,
    }
}

/// Run `op` until it succeeds, fails with a non-transient error, or the attempts run out; the
/// last error is returned.
pub fn retry<T>(policy: RetryPolicy, mut op: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    let mut pause = policy.base;
    let mut attempt = 1;
    loop {
        match op() {
            Ok(value) => return Ok(value),
            Err(err) if attempt < policy.attempts && is_transient(&err) => {
                tracing::debug!(attempt, error = %err, "transient filesystem error, retrying");
                if !pause.is_zero() {
                    thread::sleep(pause);
                }
                pause = pause.saturating_mul(2);
                attempt += 1;
            }
            Err(err) => return Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: RetryPolicy = RetryPolicy {
        attempts: 6,
        base: Duration::ZERO,
    };

    fn busy() -> io::Error {
        io::Error::from(io::ErrorKind::ResourceBusy)
    }

    #[test]
    fn transient_errors_are_retried_until_success() {
        let mut calls = 0;
        let res = retry(FAST, || {
            calls += 1;
            if calls < 6 { Err(busy()) } else { Ok(calls) }
        });
        assert_eq!(res.unwrap(), 6);
    }

    #[test]
    fn gives_up_after_six_attempts() {
        let mut calls = 0;
        let res: io::Result<()> = retry(FAST, || {
            calls += 1;
            Err(busy())
        });
        assert_eq!(res.unwrap_err().kind(), io::ErrorKind::ResourceBusy);
        assert_eq!(calls, 6);
    }

    #[test]
    fn permanent_errors_are_not_retried() {
        let mut calls = 0;
        let res: io::Result<()> = retry(FAST, || {
            calls += 1;
            Err(io::Error::from(io::ErrorKind::NotFound))
        });
        assert!(res.is_err());
        assert_eq!(calls, 1);
    }

    #[test]
    fn classifies_the_spec_errnos() {
        assert!(is_transient(&io::Error::from(io::ErrorKind::PermissionDenied)));
        assert!(is_transient(&io::Error::from(io::ErrorKind::WouldBlock)));
        assert!(!is_transient(&io::Error::from(io::ErrorKind::NotFound)));
        #[cfg(unix)]
        for code in [libc::EBUSY, libc::EPERM, libc::EACCES, libc::EAGAIN] {
            assert!(is_transient(&io::Error::from_raw_os_error(code)), "errno {code}");
        }
        #[cfg(unix)]
        assert!(!is_transient(&io::Error::from_raw_os_error(libc::ENOSPC)));
    }
}
