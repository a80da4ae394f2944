//! Transport of the codex-router control plane: a local socket (Unix) or named pipe (Windows)
//! carrying the newline-delimited JSON frames of `codex-router-protocol`.
//!
//! The daemon calls [`bind`] then [`serve`] with its [`Handler`]; `codexctl` uses
//! [`IpcClient`]. Everything platform-specific lives here, as small `cfg` blocks around pure
//! functions that are compiled and tested on every OS.
//!
//! # Layout
//! - [`endpoint`]: socket path / pipe name derivation (pure).
//! - `listener`: [`bind`] — private directory, stale-socket probe, `0600` socket, and the
//!   guard that removes the file (`guard`).
//! - `server` / `connection`: the accept loop with its connection cap and peer-uid check
//!   (`peer`), and the per-connection frame loop (`framing`, `dispatch`).
//! - `client`: [`IpcClient`].
//!
//! # Invariants
//! - No frame larger than [`codex_router_protocol::MAX_FRAME_BYTES`] is ever buffered.
//! - Nothing a peer sends or fails to read can panic or stop the server.
//! - The socket file is removed only by the listener that created it.

mod client;
mod connection;
mod dispatch;
pub mod endpoint;
mod error;
mod framing;
mod guard;
mod handler;
mod listener;
mod peer;
pub mod pipe_security;
mod server;

pub use codex_router_protocol as protocol;
pub use futures_util::future::BoxFuture;
pub use futures_util::stream::BoxStream;

pub use client::{DEFAULT_CALL_TIMEOUT, IpcClient};
pub use endpoint::{Endpoint, endpoint_name, local_endpoint};
pub use error::{IpcError, RpcError, UnexpectedReply, decode_reply};
pub use handler::Handler;
pub use listener::{IpcListener, bind};
pub use server::{DEFAULT_MAX_CONNECTIONS, ServeOptions, serve, serve_with};
