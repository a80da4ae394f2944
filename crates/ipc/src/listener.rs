//! Binding the control socket safely (SPEC §3 `run/`, §9).
//!
//! A socket file left behind by a crashed daemon must not block the next start, but a live
//! daemon's socket must never be stolen. So an existing path is probed first: a connection that
//! succeeds means a daemon answers (`AlreadyInUse`); a refused one means the file is stale and
//! is removed. Only one daemon per home gets this far anyway (`run/daemon.lock`); the probe
//! covers a lock held by a daemon of an older build and a socket copied around by hand.

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
    let listener = ListenerOptions::new()
        .name(endpoint.to_name().map_err(io_err)?)
        .reclaim_name(false)
        .create_tokio()
        .map_err(|source| match source.kind() {
            io::ErrorKind::AddrInUse => IpcError::AlreadyInUse {
                endpoint: endpoint.to_string(),
            },
            _ => io_err(source),
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
    match SyncStream::connect(endpoint.to_name()?) {
        Ok(_) => Ok(Probe::Live),
        Err(err) if err.kind() == io::ErrorKind::ConnectionRefused => Ok(Probe::Stale),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(Probe::Absent),
        Err(err) => Err(err),
    }
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
