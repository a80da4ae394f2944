//! Binding the control socket safely (SPEC §3 `run/`, §9).
//!
//! A socket file left behind by a crashed daemon must not block the next start, but a live
//! daemon's socket must never be stolen. So an existing path is probed first: a connection that
//! succeeds means a daemon answers (`AlreadyInUse`); a refused one means the file is stale and
//! is removed. Only one daemon per home gets this far anyway (`run/daemon.lock`); the probe
//! covers a lock held by a daemon of an older build and a socket copied around by hand.
//!
//! A Windows named pipe has no file and vanishes with its last handle, so it is never stale; but
//! a daemon busy with other clients may have no free pipe instance at the moment of the probe.
//! The probe does not wait for one (interprocess's local-socket connect would wait forever): a
//! busy pipe answers at once, and busy means a daemon is there. Creating a pipe whose name is
//! taken fails with "access denied" (interprocess asks for the first instance), which also means
//! another daemon. The pipe is created with a descriptor admitting only the current user
//! ([`crate::pipe_security`]).

use std::io;
use std::path::Path;

use interprocess::local_socket::tokio::{Listener, Stream};
use interprocess::local_socket::traits::tokio::Listener as _;
use interprocess::local_socket::{ListenerOptions, Stream as SyncStream, traits::Stream as _};

use crate::IpcError;
use crate::endpoint::{Endpoint, local_endpoint};
use crate::guard::{SocketFileGuard, ensure_private_dir};

/// A bound control endpoint, ready for [`crate::serve`]. Dropping it closes the listener and
/// removes the socket file if it is still ours.
#[derive(Debug)]
pub struct IpcListener {
    /// Declared before `guard` so the socket is closed before its file is removed.
    listener: Listener,
    endpoint: Endpoint,
    /// Removes the socket file on drop (Unix); empty for named pipes.
    _guard: SocketFileGuard,
}

impl IpcListener {
    /// Where clients reach this listener.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    pub(crate) async fn accept(&self) -> io::Result<Stream> {
        self.listener.accept().await
    }
}

/// Binds the control endpoint for `socket_path` (the socket file on Unix, the derived named pipe
/// on Windows): parent directory `0700`, stale file replaced, socket `0600`. Must be called
/// inside a tokio runtime.
pub fn bind(socket_path: &Path) -> Result<IpcListener, IpcError> {
    if let Some(dir) = socket_path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        ensure_private_dir(dir).map_err(|source| IpcError::Fs {
            action: "preparing the socket directory",
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let endpoint = local_endpoint(socket_path);
    let io_err = |source| IpcError::Io {
        endpoint: endpoint.to_string(),
        source,
    };
    match probe(&endpoint).map_err(io_err)? {
        Probe::Live => {
            return Err(IpcError::AlreadyInUse {
                endpoint: endpoint.to_string(),
            });
        }
        Probe::Stale => remove_stale(&endpoint)?,
        Probe::Absent => {}
    }
    let options = ListenerOptions::new()
        .name(endpoint.to_name().map_err(io_err)?)
        .reclaim_name(false);
    #[cfg(windows)]
    let options = interprocess::os::windows::local_socket::ListenerOptionsExt::security_descriptor(
        options,
        crate::pipe_security::owner_only_descriptor().map_err(io_err)?,
    );
    let is_pipe = matches!(endpoint, Endpoint::Pipe(_));
    let listener = options.create_tokio().map_err(|source| {
        if bind_error_means_in_use(source.kind(), source.raw_os_error(), is_pipe) {
            IpcError::AlreadyInUse {
                endpoint: endpoint.to_string(),
            }
        } else {
            io_err(source)
        }
    })?;
    let guard = match &endpoint {
        Endpoint::Path(path) => SocketFileGuard::adopt(path).map_err(|source| IpcError::Fs {
            action: "restricting the control socket",
            path: path.clone(),
            source,
        })?,
        Endpoint::Pipe(_) => SocketFileGuard::default(),
    };
    Ok(IpcListener {
        listener,
        endpoint,
        _guard: guard,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// A daemon accepted the probe connection.
    Live,
    /// The name exists but nobody listens on it.
    Stale,
    /// Nothing by that name.
    Absent,
}

fn probe(endpoint: &Endpoint) -> io::Result<Probe> {
    if let Endpoint::Path(path) = endpoint {
        match std::fs::symlink_metadata(path) {
            Ok(_) => {}
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Probe::Absent),
            Err(err) => return Err(err),
        }
    }
    match connect_once(endpoint) {
        Ok(()) => Ok(Probe::Live),
        Err(err) => probe_failure(
            err.kind(),
            err.raw_os_error(),
            matches!(endpoint, Endpoint::Pipe(_)),
        )
        .ok_or(err),
    }
}

/// One connection attempt that never waits for a busy server.
fn connect_once(endpoint: &Endpoint) -> io::Result<()> {
    match endpoint {
        #[cfg(windows)]
        Endpoint::Pipe(pipe) => {
            use interprocess::os::windows::named_pipe::{DuplexPipeStream, pipe_mode};
            DuplexPipeStream::<pipe_mode::Bytes>::connect_by_path_with_wait_mode(
                pipe.as_str(),
                interprocess::ConnectWaitMode::Timeout(std::time::Duration::ZERO),
            )
            .map(drop)
        }
        _ => SyncStream::connect(endpoint.to_name()?).map(drop),
    }
}

/// `ERROR_ACCESS_DENIED`, `ERROR_PIPE_BUSY`: Win32 codes std maps to no specific kind.
const ERROR_ACCESS_DENIED: i32 = 5;
const ERROR_PIPE_BUSY: i32 = 231;

/// What a failed probe connection says about the endpoint; `None`: nothing we can act on.
/// A pipe that is busy (interprocess reports it as a zero-length wait timing out) has a server.
fn probe_failure(kind: io::ErrorKind, raw_os_error: Option<i32>, is_pipe: bool) -> Option<Probe> {
    match kind {
        io::ErrorKind::ConnectionRefused => Some(Probe::Stale),
        io::ErrorKind::NotFound => Some(Probe::Absent),
        io::ErrorKind::TimedOut if is_pipe => Some(Probe::Live),
        _ if is_pipe && raw_os_error == Some(ERROR_PIPE_BUSY) => Some(Probe::Live),
        _ => None,
    }
}

/// Whether a failed bind means another server holds the name. For a pipe, "access denied" is
/// what creating a first instance of an existing pipe answers.
fn bind_error_means_in_use(kind: io::ErrorKind, raw_os_error: Option<i32>, is_pipe: bool) -> bool {
    kind == io::ErrorKind::AddrInUse
        || (is_pipe && matches!(raw_os_error, Some(ERROR_ACCESS_DENIED | ERROR_PIPE_BUSY)))
}

fn remove_stale(endpoint: &Endpoint) -> Result<(), IpcError> {
    let Endpoint::Path(path) = endpoint else {
        return Ok(());
    };
    tracing::info!(path = %path.display(), "removing a stale control socket (no daemon answered)");
    match std::fs::remove_file(path) {
        Err(err) if err.kind() != io::ErrorKind::NotFound => Err(IpcError::Fs {
            action: "removing the stale control socket",
            path: path.clone(),
            source: err,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_pipe_is_a_live_daemon() {
        assert_eq!(
            probe_failure(io::ErrorKind::TimedOut, None, true),
            Some(Probe::Live)
        );
        assert_eq!(
            probe_failure(io::ErrorKind::Other, Some(ERROR_PIPE_BUSY), true),
            Some(Probe::Live)
        );
        // A Unix socket that times out is not a known answer.
        assert_eq!(probe_failure(io::ErrorKind::TimedOut, None, false), None);
    }

    #[test]
    fn refused_is_stale_and_missing_is_absent() {
        for is_pipe in [false, true] {
            assert_eq!(
                probe_failure(io::ErrorKind::ConnectionRefused, Some(111), is_pipe),
                Some(Probe::Stale)
            );
            assert_eq!(
                probe_failure(io::ErrorKind::NotFound, Some(2), is_pipe),
                Some(Probe::Absent)
            );
        }
        assert_eq!(
            probe_failure(io::ErrorKind::PermissionDenied, Some(13), false),
            None
        );
    }

    #[test]
    fn a_taken_pipe_name_is_in_use() {
        assert!(bind_error_means_in_use(io::ErrorKind::AddrInUse, None, false));
        assert!(bind_error_means_in_use(
            io::ErrorKind::PermissionDenied,
            Some(ERROR_ACCESS_DENIED),
            true
        ));
        assert!(!bind_error_means_in_use(
            io::ErrorKind::PermissionDenied,
            Some(ERROR_ACCESS_DENIED),
            false
        ));
        assert!(!bind_error_means_in_use(io::ErrorKind::Other, None, true));
    }
}
