//! Is the daemon up? Only an answer on the socket says so.
//!
//! `run/daemon.json` and a live pid prove nothing: the file survives a crash and its pid may since
//! belong to another program. So the daemon counts as up only when the socket answers `ping`, and,
//! when `run/daemon.lock` names its holder, the pinged pid is that holder. Everything else is
//! reported as down or unresponsive, with the reason.

use std::time::Duration;

use anyhow::Context;
use codex_router_ipc::{IpcClient, IpcError};
use codex_router_protocol::methods::{self, PingResult};
use codex_router_store::{RouterPaths, read_lock_pid, try_lock};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::exit::NotRunning;
use crate::process;

/// How long a `ping` may take. Short: a healthy daemon answers in microseconds, and a stopped
/// or wedged one must not make every command hang.
pub const PING_TIMEOUT: Duration = Duration::from_secs(3);

/// A connection to a daemon that answered `ping`.
#[derive(Debug)]
pub struct Daemon {
    pub client: IpcClient,
    pub ping: PingResult,
}

#[derive(Debug)]
pub enum Liveness {
    Up(Daemon),
    /// Nothing listens on the socket and no live process is named by the lock.
    Down {
        detail: String,
    },
    /// Something is there but it is not a daemon we can talk to (starting, stopped, hung, or
    /// not the lock holder). `pid` is the lock holder's, when known.
    Unresponsive {
        pid: Option<u32>,
        detail: String,
    },
}

impl Liveness {
    /// The daemon, or the exit-3 error with the reason.
    pub fn require(self) -> anyhow::Result<Daemon> {
        match self {
            Liveness::Up(daemon) => Ok(daemon),
            Liveness::Down { detail } | Liveness::Unresponsive { detail, .. } => {
                Err(NotRunning { detail: Some(detail) }.into())
            }
        }
    }
}

/// Connects and pings.
pub async fn probe(paths: &RouterPaths) -> Liveness {
    let socket = paths.socket.display();
    let lock_pid = read_lock_pid(&paths.daemon_lock).filter(|pid| process::alive(*pid));
    let mut client = match IpcClient::connect(&paths.socket).await {
        Ok(client) => client,
        Err(IpcError::NotRunning { .. }) => {
            return match lock_pid {
                Some(pid) => Liveness::Unresponsive {
                    pid: Some(pid),
                    detail: format!(
                        "pid {pid} may hold run/daemon.lock, but nothing listens on {socket}: it is starting, \
                         or hung"
                    ),
                },
                None => Liveness::Down {
                    detail: format!("nothing listens on {socket}"),
                },
            };
        }
        Err(err) => {
            return Liveness::Unresponsive {
                pid: lock_pid,
                detail: format!("cannot connect to {socket}: {err}"),
            };
        }
    };
    let ping = client
        .call_with_timeout(methods::PING, json!({}), Some(PING_TIMEOUT))
        .await;
    let ping = match ping.map_err(anyhow::Error::new).and_then(decode::<PingResult>) {
        Ok(ping) => ping,
        Err(err) => {
            return Liveness::Unresponsive {
                pid: lock_pid,
                detail: format!("{socket} does not answer `ping`: {err:#}"),
            };
        }
    };
    match read_lock_pid(&paths.daemon_lock) {
        Some(holder) if holder != ping.pid => Liveness::Unresponsive {
            pid: Some(holder),
            detail: format!(
                "{socket} answered as pid {}, but run/daemon.lock names pid {holder}; not trusting it",
                ping.pid
            ),
        },
        _ => Liveness::Up(Daemon { client, ping }),
    }
}

/// The pid holding `run/daemon.lock`, `None` when nobody holds it. Testing the lock takes it
/// for an instant, so only commands about to start or stop a daemon call this; a daemon starting
/// in that instant would fail "already running", which those commands then sort out.
pub fn lock_holder(paths: &RouterPaths) -> anyhow::Result<Option<u32>> {
    if !paths.daemon_lock.exists() {
        return Ok(None);
    }
    match try_lock(&paths.daemon_lock)? {
        Some(_free) => Ok(None),
        None => read_lock_pid(&paths.daemon_lock).map(Some).ok_or_else(|| {
            anyhow::anyhow!(
                "a process holds {} but its pid is not recorded; stop it by hand",
                paths.daemon_lock.display()
            )
        }),
    }
}

/// Decodes a result into `T`, keeping the raw reply in the error when it does not fit.
pub fn decode<T: DeserializeOwned>(value: Value) -> anyhow::Result<T> {
    Ok(codex_router_ipc::decode_reply(value)?)
}

impl Daemon {
    /// Calls `method`; the daemon's error answer becomes an error naming the method.
    pub async fn call(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        self.call_timeout(method, params, codex_router_ipc::DEFAULT_CALL_TIMEOUT)
            .await
    }

    pub async fn call_timeout(
        &mut self,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> anyhow::Result<Value> {
        self.client
            .call_with_timeout(method, params, Some(timeout))
            .await
            .with_context(|| format!("codex-routerd could not do `{method}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undecodable_reply_is_shown_raw() {
        // A reply that cannot be decoded is quoted raw in the error.
        let err = decode::<PingResult>(json!({"pid": "not a number"})).unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains(r#"{"pid":"not a number"}"#), "{text}");
    }

    #[tokio::test]
    async fn no_socket_is_down() {
        let dir = tempfile::tempdir().unwrap();
        let paths = RouterPaths::from_home(dir.path().to_owned());
        assert!(matches!(probe(&paths).await, Liveness::Down { .. }));
    }
}
