//! Refusing peers of another user (SPEC §9), where the OS says who the peer is.
//!
//! On Unix the socket file is already `0600` in a `0700` directory; the uid check is the second
//! wall, for when someone loosens those modes or a root process connects. Windows reports only
//! the peer's pid, so there the pipe's default ACL is the only wall.

use std::io;

use interprocess::local_socket::tokio::Stream;

/// A user id as the OS reports it (`uid_t` is `u32` on every supported Unix).
pub(crate) type Uid = u32;

/// Decides whether a peer may talk to us. Unknown credentials (platform cannot tell) are
/// allowed; credentials that could not be read for another reason (the peer already vanished)
/// are refused, so a failure never opens the door.
pub(crate) fn is_allowed(own: Option<Uid>, peer: io::Result<Option<Uid>>) -> bool {
    match (own, peer) {
        (Some(own), Ok(Some(peer))) => own == peer,
        (_, Ok(_)) => true,
        (_, Err(err)) => err.kind() == io::ErrorKind::Unsupported,
    }
}

/// Our effective uid, or `None` where uids do not exist.
#[cfg(unix)]
#[allow(unsafe_code)]
pub(crate) fn own_euid() -> Option<Uid> {
    // SAFETY: geteuid takes no arguments, touches no memory of ours and cannot fail.
    Some(unsafe { libc::geteuid() })
}

#[cfg(not(unix))]
pub(crate) fn own_euid() -> Option<Uid> {
    None
}

/// The peer's effective uid at connect time (SO_PEERCRED / LOCAL_PEERCRED via interprocess).
#[cfg(unix)]
pub(crate) fn peer_euid(stream: &Stream) -> io::Result<Option<Uid>> {
    use interprocess::local_socket::traits::StreamCommon;
    stream.peer_creds().map(|creds| creds.euid())
}

#[cfg(not(unix))]
pub(crate) fn peer_euid(_stream: &Stream) -> io::Result<Option<Uid>> {
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_uid_is_allowed_and_another_is_refused() {
        assert!(is_allowed(Some(1000), Ok(Some(1000))));
        assert!(!is_allowed(Some(1000), Ok(Some(0))));
        assert!(!is_allowed(Some(0), Ok(Some(65534))));
    }

    #[test]
    fn unknown_credentials_are_allowed_but_failures_are_refused() {
        assert!(is_allowed(None, Ok(None)));
        assert!(is_allowed(Some(1000), Ok(None)));
        assert!(is_allowed(Some(1000), Err(io::ErrorKind::Unsupported.into())));
        assert!(!is_allowed(
            Some(1000),
            Err(io::ErrorKind::ConnectionReset.into())
        ));
    }
}
