//! The rig behind `codexctl demo`: watch the router work before trusting it with real logins.
//!
//! A throwaway `codex-routerd` serves a temporary router home whose upstream and issuer are the
//! fake ChatGPT backend, running inside this process ([`rig`]); a stand-in for Codex
//! ([`client`]) plays a short scripted session against it ([`script`]) and reports each step to
//! a [`Show`], which `codexctl` implements with its account table. The fake is embedded here so
//! that only `demo` links it, never the rest of the CLI.
//!
//! It never reads or writes the user's router home, accounts or Codex config, and it never
//! leaves loopback: every path and address the daemon gets is passed explicitly.

pub mod client;
mod error;
pub mod rig;
pub mod script;

pub use error::{DemoError, StoryError};
pub use rig::{ACCOUNTS, DemoAccount, Rig};
pub use script::{Facts, Show};
