//! Wire types of the codex-router control plane: the frames `codexctl` and `codex-routerd`
//! exchange over the local socket (Unix) or named pipe (Windows).
//!
//! This crate is serde only: no IO, no async, so the daemon, the CLI and tests can all depend on
//! it cheaply and a wire change shows up in exactly one place. Any change to a frame's shape
//! bumps [`PROTOCOL_VERSION`]; the snapshot tests next to each module pin the exact JSON.
//!
//! # Layout
//! - [`frames`]: the four frame shapes (`Request`, `Response`, `ErrorFrame`, `EventFrame`) and
//!   [`ServerFrame`], which decodes whatever the daemon sends.
//! - [`error_code`]: [`ErrorCode`], the snake_case codes clients match on (never the message).
//! - [`methods`]: method names and typed params/results of every control-plane method.
//! - [`status`]: the `status` document, shared by the daemon that builds it and the CLI that
//!   draws it; its timestamps and counters are `codex-router-core`'s own types.
//!
//! The transport (framing on `\n`, size limits, the listener) lives in `codex-router-ipc`;
//! `docs/ipc.md` documents the protocol for humans.

pub mod error_code;
pub mod frames;
pub mod methods;
pub mod status;

pub use error_code::ErrorCode;
pub use frames::{ErrorBody, ErrorFrame, EventFrame, Request, Response, ServerFrame, VersionMismatchData};

/// Version of the frame format. A daemon answers requests carrying another `v` with a
/// `version_mismatch` error naming its own version, so an old `codexctl` fails clearly instead of
/// misreading a newer daemon.
pub const PROTOCOL_VERSION: u32 = 1;

/// The release these frames belong to (every crate of the workspace shares one version), so a
/// `version_mismatch` can name releases, which is what the user installed, not only protocol
/// numbers.
pub const RELEASE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Largest frame either side accepts, in bytes of JSON text (the terminating `\n` excluded).
/// Readers count while reading and stop at this bound, so a runaway peer can never make the
/// daemon buffer more than this per connection.
pub const MAX_FRAME_BYTES: usize = 1 << 20;
